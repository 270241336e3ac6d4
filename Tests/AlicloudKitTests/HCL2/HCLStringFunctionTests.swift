import Foundation
import Testing
@testable import AlicloudKit

/// Packer's and Terraform's documented examples for the numeric, string and encoding functions.
@Suite struct HCLStringFunctionTests {
    static let numeric: [FunctionExample] = [
        .init("abs", [.num(23)], .num(23)), .init("abs", [.num(0)], .num(0)), .init("abs", [.num(-12.4)], .num(12.4)),
        .init("ceil", [.num(5)], .num(5)), .init("ceil", [.num(5.1)], .num(6)),
        .init("floor", [.num(5)], .num(5)), .init("floor", [.num(4.9)], .num(4)),
        .init("log", [.num(16), .num(2)], .num(4)), .init("log", [.num(50), .num(10)], .num(1.6989700043360185)),
        .init("max", [.num(12), .num(54), .num(3)], .num(54)), .init("min", [.num(12), .num(54), .num(3)], .num(3)),
        .init("max", [.str("5"), .num(2)], .num(5)),
        .init("parseint", [.str("100"), .num(10)], .num(100)), .init("parseint", [.str("FF"), .num(16)], .num(255)),
        .init("parseint", [.str("-10"), .num(16)], .num(-16)), .init("parseint", [.str("1011111011101111"), .num(2)], .num(48879)),
        .init("parseint", [.str("aA"), .num(62)], .num(656)),
        .init("pow", [.num(3), .num(2)], .num(9)), .init("pow", [.num(4), .num(0)], .num(1)),
        .init("signum", [.num(-13)], .num(-1)), .init("signum", [.num(0)], .num(0)), .init("signum", [.num(344)], .num(1)),
    ]

