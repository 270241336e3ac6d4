/// SHA-1 (FIPS 180-4), streaming, pure Swift. Kept for RPC signature v1 and OSS v1,
/// which still specify HMAC-SHA1.
public struct SHA1: HashFunction {
    public static let blockSize = 64
    public static let digestSize = 20

    @usableFromInline var h0: UInt32 = 0x67452301, h1: UInt32 = 0xEFCDAB89, h2: UInt32 = 0x98BADCFE
    @usableFromInline var h3: UInt32 = 0x10325476, h4: UInt32 = 0xC3D2E1F0
    @usableFromInline var buffer = BlockBuffer(blockSize: 64)

    /// A fresh state.
    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var s = (h0, h1, h2, h3, h4)
        buffer.feed(bytes, blockSize: 64) { p, n in SHA1.compress(&s, p, n) }
        (h0, h1, h2, h3, h4) = s
    }

    /// The digest of everything added so far.
    public func finalize() -> [UInt8] {
        var s = (h0, h1, h2, h3, h4)
        let tail = buffer.padding(bigEndianLength: true)
        tail.withUnsafeBytes { SHA1.compress(&s, $0.baseAddress!, tail.count / 64) }
        var out = [UInt8]()
        out.reserveCapacity(20)
        for w in [s.0, s.1, s.2, s.3, s.4] {
            out.append(UInt8(truncatingIfNeeded: w >> 24))
            out.append(UInt8(truncatingIfNeeded: w >> 16))
            out.append(UInt8(truncatingIfNeeded: w >> 8))
            out.append(UInt8(truncatingIfNeeded: w))
        }
        return out
    }

    @inline(__always) static func rotl(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &<< n) | (x &>> (32 &- n)) }

    @inline(__always)
    static func f1(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ wi: UInt32) {
        e = e &+ rotl(a, 5) &+ ((b & c) | (~b & d)) &+ 0x5A827999 &+ wi
        b = rotl(b, 30)
    }

    @inline(__always)
    static func f2(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ wi: UInt32) {
        e = e &+ rotl(a, 5) &+ (b ^ c ^ d) &+ 0x6ED9EBA1 &+ wi
        b = rotl(b, 30)
    }

    @inline(__always)
    static func f3(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ wi: UInt32) {
        e = e &+ rotl(a, 5) &+ ((b & c) | (b & d) | (c & d)) &+ 0x8F1BBCDC &+ wi
        b = rotl(b, 30)
    }

    @inline(__always)
    static func f4(_ a: UInt32, _ b: inout UInt32, _ c: UInt32, _ d: UInt32, _ e: inout UInt32, _ wi: UInt32) {
        e = e &+ rotl(a, 5) &+ (b ^ c ^ d) &+ 0xCA62C1D6 &+ wi
        b = rotl(b, 30)
    }

    @inline(__always)
    static func compress(_ s: inout (UInt32, UInt32, UInt32, UInt32, UInt32), _ input: UnsafeRawPointer, _ blocks: Int) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { w in
            let w = w.baseAddress!
            var p = input
            for _ in 0..<blocks {
                for i in 0..<16 {
                    w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                }
                for i in 16..<80 {
                    w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1)
                }
                var a = s.0, b = s.1, c = s.2, d = s.3, e = s.4
                // Five steps per loop with rotating roles, so no register shuffling.
                var i = 0
                while i < 20 {
                    f1(a, &b, c, d, &e, w[i + 0])
                    f1(e, &a, b, c, &d, w[i + 1])
                    f1(d, &e, a, b, &c, w[i + 2])
                    f1(c, &d, e, a, &b, w[i + 3])
                    f1(b, &c, d, e, &a, w[i + 4])
                    i += 5
                }
                while i < 40 {
                    f2(a, &b, c, d, &e, w[i + 0])
                    f2(e, &a, b, c, &d, w[i + 1])
                    f2(d, &e, a, b, &c, w[i + 2])
                    f2(c, &d, e, a, &b, w[i + 3])
                    f2(b, &c, d, e, &a, w[i + 4])
                    i += 5
                }
                while i < 60 {
                    f3(a, &b, c, d, &e, w[i + 0])
                    f3(e, &a, b, c, &d, w[i + 1])
                    f3(d, &e, a, b, &c, w[i + 2])
                    f3(c, &d, e, a, &b, w[i + 3])
                    f3(b, &c, d, e, &a, w[i + 4])
                    i += 5
                }
                while i < 80 {
                    f4(a, &b, c, d, &e, w[i + 0])
                    f4(e, &a, b, c, &d, w[i + 1])
                    f4(d, &e, a, b, &c, w[i + 2])
                    f4(c, &d, e, a, &b, w[i + 3])
                    f4(b, &c, d, e, &a, w[i + 4])
                    i += 5
                }
                s = (s.0 &+ a, s.1 &+ b, s.2 &+ c, s.3 &+ d, s.4 &+ e)
                p += 64
            }
        }
    }
}
