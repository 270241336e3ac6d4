/// SHA-256 (FIPS 180-4), streaming, pure Swift. The rounds are unrolled eight at a time
/// with rotating variable roles and read words straight from the caller's buffer.
public struct SHA256: HashFunction {
    public static let blockSize = 64
    public static let digestSize = 32

    @usableFromInline var h0: UInt32 = 0x6a09e667, h1: UInt32 = 0xbb67ae85
    @usableFromInline var h2: UInt32 = 0x3c6ef372, h3: UInt32 = 0xa54ff53a
    @usableFromInline var h4: UInt32 = 0x510e527f, h5: UInt32 = 0x9b05688c
    @usableFromInline var h6: UInt32 = 0x1f83d9ab, h7: UInt32 = 0x5be0cd19
    @usableFromInline var buffer = BlockBuffer(blockSize: 64)

    /// A fresh state.
    public init() {}

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        var s = (h0, h1, h2, h3, h4, h5, h6, h7)
        buffer.feed(bytes, blockSize: 64) { p, n in SHA256.compress(&s, p, n) }
        (h0, h1, h2, h3, h4, h5, h6, h7) = s
    }

    /// The digest of everything added so far.
    public func finalize() -> [UInt8] {
        var s = (h0, h1, h2, h3, h4, h5, h6, h7)
        let tail = buffer.padding(bigEndianLength: true)
        tail.withUnsafeBytes { SHA256.compress(&s, $0.baseAddress!, tail.count / 64) }
        var out = [UInt8]()
        out.reserveCapacity(32)
        for w in [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7] {
            out.append(UInt8(truncatingIfNeeded: w >> 24))
            out.append(UInt8(truncatingIfNeeded: w >> 16))
            out.append(UInt8(truncatingIfNeeded: w >> 8))
            out.append(UInt8(truncatingIfNeeded: w))
        }
        return out
    }

    typealias State = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)

    @inline(__always) static func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

    @inline(__always)
    static func round(
        _ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
        _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32
    ) {
        let t1 = h &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ kw
        let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
        d = d &+ t1
        h = t1 &+ t2
    }

    @inline(__always)
    static func compress(_ s: inout State, _ input: UnsafeRawPointer, _ blocks: Int) {
        sha256K.withUnsafeBufferPointer { kp in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                let k = kp.baseAddress!
                let w = w.baseAddress!
                var p = input
                var a = s.0, b = s.1, c = s.2, d = s.3, e = s.4, f = s.5, g = s.6, h = s.7
                for _ in 0..<blocks {
                    for i in 0..<16 {
                        w[i] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self))
                    }
                    for i in 16..<64 {
                        let x = w[i - 15], y = w[i - 2]
                        let s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3)
                        let s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y &>> 10)
                        w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
                    }
                    var i = 0
                    while i < 64 {
                        round(a, b, c, &d, e, f, g, &h, k[i] &+ w[i])
                        round(h, a, b, &c, d, e, f, &g, k[i + 1] &+ w[i + 1])
                        round(g, h, a, &b, c, d, e, &f, k[i + 2] &+ w[i + 2])
                        round(f, g, h, &a, b, c, d, &e, k[i + 3] &+ w[i + 3])
                        round(e, f, g, &h, a, b, c, &d, k[i + 4] &+ w[i + 4])
                        round(d, e, f, &g, h, a, b, &c, k[i + 5] &+ w[i + 5])
                        round(c, d, e, &f, g, h, a, &b, k[i + 6] &+ w[i + 6])
                        round(b, c, d, &e, f, g, h, &a, k[i + 7] &+ w[i + 7])
                        i += 8
                    }
                    a = a &+ s.0; b = b &+ s.1; c = c &+ s.2; d = d &+ s.3
                    e = e &+ s.4; f = f &+ s.5; g = g &+ s.6; h = h &+ s.7
                    s = (a, b, c, d, e, f, g, h)
                    p += 64
                }
            }
        }
    }
}

let sha256K: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]