    static let strings: [FunctionExample] = [
        .init("chomp", [.str("hello\n")], .str("hello")), .init("chomp", [.str("hello\r\n")], .str("hello")),
        .init("chomp", [.str("hello\n\n")], .str("hello")),
        .init("format", [.str("Hello, %s!"), .str("Ander")], .str("Hello, Ander!")),
        .init("format", [.str("There are %d lights"), .num(4)], .str("There are 4 lights")),
        .init("format", [.str("%-5s|%5s|"), .str("ab"), .str("cd")], .str("ab   |   cd|")),
        .init("format", [.str("%5.2f"), .num(3.14159)], .str(" 3.14")),
        .init("format", [.str("%q %v %v"), .str("x"), .bool(true), .num(1.5)], .str("\"x\" true 1.5")),
        .init("format", [.str("%#v"), .obj(["a": .num(1), "b": .tup(.str("<"))])], .str("{\"a\":1,\"b\":[\"\\u003c\"]}")),
        .init("format", [.str("%[2]s %[1]s %s"), .str("a"), .str("b")], .str("b a b")),
        .init("format", [.str("%x %03d %t 100%%"), .num(255), .str("7"), .str("true")], .str("ff 007 true 100%")),
        .init("format", [.str("%.3s"), .str("abcdef")], .str("abc")),
        .init("format", [.str("%08.3f|%+d|%e|%g|%G"), .num(-3.14159), .num(5), .num(123456.789), .num(0.00001234), .num(1e21)],
              .str("-003.142|+5|1.234568e+05|1.234e-05|1E+21")),
        .init("format", [.str("%b %o %X %#x %8v|%-4q|"), .num(5), .num(8), .num(255), .num(255), .tup(.num(1)), .str("é")], .str("101 10 FF 0xff      [1]|\"é\" |")),
        .init("formatlist", [.str("Hello, %s!"), .strs("Valentina", "Ander")], .strs("Hello, Valentina!", "Hello, Ander!")),
        .init("formatlist", [.str("%s, %s!"), .str("Salutations"), .tup(.str("Valentina"), .str("Ander"))], .strs("Salutations, Valentina!", "Salutations, Ander!")),
        .init("indent", [.num(2), .str("[\n  foo,\n  bar,\n]\n")], .str("[\n    foo,\n    bar,\n  ]\n  ")),
        .init("join", [.str(", "), .strs("foo", "bar", "baz")], .str("foo, bar, baz")),
        .init("join", [.str(", "), .strs("foo")], .str("foo")),
        .init("join", [.str("-"), .strs("a"), .tup(.str("b"), .num(1))], .str("a-b-1")),
        .init("lower", [.str("HELLO")], .str("hello")), .init("lower", [.str("АЛЛО!")], .str("алло!")),
        .init("upper", [.str("hello")], .str("HELLO")), .init("upper", [.str("алло!")], .str("АЛЛО!")),
        .init("regex", [.str("[a-z]+"), .str("53453453.345345aaabbbccc23454")], .str("aaabbbccc")),
        .init("regex", [.str("(\\d\\d\\d\\d)-(\\d\\d)-(\\d\\d)"), .str("2019-02-01")], .tup(.str("2019"), .str("02"), .str("01"))),
        .init("regex", [.str("^(?:(?P<scheme>[^:/?#]+):)?(?://(?P<authority>[^/?#]*))?"), .str("https://terraform.io/docs/")],
              .obj(["authority": .str("terraform.io"), "scheme": .str("https")])),
        .init("regex", [.str("(a)|(b)"), .str("b")], .tup(.null(.string), .str("b"))),
        .init("regexall", [.str("[a-z]+"), .str("1234abcd5678efgh9")], .strs("abcd", "efgh")),
        .init("regexall", [.str("[a-z]+"), .str("123")], .list([], .string)),
        .init("regexall", [.str("a$"), .str("a\n")], .list([], .string)),
        .init("regexall", [.str("(?m)a$"), .str("a\na")], .strs("a", "a")),
        .init("regex", [.str("[$]+[]a]"), .str("x$$]")], .str("$$]")),
        .init("replace", [.str("1 + 2 + 3"), .str("+"), .str("-")], .str("1 - 2 - 3")),
        .init("replace", [.str("hello world"), .str("/w.*d/"), .str("everybody")], .str("hello everybody")),
        .init("replace", [.str("2019-02-01"), .str("/(\\d+)-(\\d+)-(?P<day>\\d+)/"), .str("${day}.$2.$1 $$")], .str("01.02.2019 $")),
        .init("regex_replace", [.str("2006-01-02T15:04:05Z"), .str("[- TZ:]"), .str("")], .str("20060102150405")),
        .init("split", [.str(","), .str("foo")], .strs("foo")), .init("split", [.str(","), .str("foo,bar,baz")], .strs("foo", "bar", "baz")),
        .init("split", [.str(","), .str("")], .strs("")),
        .init("split", [.str("\n"), .str("a\r\nb")], .strs("a\r", "b")), .init("split", [.str(""), .str("e\u{301}x")], .strs("e", "\u{301}", "x")),
        .init("regexall", [.str("."), .str("a\r\n")], .strs("a", "\r")),
        .init("strrev", [.str("hello")], .str("olleh")), .init("strrev", [.str("a ☃")], .str("☃ a")),
        .init("substr", [.str("hello world"), .num(1), .num(4)], .str("ello")), .init("substr", [.str("🤔🤷"), .num(0), .num(1)], .str("🤔")),
        .init("substr", [.str("hello world"), .num(-5), .num(-1)], .str("world")), .init("substr", [.str("hello world"), .num(6), .num(10)], .str("world")),
        .init("substr", [.str("hello"), .num(9), .num(1)], .str("")),
        .init("title", [.str("hello world")], .str("Hello World")), .init("title", [.str("don't-stop me_now ébé")], .str("Don'T-Stop Me_now Ébé")),
        .init("trim", [.str("?!hello?!"), .str("!?")], .str("hello")),
        .init("trimprefix", [.str("helloworld"), .str("hello")], .str("world")), .init("trimprefix", [.str("helloworld"), .str("cat")], .str("helloworld")),
        .init("trimsuffix", [.str("helloworld"), .str("world")], .str("hello")), .init("trimspace", [.str("  hello\n\n")], .str("hello")),
        .init("startswith", [.str("hello world"), .str("hello")], .bool(true)), .init("startswith", [.str("hello world"), .str("world")], .bool(false)),
        .init("endswith", [.str("hello world"), .str("world")], .bool(true)), .init("endswith", [.str("hello world"), .str("hello")], .bool(false)),
        .init("strcontains", [.str("hello world"), .str("wor")], .bool(true)), .init("strcontains", [.str("hello world"), .str("cat")], .bool(false)),
    ]

