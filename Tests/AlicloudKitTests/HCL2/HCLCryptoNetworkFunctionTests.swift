import Foundation
import Testing
@testable import AlicloudKit

/// The hash, UUID, bcrypt and IP network functions: documented examples and reference values.
@Suite struct HCLCryptoNetworkFunctionTests {
    static let examples: [FunctionExample] = [
        .init("md5", [.str("hello world")], .str("5eb63bbbe01eeed093cb22bb8f5acdc3")),
        .init("sha1", [.str("hello world")], .str("2aae6c35c94fcfb415dbe95f408b9ce91ee846ed")),
        .init("sha256", [.str("hello world")], .str("b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9")),
        .init("sha512", [.str("hello world")], .str("309ecc489c12d6eb4cc40f50c902f2b4d0ed77ee511a7c7a9bcd3ca86d4cd86f989dd35bc5ff499670da34255b45b0cfd830e81f605dcf7dc5542e93ae9cd76f")),
        .init("uuidv5", [.str("dns"), .str("www.terraform.io")], .str("a5008fae-b28c-5ba5-96cd-82b4c53552d6")),
        .init("uuidv5", [.str("url"), .str("https://www.terraform.io/")], .str("9db6f67c-dd95-5ea0-aa5b-e70e5c5f7cf5")),
        .init("uuidv5", [.str("oid"), .str("1.3.6.1.4")], .str("af9d40a5-7a36-5c07-b23a-851cd99fbfa5")),
        .init("uuidv5", [.str("x500"), .str("CN=Example,C=GB")], .str("84e09961-4aa4-57f8-95b7-03edb1073253")),
        .init("uuidv5", [.str("6ba7b810-9dad-11d1-80b4-00c04fd430c8"), .str("www.terraform.io")], .str("a5008fae-b28c-5ba5-96cd-82b4c53552d6")),
        .init("cidrhost", [.str("10.12.112.0/20"), .num(16)], .str("10.12.112.16")),
        .init("cidrhost", [.str("10.12.112.0/20"), .num(268)], .str("10.12.113.12")),
        .init("cidrhost", [.str("10.0.0.0/8"), .num(-1)], .str("10.255.255.255")),
        .init("cidrhost", [.str("fd00:fd12:3456:7890:00a2::/72"), .num(34)], .str("fd00:fd12:3456:7890::22")),
        .init("cidrnetmask", [.str("172.16.0.0/12")], .str("255.240.0.0")),
        .init("cidrsubnet", [.str("172.16.0.0/12"), .num(4), .num(2)], .str("172.18.0.0/16")),
        .init("cidrsubnet", [.str("10.1.2.0/24"), .num(4), .num(15)], .str("10.1.2.240/28")),
        .init("cidrsubnet", [.str("fd00:fd12:3456:7890::/56"), .num(16), .num(162)], .str("fd00:fd12:3456:7800:a200::/72")),
        .init("cidrsubnets", [.str("10.1.0.0/16"), .num(4), .num(4), .num(8), .num(4)], .strs("10.1.0.0/20", "10.1.16.0/20", "10.1.32.0/24", "10.1.48.0/20")),
        .init("cidrsubnets", [.str("fd00:fd12:3456:7890::/56"), .num(16), .num(16), .num(16), .num(32)],
              .strs("fd00:fd12:3456:7800::/72", "fd00:fd12:3456:7800:100::/72", "fd00:fd12:3456:7800:200::/72", "fd00:fd12:3456:7800:300::/88")),
        .init("cidrsubnets", [.str("10.0.0.0/8")], .list([], .string)),
    ]

    static let failures: [FunctionFailure] = [
        .init("cidrhost", [.str("10.0.0.0/30"), .num(4)], "prefix of 30 does not accommodate a host numbered 4"),
        .init("cidrsubnet", [.str("10.0.0.0/30"), .num(3), .num(0)], "insufficient address space to extend prefix of 30 by 3"),
        .init("cidrsubnet", [.str("10.0.0.0/24"), .num(2), .num(4)], "prefix extension of 2 does not accommodate a subnet numbered 4"),
        .init("cidrnetmask", [.str("10.0.0.0")], "invalid CIDR expression: invalid CIDR address: 10.0.0.0"),
        .init("cidrnetmask", [.str("10.0.0.256/8")], "invalid CIDR expression: invalid CIDR address: 10.0.0.256/8"),
        .init("cidrsubnets", [.str("10.0.0.0/30"), .num(1), .num(1), .num(1)], "not enough remaining address space for a subnet with a prefix of 31 bits after 10.0.0.2/31"),
        .init("cidrsubnets", [.str("10.0.0.0/30"), .num(3)], "would extend prefix to 33 bits, which is too long for an IPv4 address"),
        .init("cidrsubnets", [.str("10.0.0.0/8"), .num(0)], "must extend prefix by at least one bit"),
        .init("uuidv5", [.str("bogus"), .str("x")], "uuidv5() doesn't support namespace bogus (invalid UUID length: 5)"),
        .init("bcrypt", [.str("x"), .num(32)], "error occured generating password crypto/bcrypt: cost 32 is outside allowed inclusive range 4..31"),
        .init("bcrypt", [.str(String(repeating: "p", count: 73))], "error occured generating password bcrypt: password length exceeds 72 bytes"),
        .init("bcrypt", [.str("x"), .num(4), .num(5)], "bcrypt() takes no more than two arguments"),
    ]

    @Test(arguments: examples) func documentedExamples(_ e: FunctionExample) throws { try check(e) }
    @Test(arguments: failures) func failingCalls(_ f: FunctionFailure) { check(f) }

    /// OpenBSD's and Openwall's reference hashes (also what PyPI's bcrypt gives).
    @Test func bcryptMatchesReferenceHashes() throws {
        #expect(Bcrypt.hash(Array("U*U".utf8), cost: 5, salt: try #require(Bcrypt.decode("CCCCCCCCCCCCCCCCCCCCC.")))
                == "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW")
        #expect(Bcrypt.hash(Array("hello world".utf8), cost: 4, salt: try #require(Bcrypt.decode("abcdefghijklmnopqrstuu")))
                == "$2a$04$abcdefghijklmnopqrstuuGzf0dC9qUXPJ7WwQVOJirp54B3Tp9hO")
        let out = try #require(try HCLFunctions.call("bcrypt", [.str("secret"), .num(4)], functionContext()).stringValue)
        #expect(out.hasPrefix("$2a$04$") && out.count == 60)
        let salt = try #require(Bcrypt.decode(String(out.dropFirst(7).prefix(22))))
        #expect(Bcrypt.hash(Array("secret".utf8), cost: 4, salt: salt) == out)
    }

    /// uuidv4 is a random RFC 4122 version-4 UUID, reproducible under a fixed render clock.
    @Test func uuidv4IsVersion4AndSeeded() throws {
        let pattern = try Regex("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
        let c = functionContext()
        let a = try #require(try HCLFunctions.call("uuidv4", [], c).stringValue)
        let b = try #require(try HCLFunctions.call("uuidv4", [], c).stringValue)
        #expect(a.wholeMatch(of: pattern) != nil && b.wholeMatch(of: pattern) != nil)
        #expect(a != b)
        #expect(try HCLFunctions.call("uuidv4", [], functionContext()).stringValue == a)
    }
}
