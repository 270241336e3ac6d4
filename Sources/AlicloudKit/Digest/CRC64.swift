/// CRC-64/XZ ("ECMA" in Go and OSS's `x-oss-hash-crc64ecma`): reflected polynomial
/// 0xC96C5795D7870F42, init and xorout all ones. Streaming, slicing-by-8.
public struct CRC64ECMA: Sendable {
    /// The reflected polynomial.
    public static let polynomial: UInt64 = 0xC96C_5795_D787_0F42

    /// The CRC of everything added so far (the finished value, as OSS reports it).
    public private(set) var value: UInt64

    /// A fresh CRC (value 0), or one continuing from `seed`, the CRC of earlier bytes.
    public init(seed: UInt64 = 0) { value = seed }

    /// Adds bytes.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var p = bytes.baseAddress else { return }
        var n = bytes.count
        var crc = ~value
        crc64Tables.withUnsafeBufferPointer { tb in
            let t = tb.baseAddress!
            while n >= 8 {
                crc ^= UInt64(littleEndian: p.loadUnaligned(as: UInt64.self))
                crc = t[7 * 256 + Int(crc & 0xff)] ^ t[6 * 256 + Int((crc &>> 8) & 0xff)]
                    ^ t[5 * 256 + Int((crc &>> 16) & 0xff)] ^ t[4 * 256 + Int((crc &>> 24) & 0xff)]
                    ^ t[3 * 256 + Int((crc &>> 32) & 0xff)] ^ t[2 * 256 + Int((crc &>> 40) & 0xff)]
                    ^ t[1 * 256 + Int((crc &>> 48) & 0xff)] ^ t[Int(crc &>> 56)]
                p += 8
                n -= 8
            }
            while n > 0 {
                crc = t[Int((crc ^ UInt64(p.load(as: UInt8.self))) & 0xff)] ^ (crc &>> 8)
                p += 1
                n -= 1
            }
        }
        value = ~crc
    }

    /// Adds bytes.
    public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }
    /// Adds a string's UTF-8 bytes.
    public mutating func update(_ s: String) { update(Array(s.utf8)) }

    /// The CRC of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt64 {
        var c = CRC64ECMA()
        c.update(bytes)
        return c.value
    }

    /// The CRC of A+B from crc(A), crc(B) and B's length (zlib's crc_combine method),
    /// so part CRCs computed apart give the whole object's CRC.
    public static func combine(_ crc1: UInt64, _ crc2: UInt64, length2: UInt64) -> UInt64 {
        if length2 == 0 { return crc1 }
        // An operator for one zero bit, then squared to get two, four, ... zero bits.
        var odd = [UInt64](repeating: 0, count: 64)
        var even = [UInt64](repeating: 0, count: 64)
        odd[0] = polynomial
        var row: UInt64 = 1
        for i in 1..<64 {
            odd[i] = row
            row <<= 1
        }
        func times(_ mat: [UInt64], _ vec: UInt64) -> UInt64 {
            var sum: UInt64 = 0
            var v = vec
            var i = 0
            while v != 0 {
                if v & 1 != 0 { sum ^= mat[i] }
                v >>= 1
                i += 1
            }
            return sum
        }
        func square(_ mat: [UInt64]) -> [UInt64] { (0..<64).map { times(mat, mat[$0]) } }
        even = square(odd)  // two zero bits
        odd = square(even)  // four zero bits
        var c1 = crc1
        var len = length2
        repeat {
            even = square(odd)  // first pass: one zero byte
            if len & 1 != 0 { c1 = times(even, c1) }
            len >>= 1
            if len == 0 { break }
            odd = square(even)
            if len & 1 != 0 { c1 = times(odd, c1) }
            len >>= 1
        } while len != 0
        return c1 ^ crc2
    }
}

/// Eight 256-entry tables: table k maps a byte to its CRC after k further zero bytes.
let crc64Tables: [UInt64] = {
    var t = [UInt64](repeating: 0, count: 8 * 256)
    for n in 0..<256 {
        var c = UInt64(n)
        for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ CRC64ECMA.polynomial : c >> 1 }
        t[n] = c
    }
    for k in 1..<8 {
        for n in 0..<256 {
            let prev = t[(k - 1) * 256 + n]
            t[k * 256 + n] = (prev >> 8) ^ t[Int(prev & 0xff)]
        }
    }
    return t
}()