    static let encodings: [FunctionExample] = [
        .init("base64encode", [.str("Hello World")], .str("SGVsbG8gV29ybGQ=")),
        .init("base64decode", [.str("SGVsbG8gV29ybGQ=")], .str("Hello World")),
        .init("csvdecode", [.str("a,b,c\n1,2,3\n4,\"5,\"\"x\"\"\",6\n")], .list([
            .obj(["a": .str("1"), "b": .str("2"), "c": .str("3")]), .obj(["a": .str("4"), "b": .str("5,\"x\""), "c": .str("6")]),
        ], .object(["a": .string, "b": .string, "c": .string]))),
        .init("jsondecode", [.str("{\"hello\": \"world\"}")], .obj(["hello": .str("world")])),
        .init("jsondecode", [.str("true")], .bool(true)),
        .init("jsondecode", [.str("[1, \"a\", null]")], .tup(.num(1), .str("a"), .nullValue)),
        .init("jsonencode", [.obj(["hello": .str("world")])], .str("{\"hello\":\"world\"}")),
        .init("jsonencode", [.tup(.num(1), .bool(false), .nullValue, .str("a&b"))], .str("[1,false,null,\"a\\u0026b\"]")),
        .init("jsonencode", [.tup(.num(1e21), .num(1e-7), .num(-2.5))], .str("[1000000000000000000000,0.0000001,-2.5]")),
        .init("yamlencode", [.tup(.num(1e21), .num(.infinity))], .str("- 1000000000000000000000\n- +Inf\n")),
        .init("urlencode", [.str("Hello World!")], .str("Hello+World%21")), .init("urlencode", [.str("☃")], .str("%E2%98%83")),
        .init("urlencode", [.str("foo:bar@localhost?foo=bar&bar=baz")], .str("foo%3Abar%40localhost%3Ffoo%3Dbar%26bar%3Dbaz")),
        .init("textencodebase64", [.str("Hello World"), .str("UTF-16LE")], .str("SABlAGwAbABvACAAVwBvAHIAbABkAA==")),
        .init("textdecodebase64", [.str("SABlAGwAbABvACAAVwBvAHIAbABkAA=="), .str("UTF-16LE")], .str("Hello World")),
        .init("textencodebase64", [.str("Hi"), .str("utf-16")], .str("/v8ASABp")),
        .init("textdecodebase64", [.str("//5IAGkA"), .str("UTF-16")], .str("Hi")),
        .init("textencodebase64", [.str("café"), .str("ISO-8859-1")], .str("Y2Fm6Q==")),
        .init("yamldecode", [.str("hello: world")], .obj(["hello": .str("world")])),
        .init("yamldecode", [.str("true")], .bool(true)),
        .init("yamldecode", [.str("{a: [1, 2, 3], b: \"x\"}")], .obj(["a": .tup(.num(1), .num(2), .num(3)), "b": .str("x")])),
        .init("yamldecode", [.str("""
            # a comment
            ---
            name: web # trailing
            ports:
              - 80
              - 443
            tags:
            - k: v
              n: ~
            script: |
              echo a
              echo b
            folded: >-
              one
              two
            quoted: 'it''s'
            """)], .obj([
                "name": .str("web"), "ports": .tup(.num(80), .num(443)), "tags": .tup(.obj(["k": .str("v"), "n": .nullValue])),
                "script": .str("echo a\necho b\n"), "folded": .str("one two"), "quoted": .str("it's"),
            ])),
        .init("yamldecode", [.str("users:\r\n  - name: a\r\n    groups:\r\n      - wheel\r\n  - name: b\r\nempty:\r\nlast: 1.5e3\r\n")], .obj([
            "users": .tup(.obj(["name": .str("a"), "groups": .tup(.str("wheel"))]), .obj(["name": .str("b")])),
            "empty": .nullValue, "last": .num(1500),
        ])),
        .init("yamldecode", [.str("- - a\n  - b\n- c\n- \"x: y\"\n- 'q' # note\n- http://h:80/p\n")],
              .tup(.tup(.str("a"), .str("b")), .str("c"), .str("x: y"), .str("q"), .str("http://h:80/p"))),
        .init("yamldecode", [.str("a: |+\n  keep\n\nb: >\n  x\n  y\n\n  z\n")], .obj(["a": .str("keep\n\n"), "b": .str("x y\nz\n")])),
        .init("yamlencode", [.obj(["a": .str("b"), "c": .str("d")])], .str("\"a\": \"b\"\n\"c\": \"d\"\n")),
        .init("yamlencode", [.obj(["foo": .tup(.num(1), .num(2), .num(3)), "bar": .str("baz")])], .str("\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n")),
        .init("yamlencode", [.obj(["foo": .tup(.num(1), .obj(["a": .str("b"), "c": .str("d")]), .num(3)), "bar": .str("baz")])],
              .str("\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n")),
        .init("yamlencode", [.obj(["m": .obj(["x": .tup()]), "s": .str("l1\nl2")])], .str("\"m\":\n  \"x\": []\n\"s\": |-\n  l1\n  l2\n")),
    ]

