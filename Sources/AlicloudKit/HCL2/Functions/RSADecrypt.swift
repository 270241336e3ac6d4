import FoundationEssentials

extension HCLFunctions {
    /// rsadecrypt: RSA PKCS #1 v1.5 decryption with a PEM PKCS #1 private key, as
    /// go-cty-funcs does it (Go's x509.ParsePKCS1PrivateKey and rsa.DecryptPKCS1v15).
    static let rsa: [String: HCLFunction] = [
        "rsadecrypt": HCLFunction([HCLParameter("ciphertext", .string), HCLParameter("privatekey", .string)]) { a, _ throws(HCLFunctionError) in
            let text = a[0].argString
            guard let cipher = Data(base64Encoded: text) else {
                throw HCLFunctionError("failed to decode input \(GoFormat.quote(text)): cipher text must be base64-encoded")
            }
            let key = try RSAPrivateKey(pem: a[1].argString)
            return .string(try key.decryptPKCS1v15(Array(cipher)))
        },
    ]
}

/// The modulus and private exponent of an RSA key read from PEM (PKCS #1 `RSA PRIVATE KEY`).
struct RSAPrivateKey {
    var modulus: BigUInt
    var exponent: BigUInt

    /// Reads the first PEM block (Go's pem.Decode, then x509.ParsePKCS1PrivateKey).
    init(pem: String) throws(HCLFunctionError) {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingBlanks() }
        guard let begin = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") && $0.hasSuffix("-----") }),
              let end = lines[begin...].firstIndex(where: { $0.hasPrefix("-----END ") }) else {
            throw HCLFunctionError("failed to parse key: no key found")
        }
        let type = lines[begin].dropFirst(11).dropLast(5)
        var body = lines[(begin + 1)..<end]
        var headers: [String: String] = [:]
        while let first = body.first, let colon = first.firstIndex(of: ":") {
            headers[String(first[..<colon])] = first[first.index(after: colon)...].trimmingBlanks()
            body = body.dropFirst()
        }
        if headers["Proc-Type"] == "4,ENCRYPTED" {
            throw HCLFunctionError("failed to parse key: password protected keys are not supported. Please decrypt the key prior to use")
        }
        guard let der = Data(base64Encoded: body.joined()) else { throw HCLFunctionError("failed to parse key: no key found") }
        var reader = DERReader(bytes: Array(der))
        guard var seq = reader.read(tag: 0x30), let version = seq.read(tag: 0x02), version.bytes == [0],
              let n = seq.read(tag: 0x02), seq.read(tag: 0x02) != nil, let d = seq.read(tag: 0x02) else {
            let hint = type == "PRIVATE KEY" ? " (use ParsePKCS8PrivateKey instead for this key format)" : ""
            throw HCLFunctionError("x509: failed to parse private key\(hint)")
        }
        modulus = BigUInt(bytes: n.bytes)
        exponent = BigUInt(bytes: d.bytes)
    }

    /// m = c^d mod n, then the PKCS #1 v1.5 type 2 padding removed.
    func decryptPKCS1v15(_ cipher: [UInt8]) throws(HCLFunctionError) -> String {
        let k = (modulus.bitWidth + 7) / 8
        let c = BigUInt(bytes: cipher)
        guard cipher.count <= k, c < modulus, modulus.limbs[0] & 1 == 1 else { throw HCLFunctionError("crypto/rsa: decryption error") }
        let em = Montgomery(modulus).power(c, exponent).bytes(count: k)
        guard em.count >= 11, em[0] == 0, em[1] == 2, let zero = em[2...].firstIndex(of: 0), zero >= 10 else {
            throw HCLFunctionError("crypto/rsa: decryption error")
        }
        return String(decoding: em[(zero + 1)...], as: UTF8.self)
    }
}

/// Reads DER type-length-value items.
struct DERReader {
    var bytes: [UInt8]
    var offset = 0

    /// The next item if it has `tag`, as a reader over its contents.
    mutating func read(tag: UInt8) -> DERReader? {
        guard offset + 2 <= bytes.count, bytes[offset] == tag else { return nil }
        var length = Int(bytes[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, start + count <= bytes.count else { return nil }
            length = bytes[start..<(start + count)].reduce(0) { $0 << 8 | Int($1) }
            start += count
        }
        guard start + length <= bytes.count else { return nil }
        offset = start + length
        return DERReader(bytes: Array(bytes[start..<(start + length)]))
    }
}

/// An unsigned integer of any size, little-endian 32-bit limbs.
struct BigUInt: Comparable {
    var limbs: [UInt32]

