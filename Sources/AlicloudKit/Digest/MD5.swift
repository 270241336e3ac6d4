/// MD5 (RFC 1321), streaming, pure Swift: OSS Content-MD5 and ETags. Not for security.
public struct MD5: HashFunction {
    public static let blockSize = 64
    public static let digestSize = 16

    @usableFromInline var h0: UInt32 = 0x67452301, h1: UInt32 = 0xefcdab89
    @usableFromInline var h2: UInt32 = 0x98badcfe, h3: UInt32 = 0x10325476
    @usableFromInline var buffer = BlockBuffer(blockSize: 64)

    /// A fresh state.
    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var s = (h0, h1, h2, h3)
        buffer.feed(bytes, blockSize: 64) { p, n in MD5.compress(&s, p, n) }
        (h0, h1, h2, h3) = s
    }

    /// The digest of everything added so far.
    public func finalize() -> [UInt8] {
        var s = (h0, h1, h2, h3)
        let tail = buffer.padding(bigEndianLength: false)
        tail.withUnsafeBytes { MD5.compress(&s, $0.baseAddress!, tail.count / 64) }
        var out = [UInt8]()
        out.reserveCapacity(16)
        for w in [s.0, s.1, s.2, s.3] {
            out.append(UInt8(truncatingIfNeeded: w))
            out.append(UInt8(truncatingIfNeeded: w >> 8))
            out.append(UInt8(truncatingIfNeeded: w >> 16))
            out.append(UInt8(truncatingIfNeeded: w >> 24))
        }
        return out
    }

    @inline(__always) static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &<< n) | (x &>> (32 &- n)) }
    @inline(__always) static func ff(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ xk: UInt32, _ s: UInt32) {
        a = b &+ rotl(a &+ (d ^ (b & (c ^ d))) &+ xk, s)
    }
    @inline(__always) static func gg(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ xk: UInt32, _ s: UInt32) {
        a = b &+ rotl(a &+ (c ^ (d & (b ^ c))) &+ xk, s)
    }
    @inline(__always) static func hh(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ xk: UInt32, _ s: UInt32) {
        a = b &+ rotl(a &+ (b ^ c ^ d) &+ xk, s)
    }
    @inline(__always) static func ii(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ xk: UInt32, _ s: UInt32) {
        a = b &+ rotl(a &+ (c ^ (b | ~d)) &+ xk, s)
    }

    @inline(__always)
    static func compress(_ s: inout (UInt32, UInt32, UInt32, UInt32), _ input: UnsafeRawPointer, _ blocks: Int) {
        var p = input
        var a = s.0, b = s.1, c = s.2, d = s.3
        for _ in 0..<blocks {
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 16) { xb in
                let x = xb.baseAddress!
                for i in 0..<16 { x[i] = UInt32(littleEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)) }
                ff(&a, b, c, d, x[0] &+ 0xd76aa478, 7)
                ff(&d, a, b, c, x[1] &+ 0xe8c7b756, 12)
                ff(&c, d, a, b, x[2] &+ 0x242070db, 17)
                ff(&b, c, d, a, x[3] &+ 0xc1bdceee, 22)
                ff(&a, b, c, d, x[4] &+ 0xf57c0faf, 7)
                ff(&d, a, b, c, x[5] &+ 0x4787c62a, 12)
                ff(&c, d, a, b, x[6] &+ 0xa8304613, 17)
                ff(&b, c, d, a, x[7] &+ 0xfd469501, 22)
                ff(&a, b, c, d, x[8] &+ 0x698098d8, 7)
                ff(&d, a, b, c, x[9] &+ 0x8b44f7af, 12)
                ff(&c, d, a, b, x[10] &+ 0xffff5bb1, 17)
                ff(&b, c, d, a, x[11] &+ 0x895cd7be, 22)
                ff(&a, b, c, d, x[12] &+ 0x6b901122, 7)
                ff(&d, a, b, c, x[13] &+ 0xfd987193, 12)
                ff(&c, d, a, b, x[14] &+ 0xa679438e, 17)
                ff(&b, c, d, a, x[15] &+ 0x49b40821, 22)
                gg(&a, b, c, d, x[1] &+ 0xf61e2562, 5)
                gg(&d, a, b, c, x[6] &+ 0xc040b340, 9)
                gg(&c, d, a, b, x[11] &+ 0x265e5a51, 14)
                gg(&b, c, d, a, x[0] &+ 0xe9b6c7aa, 20)
                gg(&a, b, c, d, x[5] &+ 0xd62f105d, 5)
                gg(&d, a, b, c, x[10] &+ 0x02441453, 9)
                gg(&c, d, a, b, x[15] &+ 0xd8a1e681, 14)
                gg(&b, c, d, a, x[4] &+ 0xe7d3fbc8, 20)
                gg(&a, b, c, d, x[9] &+ 0x21e1cde6, 5)
                gg(&d, a, b, c, x[14] &+ 0xc33707d6, 9)
                gg(&c, d, a, b, x[3] &+ 0xf4d50d87, 14)
                gg(&b, c, d, a, x[8] &+ 0x455a14ed, 20)
                gg(&a, b, c, d, x[13] &+ 0xa9e3e905, 5)
                gg(&d, a, b, c, x[2] &+ 0xfcefa3f8, 9)
                gg(&c, d, a, b, x[7] &+ 0x676f02d9, 14)
                gg(&b, c, d, a, x[12] &+ 0x8d2a4c8a, 20)
                hh(&a, b, c, d, x[5] &+ 0xfffa3942, 4)
                hh(&d, a, b, c, x[8] &+ 0x8771f681, 11)
                hh(&c, d, a, b, x[11] &+ 0x6d9d6122, 16)
                hh(&b, c, d, a, x[14] &+ 0xfde5380c, 23)
                hh(&a, b, c, d, x[1] &+ 0xa4beea44, 4)
                hh(&d, a, b, c, x[4] &+ 0x4bdecfa9, 11)
                hh(&c, d, a, b, x[7] &+ 0xf6bb4b60, 16)
                hh(&b, c, d, a, x[10] &+ 0xbebfbc70, 23)
                hh(&a, b, c, d, x[13] &+ 0x289b7ec6, 4)
                hh(&d, a, b, c, x[0] &+ 0xeaa127fa, 11)
                hh(&c, d, a, b, x[3] &+ 0xd4ef3085, 16)
                hh(&b, c, d, a, x[6] &+ 0x04881d05, 23)
                hh(&a, b, c, d, x[9] &+ 0xd9d4d039, 4)
                hh(&d, a, b, c, x[12] &+ 0xe6db99e5, 11)
                hh(&c, d, a, b, x[15] &+ 0x1fa27cf8, 16)
                hh(&b, c, d, a, x[2] &+ 0xc4ac5665, 23)
                ii(&a, b, c, d, x[0] &+ 0xf4292244, 6)
                ii(&d, a, b, c, x[7] &+ 0x432aff97, 10)
                ii(&c, d, a, b, x[14] &+ 0xab9423a7, 15)
                ii(&b, c, d, a, x[5] &+ 0xfc93a039, 21)
                ii(&a, b, c, d, x[12] &+ 0x655b59c3, 6)
                ii(&d, a, b, c, x[3] &+ 0x8f0ccc92, 10)
                ii(&c, d, a, b, x[10] &+ 0xffeff47d, 15)
                ii(&b, c, d, a, x[1] &+ 0x85845dd1, 21)
                ii(&a, b, c, d, x[8] &+ 0x6fa87e4f, 6)
                ii(&d, a, b, c, x[15] &+ 0xfe2ce6e0, 10)
                ii(&c, d, a, b, x[6] &+ 0xa3014314, 15)
                ii(&b, c, d, a, x[13] &+ 0x4e0811a1, 21)
                ii(&a, b, c, d, x[4] &+ 0xf7537e82, 6)
                ii(&d, a, b, c, x[11] &+ 0xbd3af235, 10)
                ii(&c, d, a, b, x[2] &+ 0x2ad7d2bb, 15)
                ii(&b, c, d, a, x[9] &+ 0xeb86d391, 21)
            }
            a = a &+ s.0; b = b &+ s.1; c = c &+ s.2; d = d &+ s.3
            s = (a, b, c, d)
            p += 64
        }
    }
}