    static let failures: [FunctionFailure] = [
        .init("parseint", [.str("12"), .num(2)], "invalid value for \"number\" parameter: cannot parse \"12\" as a base 2 integer"),
        .init("parseint", [.str("1"), .num(63)], "invalid value for \"base\" parameter: base must be a whole number between 2 and 62 inclusive"),
        .init("parseint", [.num(1), .num(10)], "invalid value for \"number\" parameter: first argument must be a string, not number"),
        .init("max", [], "must pass at least one number"),
        .init("abs", [.str("x")], "invalid value for \"num\" parameter: a number is required"),
        .init("format", [.str("%d"), .str("x")], "unsupported value for \"%d\" at 0: a number is required"),
        .init("format", [.str("%d"), .num(1.5)], "unsupported value for \"%d\" at 0: an integer is required"),
        .init("format", [.str("a %s")], "not enough arguments for \"%s\" at 2: need index 1 but have 0 total"),
        .init("format", [.str("a"), .num(1)], "too many arguments; no verbs in format string"),
        .init("format", [.str("%s"), .num(1), .num(2)], "too many arguments; only 1 used by format string"),
        .init("format", [.str("%s"), .nullValue], "unsupported value for \"%s\" at 0: null value cannot be formatted"),
        .init("formatlist", [.str("%s%s"), .strs("a"), .strs("b", "c")], "argument 3 has length 2, which is inconsistent with argument 2 of length 1"),
        .init("join", [.str(",")], "at least one list is required"),
        .init("regex", [.str("[a-z]+"), .str("53453453.34534523454")], "pattern did not match any part of the given string"),
        .init("regex", [.str("(?P<a>x)(y)"), .str("xy")], "invalid value for \"pattern\" parameter: invalid regexp pattern: cannot mix both named and unnamed capture groups"),
        .init("regex", [.str("(a"), .str("a")], "invalid value for \"pattern\" parameter: invalid regexp pattern: missing closing ) in (a"),
        .init("regexall", [.str("a)"), .str("a")], "invalid value for \"pattern\" parameter: invalid regexp pattern: unexpected ) in a)"),
        .init("replace", [.str("a"), .str("/x[a-/"), .str("")], "invalid value for \"substr\" parameter: invalid regexp pattern: missing closing ] in [a-"),
        .init("regex_replace", [.str("a"), .str("*a"), .str("")], "invalid value for \"substr\" parameter: invalid regexp pattern: missing argument to repetition operator in *"),
        .init("substr", [.str("abc"), .num(0.5), .num(1)], "invalid value for \"offset\" parameter: value must be a whole number"),
        .init("base64decode", [.str("not base64!")], "failed to decode base64 data 'not base64!'"),
        .init("base64decode", [.str("/w==")], "the result of decoding the the provided string is not valid UTF-8"),
        .init("jsonencode", [.tup(.num(1), .num(-.infinity))], "cannot serialize infinity as JSON"),
        .init("jsondecode", [.str("x")], "invalid value for \"str\" parameter: a JSON document cannot begin with the character 'x'"),
        .init("csvdecode", [.str("a,b\n1\n")], "CSV parse error on line 2: wrong number of fields"),
        .init("csvdecode", [.str("")], "missing header line"),
        .init("textencodebase64", [.str("x"), .str("klingon")], "\"klingon\" is not a supported IANA encoding name or alias"),
        .init("textencodebase64", [.str("☃"), .str("ascii")], "the given string contains characters that cannot be represented in US-ASCII"),
        .init("yamldecode", [.str("a: &x 1\nb: *x")], "on line 1, column 4: anchors, aliases and tags are not supported"),
        .init("lower", [], "not enough arguments: function \"lower\" expects 1 argument; missing value for \"str\""),
        .init("lower", [.str("a"), .str("b")], "too many arguments: function \"lower\" expects only 1 argument"),
    ]