    /// From big-endian bytes.
    init(bytes: [UInt8]) {
        var out: [UInt32] = []
        var i = bytes.count
        while i > 0 {
            let lo = max(0, i - 4)
            out.append(bytes[lo..<i].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            i = lo
        }
        while out.count > 1, out.last == 0 { out.removeLast() }
        limbs = out.isEmpty ? [0] : out
    }

    /// From little-endian limbs (leading zeros dropped).
    init(limbs: [UInt32]) {
        var l = limbs
        while l.count > 1, l.last == 0 { l.removeLast() }
        self.limbs = l.isEmpty ? [0] : l
    }

    var bitWidth: Int { (limbs.count - 1) * 32 + (32 - limbs.last!.leadingZeroBitCount) }

    /// Big-endian bytes, left-padded to `count`.
    func bytes(count: Int) -> [UInt8] {
        var out: [UInt8] = []
        for l in limbs.reversed() { out += [UInt8(l >> 24), UInt8((l >> 16) & 0xFF), UInt8((l >> 8) & 0xFF), UInt8(l & 0xFF)] }
        while out.count > count, out.first == 0 { out.removeFirst() }
        return [UInt8](repeating: 0, count: max(0, count - out.count)) + out
    }

    /// Numeric order.
    static func < (a: BigUInt, b: BigUInt) -> Bool {
        if a.limbs.count != b.limbs.count { return a.limbs.count < b.limbs.count }
        for i in stride(from: a.limbs.count - 1, through: 0, by: -1) where a.limbs[i] != b.limbs[i] { return a.limbs[i] < b.limbs[i] }
        return false
    }
}

/// Montgomery arithmetic modulo an odd n (CIOS multiplication).
struct Montgomery {
    let n: [UInt32]
    let nInverse: UInt32
    let rSquared: [UInt32]

    /// The context for an odd modulus.
    init(_ modulus: BigUInt) {
        n = modulus.limbs
        var inv: UInt32 = 1
        for _ in 0..<5 { inv = inv &* (2 &- n[0] &* inv) }
        nInverse = 0 &- inv
        // R² mod n by doubling 1 (2 · 32k) times.
        let k = n.count
        var x = [UInt32](repeating: 0, count: k + 1)
        x[0] = 1
        for _ in 0..<(64 * k) {
            var carry: UInt32 = 0
            for i in 0...k { let v = x[i]; x[i] = v << 1 | carry; carry = v >> 31 }
            if Montgomery.compare(x, n) >= 0 { Montgomery.subtract(&x, n) }
        }
        rSquared = Array(x[0..<k])
    }

    /// -1, 0 or 1 as limb arrays compare numerically.
    static func compare(_ a: [UInt32], _ b: [UInt32]) -> Int {
        for i in stride(from: max(a.count, b.count) - 1, through: 0, by: -1) {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    /// a -= b, for a >= b.
    static func subtract(_ a: inout [UInt32], _ b: [UInt32]) {
        var borrow: Int64 = 0
        for i in 0..<a.count {
            var v = Int64(a[i]) - (i < b.count ? Int64(b[i]) : 0) - borrow
            borrow = v < 0 ? 1 : 0
            if v < 0 { v += 1 << 32 }
            a[i] = UInt32(v)
        }
    }

    /// a · b · R⁻¹ mod n.
    func multiply(_ a: [UInt32], _ b: [UInt32]) -> [UInt32] {
        let k = n.count
        var t = [UInt32](repeating: 0, count: k + 2)
        t.withUnsafeMutableBufferPointer { t in
            n.withUnsafeBufferPointer { n in
                for i in 0..<k {
                    let ai = UInt64(a[i])
                    var carry: UInt64 = 0
                    for j in 0..<k {
                        let s = UInt64(t[j]) + ai * UInt64(b[j]) + carry
                        t[j] = UInt32(truncatingIfNeeded: s)
                        carry = s >> 32
                    }
                    var s = UInt64(t[k]) + carry
                    t[k] = UInt32(truncatingIfNeeded: s)
                    t[k + 1] = UInt32(s >> 32)
                    let m = UInt64(t[0] &* nInverse)
                    s = UInt64(t[0]) + m * UInt64(n[0])
                    carry = s >> 32
                    for j in 1..<k {
                        s = UInt64(t[j]) + m * UInt64(n[j]) + carry
                        t[j - 1] = UInt32(truncatingIfNeeded: s)
                        carry = s >> 32
                    }
                    s = UInt64(t[k]) + carry
                    t[k - 1] = UInt32(truncatingIfNeeded: s)
                    t[k] = t[k + 1] &+ UInt32(s >> 32)
                    t[k + 1] = 0
                }
            }
        }
        var r = Array(t[0...k])
        if Montgomery.compare(r, n) >= 0 { Montgomery.subtract(&r, n) }
        return Array(r[0..<k])
    }

    /// base^exponent mod n (base < n).
    func power(_ base: BigUInt, _ exponent: BigUInt) -> BigUInt {
        let k = n.count
        let b = multiply(base.limbs + [UInt32](repeating: 0, count: k - base.limbs.count), rSquared)
        var one = [UInt32](repeating: 0, count: k)
        one[0] = 1
        var r = multiply(one, rSquared)
        for i in stride(from: exponent.bitWidth - 1, through: 0, by: -1) {
            r = multiply(r, r)
            if exponent.limbs[i / 32] >> UInt32(i % 32) & 1 == 1 { r = multiply(r, b) }
        }
        return BigUInt(limbs: multiply(r, one))
    }
}
