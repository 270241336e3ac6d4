import Foundation
import Testing
@testable import AlicloudKit

/// The pieces in Support/EssentialsA.swift against the Foundation calls they replace.
@Suite struct EssentialsShimATests {
    /// Text that every listed character set can hold, and text it cannot.
    static let charsets: [(String, String.Encoding, String, String)] = [
        ("CP1252", .windowsCP1252, "café € „quoted“ Œuvre", "Привет"),
        ("CP1250", .windowsCP1250, "Łódź – Brno, Žilina", "日本"),
        ("CP1251", .windowsCP1251, "Привет, мир № 1", "café"),
        ("CP932", .shiftJIS, "日本語のテキスト ｶﾀｶﾅ abc", "€"),
    ]

    @Test(arguments: charsets.indices) func iconvMatchesFoundation(_ i: Int) throws {
        let (charset, encoding, text, foreign) = Self.charsets[i]
        let mine = try #require(Iconv.encode(text, to: charset))
        #expect(mine == [UInt8](try #require(text.data(using: encoding))), "\(charset)")
        #expect(Iconv.decode(mine, from: charset) == String(data: Data(mine), encoding: encoding))
        #expect(Iconv.decode(mine, from: charset) == text)
        #expect(Iconv.encode(foreign, to: charset) == nil)
        #expect(foreign.data(using: encoding) == nil)
    }

    @Test func iconvRefusesBadInputAndUnknownCharsets() {
        #expect(Iconv.decode([0x93], from: "CP932") == nil)
        #expect(Iconv.encode("x", to: "NO-SUCH-CHARSET") == nil)
        #expect(Iconv.encode("", to: "CP1252") == [])
        let long = String(repeating: "é", count: 10_000)
        #expect(Iconv.encode(long, to: "CP1252") == [UInt8](long.data(using: .windowsCP1252)!))
    }
}