    @Test(arguments: numeric) func numericExamples(_ e: FunctionExample) throws { try check(e) }
    @Test(arguments: strings) func stringExamples(_ e: FunctionExample) throws { try check(e) }
    @Test(arguments: encodings) func encodingExamples(_ e: FunctionExample) throws { try check(e) }
    @Test(arguments: failures) func failingCalls(_ f: FunctionFailure) { check(f) }

    /// base64gzip's output is a gzip member any reader accepts: header, stored block, CRC-32, size.
    @Test func base64gzipIsValidGzip() throws {
        let out = try HCLFunctions.call("base64gzip", [.str("hello")], functionContext())
        let bytes = Array(Data(base64Encoded: out.stringValue ?? "") ?? Data())
        #expect(Array(bytes.prefix(3)) == [0x1F, 0x8B, 8])
        #expect(Array(bytes[10..<15]) == [1, 5, 0, 0xFA, 0xFF])
        #expect(String(decoding: bytes[15..<20], as: UTF8.self) == "hello")
        #expect(Array(bytes[20..<28]) == [0x86, 0xA6, 0x10, 0x36, 5, 0, 0, 0])
    }
}

/// yamlencode's and jsonencode's output reads back through yamldecode and jsondecode to the
/// same value (tuples and objects, as cty's decoding gives them).
@Suite struct HCLEncodingRoundTripTests {
    static let values: [HCLValue] = [
        .obj(["name": .str("web: #1 \"quoted\" 'x'"), "port": .num(8080), "ratio": .num(0.25), "on": .bool(true), "off": .nullValue]),
        .tup(.str("a\nb\nc"), .str("trailing\n"), .str("tab\there"), .str("☃ snow"), .str("\u{7}bell"), .str(""), .str("null"), .str("1")),
        .obj(["nested": .obj(["list": .tup(.obj(["k": .tup()]), .obj(["m": .obj([:])]), .tup(.num(1), .tup(.num(2))))]), "script": .str("#!/bin/sh\nset -eu\necho ok\n")]),
        .tup(),
        .str("- not a list"),
    ]

    @Test(arguments: values) func roundTrips(_ v: HCLValue) throws {
        let c = functionContext()
        let text = try HCLFunctions.call("yamlencode", [v], c)
        #expect(try HCLFunctions.call("yamldecode", [text], c) == v)
    }

    @Test(arguments: values) func jsonRoundTrips(_ v: HCLValue) throws {
        let c = functionContext()
        #expect(try HCLFunctions.call("jsondecode", [try HCLFunctions.call("jsonencode", [v], c)], c) == v)
    }
}
