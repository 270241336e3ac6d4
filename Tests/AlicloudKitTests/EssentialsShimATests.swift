import Foundation
import Testing
@testable import AlicloudKit

/// The pieces in Support/EssentialsA.swift, and the template engine's Go regular expressions
/// on the standard library's Regex, against the Foundation calls they replace.
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

    /// A Go pattern, the ICU pattern the engine used to run for it, and subjects.
    static let patterns: [(String, String, [String])] = [
        ("a.b", "a.b", ["a\rb a\nb a\u{85}b a\u{2028}b", "axb"]),
        ("(?s)a.b", "(?s)a.b", ["a\nb a\rb"]),
        ("a$", "a\\z", ["a\n", "a", "ba\r"]),
        ("(?m)^(\\w+)$", "(?m)^(\\w+)$", ["one\ntwo\n", "x\r\ny"]),
        ("(?m)a$", "(?m)a$", ["a\r\na\na"]),
        ("(?P<k>[a-z]+)=(?P<v>\\d*)", "(?<k>[a-z]+)=(?<v>\\d*)", ["a=1 bb= c=33"]),
        ("\r", "\r", ["x\r\ny\r\n"]),
        ("[$.]+", "[$.]+", ["a$.b..c"]),
        ("x*", "x*", ["axxb", ""]),
        ("(a)|(b)", "(a)|(b)", ["ab"]),
        ("[]a]+[^]x]", "[]a]+[^]x]", ["a]]y ]x"]),
        ("[^\\n]x", "[^\\n]x", ["\nx \rx"]),
    ]

    @Test(arguments: patterns.indices) func goRegexMatchesTheICUOne(_ i: Int) throws {
        let (go, icu, subjects) = Self.patterns[i]
        let mine = try GoRegex(go, argument: 0, name: "pattern")
        let theirs = try NSRegularExpression(pattern: icu, options: [.useUnixLineSeparators])
        for s in subjects {
            let ns = s as NSString
            let expected = theirs.matches(in: s, range: NSRange(location: 0, length: ns.length)).map { m in
                (0...theirs.numberOfCaptureGroups).map { k in m.range(at: k).location == NSNotFound ? nil : ns.substring(with: m.range(at: k)) }
            }
            let got = mine.matches(s).map { m in
                (0...mine.names.count).map { k in m.output[k].range.map { String(s.unicodeScalars[$0]) } }
            }
            #expect(got == expected, "\(go) on \(Array(s.unicodeScalars))")
            let template = "<$1>"
            #expect(mine.replaceAll(s, template) == theirs.stringByReplacingMatches(in: s, range: NSRange(location: 0, length: ns.length), withTemplate: template),
                    "\(go) on \(Array(s.unicodeScalars))")
        }
    }
}
