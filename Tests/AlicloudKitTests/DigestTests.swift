import Testing
@testable import AlicloudKit

/// Published vectors: FIPS 180-4 examples, RFC 1321, RFC 2202, RFC 4231, CRC-64/XZ check.
@Suite struct DigestTests {
    static let fips448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"

    @Test(arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (fips448, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(_ input: String, _ hex: String) {
        #expect(SHA256.hash(input).hexString == hex)
    }

    @Test(arguments: [
        ("", "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"),
        ("abc", "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"),
        (fips448, "204a8fc6dda82f0a0ced7beb8e08a41657c16ef468b228a8279be331a703c33596fd15c13b1b07f9aa1d3bea57789ca031ad85c7a71dd70354ec631238ca3445"),
        // 111 and 112 bytes: the length field just fits, then needs a second padding block.
        (String(repeating: "x", count: 111), "9a2a120825c2319867758ec277924f6faa254968bf752046dacdd948d8ad299b10359fd04bfd7d3810b5fa1b16a294236138baff981cbb85248478053ac4d3dd"),
        (String(repeating: "x", count: 112), "a3722b515ef40c910f2419f6e0da8ca51d410114ce6272faae64045f9e9f630e7fa8dd5a3243c9860b899d148c3da4bc0f9e07454542604d030bb55531fe0d5b"),
    ])
    func sha512(_ input: String, _ hex: String) {
        #expect(SHA512.hash(input).hexString == hex)
        var bytewise = SHA512()
        for b in input.utf8 { bytewise.update([b]) }
        #expect(bytewise.finalize().hexString == hex)
    }

    @Test(arguments: [
        ("", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
        ("abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
        (fips448, "84983e441c3bd26ebaae4aa1f95129e5e54670f1"),
    ])
    func sha1(_ input: String, _ hex: String) {
        #expect(SHA1.hash(input).hexString == hex)
    }

    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        (String(repeating: "1234567890", count: 8), "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func md5(_ input: String, _ hex: String) {
        #expect(MD5.hash(input).hexString == hex)
    }

    /// The million-'a' vectors, fed in uneven chunks to exercise the partial-block path.
    @Test func millionA() {
        let chunk = [UInt8](repeating: UInt8(ascii: "a"), count: 1000)
        var s256 = SHA256(), s1 = SHA1(), m5 = MD5()
        var fed = 0
        var step = 1
        while fed < 1_000_000 {
            let n = min(step, 1_000_000 - fed, chunk.count)
            let part = Array(chunk[0..<n])
            s256.update(part)
            s1.update(part)
            m5.update(part)
            fed += n
            step = step % 997 + 37
        }
        #expect(s256.finalize().hexString == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
        #expect(s1.finalize().hexString == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(m5.finalize().hexString == "7707d6ae4e027c70eea2a935c2296f21")
    }

    /// Every length across the 55/56/64-byte padding boundaries gives the same digest
    /// whether fed at once or byte by byte, and finalize leaves the state usable.
    @Test func chunkingDoesNotMatter() {
        let data = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for len in [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 128, 129, 300] {
            let msg = Array(data[0..<len])
            var bytewise = SHA256()
            for b in msg { bytewise.update([b]) }
            #expect(bytewise.finalize() == SHA256.hash(msg))
            var m = MD5()
            for b in msg { m.update([b]) }
            #expect(m.finalize() == MD5.hash(msg))
            var s = SHA1()
            s.update(Array(msg.prefix(len / 2)))
            _ = s.finalize()
            s.update(Array(msg.dropFirst(len / 2)))
            #expect(s.finalize() == SHA1.hash(msg))
        }
    }

    static func rep(_ b: UInt8, _ n: Int) -> [UInt8] { [UInt8](repeating: b, count: n) }
    static let key25 = (1...25).map { UInt8($0) }
    static let bigKeyMsg = Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)

    @Test func hmacSHA1RFC2202() {
        let cases: [([UInt8], [UInt8], String)] = [
            (Self.rep(0x0b, 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
            (Self.rep(0xaa, 20), Self.rep(0xdd, 50), "125d7342b9ac11cd91a39af48aa17b4f63f175d3"),
            (Self.key25, Self.rep(0xcd, 50), "4c9007f4026250c6bc8414f9bf50c86c2d7235da"),
            (Self.rep(0x0c, 20), Array("Test With Truncation".utf8), "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04"),
            (Self.rep(0xaa, 80), Self.bigKeyMsg, "aa4ae5e15272d00e95705637ce8a3b55ed402112"),
            (Self.rep(0xaa, 80), Array("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data".utf8),
             "e8e99d0f45237d786d6bbaa7965c7808bbff1a91"),
        ]
        for (key, msg, hex) in cases {
            #expect(HMAC<SHA1>.authenticationCode(key: key, message: msg).hexString == hex)
        }
    }

    @Test func hmacMD5RFC2202() {
        #expect(HMAC<MD5>.authenticationCode(key: Self.rep(0x0b, 16), message: Array("Hi There".utf8)).hexString
            == "9294727a3638bb1c13f48ef8158bfc9d")
        #expect(HMAC<MD5>.authenticationCode(key: "Jefe", message: "what do ya want for nothing?").hexString
            == "750c783e6ab0b503eaa86e310a5db738")
        #expect(HMAC<MD5>.authenticationCode(key: Self.rep(0xaa, 80), message: Self.bigKeyMsg).hexString
            == "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd")
    }

    @Test func hmacSHA256RFC4231() {
        let cases: [([UInt8], [UInt8], String)] = [
            (Self.rep(0x0b, 20), Array("Hi There".utf8), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8),
             "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"),
            (Self.rep(0xaa, 20), Self.rep(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"),
            (Self.key25, Self.rep(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"),
            (Self.rep(0xaa, 131), Self.bigKeyMsg, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"),
            (Self.rep(0xaa, 131),
             Array("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.".utf8),
             "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"),
        ]
        for (key, msg, hex) in cases {
            #expect(HMAC<SHA256>.authenticationCode(key: key, message: msg).hexString == hex)
        }
        // RFC 4231 case 5 is truncated to 128 bits.
        let t = HMAC<SHA256>.authenticationCode(key: Self.rep(0x0c, 20), message: Array("Test With Truncation".utf8))
        #expect(t.prefix(16).hexString == "a3b6167473100ee06e0c796c2955552b")
    }

    @Test func hmacStreamingMatchesOneShot() {
        var mac = HMAC<SHA256>(key: Array("key".utf8))
        mac.update("The quick brown fox ")
        mac.update("jumps over the lazy dog")
        #expect(mac.finalize().hexString == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
    }

    @Test func crc64Vectors() {
        #expect(CRC64ECMA.checksum(Array("123456789".utf8)) == 0x995D_C9BB_DF19_39FA)
        #expect(CRC64ECMA.checksum(Array("123456789".utf8)) == 11_051_210_869_376_104_954)
        #expect(CRC64ECMA.checksum(Array("hello oss\n".utf8)) == 17_223_430_255_209_957_478)
        #expect(CRC64ECMA.checksum([]) == 0)
    }

    @Test func crc64StreamsAndCombines() {
        let a = Array("hello ".utf8), b = Array("world".utf8)
        var c = CRC64ECMA(seed: CRC64ECMA.checksum(a))
        c.update(b)
        #expect(c.value == CRC64ECMA.checksum(a + b))
        let data = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 3) }
        for cut in [0, 1, 7, 8, 9, 1000, 4999, 5000] {
            let x = Array(data[0..<cut]), y = Array(data[cut...])
            let combined = CRC64ECMA.combine(CRC64ECMA.checksum(x), CRC64ECMA.checksum(y), length2: UInt64(y.count))
            #expect(combined == CRC64ECMA.checksum(data), "cut \(cut)")
        }
    }

    @Test func encodings() {
        #expect([0x00, 0x0f, 0xab, 0xff].hexString == "000fabff")
        #expect(bytes(fromHex: "000fABff") == [0x00, 0x0f, 0xab, 0xff])
        #expect(bytes(fromHex: "0g") == nil)
        #expect(MD5.hash("hello oss\n").base64String == "S0EUoYu/KkxURvmvzPmSPw==")
    }
}
