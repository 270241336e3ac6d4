import Foundation
import Testing
@testable import AlicloudKit

/// The filesystem, date/time and Packer-specific functions: documented examples, and a
/// scratch directory for the file functions.
@Suite struct HCLSystemFunctionTests {
    static let dates: [FunctionExample] = [
        .init("formatdate", [.str("DD MMM YYYY hh:mm ZZZ"), .str("2018-01-02T23:12:01Z")], .str("02 Jan 2018 23:12 UTC")),
        .init("formatdate", [.str("EEEE, DD-MMM-YY hh:mm:ss ZZZ"), .str("2018-01-02T23:12:01Z")], .str("Tuesday, 02-Jan-18 23:12:01 UTC")),
        .init("formatdate", [.str("EEE, DD MMM YYYY hh:mm:ss ZZZ"), .str("2018-01-02T23:12:01-08:00")], .str("Tue, 02 Jan 2018 23:12:01 -0800")),
        .init("formatdate", [.str("MMM DD, YYYY"), .str("2018-01-02T23:12:01Z")], .str("Jan 02, 2018")),
        .init("formatdate", [.str("HH:mmaa"), .str("2018-01-02T23:12:01Z")], .str("11:12pm")),
        .init("formatdate", [.str("h 'o''clock'"), .str("2018-01-02T11:12:01Z")], .str("11 o'clock")),
        .init("formatdate", [.str("YYYYMMDDhhmmss Z ZZZZZ"), .str("2018-01-02T23:12:01.5+05:30")], .str("20180102231201 +05:30 +05:30")),
        .init("timeadd", [.str("2017-11-22T00:00:00Z"), .str("10m")], .str("2017-11-22T00:10:00Z")),
        .init("timeadd", [.str("2017-11-22T00:00:00Z"), .str("-1h")], .str("2017-11-21T23:00:00Z")),
        .init("timeadd", [.str("2017-11-22T00:00:00+01:00"), .str("1h30m")], .str("2017-11-22T01:30:00+01:00")),
        .init("timestamp", [], .str("2026-12-04T05:06:07Z")),
        .init("legacy_isotime", [], .str("2026-12-04T05:06:07Z")),
        .init("legacy_isotime", [.str("2006-01-02 15:04")], .str("2026-12-04 05:06")),
        .init("legacy_strftime", [.str("%Y-%m-%d %H")], .str("2026-12-04 05")),
        .init("rfc3339_parse", [.str("2023-07-25T23:43:16Z")], .obj([
            "year": .num(2023), "year_day": .num(206), "day": .num(25), "month": .num(7), "month_name": .str("July"),
            "weekday": .num(2), "weekday_name": .str("Tuesday"), "hour": .num(23), "minute": .num(43), "second": .num(16),
            "unix": .num(1_690_328_596), "iso_year": .num(2023), "iso_week": .num(30),
        ])),
        .init("unix_timestamp_parse", [.num(1_690_328_596)], .obj([
            "year": .num(2023), "year_day": .num(206), "day": .num(25), "month": .num(7), "month_name": .str("July"),
            "weekday": .num(2), "weekday_name": .str("Tuesday"), "hour": .num(23), "minute": .num(43), "second": .num(16),
            "rfc3339": .str("2023-07-25T23:43:16Z"), "iso_year": .num(2023), "iso_week": .num(30),
        ])),
    ]

    static let paths: [FunctionExample] = [
        .init("basename", [.str("foo/bar/baz.txt")], .str("baz.txt")), .init("basename", [.str("/a/b/")], .str("b")),
        .init("basename", [.str("")], .str(".")), .init("basename", [.str("/")], .str("/")),
        .init("dirname", [.str("foo/bar/baz.txt")], .str("foo/bar")), .init("dirname", [.str("baz.txt")], .str(".")),
        .init("dirname", [.str("/baz.txt")], .str("/")),
        .init("abspath", [.str("a/../b/./c")], .str("/work/b/c")), .init("abspath", [.str("/x//y/")], .str("/x/y")),
        .init("pathexpand", [.str("~/.ssh/id_rsa")], .str("/home/steve/.ssh/id_rsa")),
        .init("pathexpand", [.str("/etc/resolv.conf")], .str("/etc/resolv.conf")),
    ]

    static let failures: [FunctionFailure] = [
        .init("formatdate", [.str("YYY"), .str("2018-01-02T23:12:01Z")], "invalid value for \"format\" parameter: invalid date format verb \"YYY\": year must either be \"YY\" or \"YYYY\""),
        .init("formatdate", [.str("'abc"), .str("2018-01-02T23:12:01Z")], "invalid value for \"format\" parameter: unterminated literal '"),
        .init("formatdate", [.str("Q"), .str("2018-01-02T23:12:01Z")], "invalid value for \"format\" parameter: invalid date format verb \"Q\""),
        .init("timeadd", [.str("2017-11-22"), .str("1h")], "not a valid RFC3339 timestamp: missing required time introducer 'T'"),
        .init("timeadd", [.str("2017-11-22T00:00:00"), .str("1h")], "not a valid RFC3339 timestamp: end of string before UTC offset"),
        .init("timeadd", [.str("17-11-22T00:00:00Z"), .str("1h")], "not a valid RFC3339 timestamp: cannot use \"17-1\" as year"),
        .init("timeadd", [.str("2017-11-22T00:00:00Z"), .str("1x")], "time: unknown unit \"x\" in duration \"1x\""),
        .init("timeadd", [.str("2017-11-22T00:00:00Z"), .str("10")], "time: missing unit in duration \"10\""),
        .init("timeadd", [.str("2017-11-22T00:00:00Z"), .str("h")], "time: invalid duration \"h\""),
        .init("rfc3339_parse", [.str("yesterday")], "invalid value for \"timestamp\" parameter: \"yesterday\" is not a valid RFC3339 timestamp"),
        .init("pathexpand", [.str("~bob/x")], "cannot expand user-specific home dir"),
        .init("env", [.str("HOME")], "env can only be used in the default value of a variable (as in Packer); give the value to a variable with `default = env(\"HOME\")` and use var.<name>"),
        .init("vault", [.str("secret/x"), .str("k")], "vault is not supported: tmpl-render never calls external services such as Vault; pass the value with -var, -var-file or PKR_VAR_<name>"),
        .init("consul_key", [.str("k")], "consul_key is not supported: tmpl-render never calls external services such as Consul; pass the value with -var, -var-file or PKR_VAR_<name>"),
        .init("aws_secretsmanager", [.str("n"), .str("k")], "aws_secretsmanager is not supported: tmpl-render never calls external services such as AWS Secrets Manager; pass the value with -var, -var-file or PKR_VAR_<name>"),
        .init("aws_secretsmanager_raw", [.str("n")], "aws_secretsmanager_raw is not supported: tmpl-render never calls external services such as AWS Secrets Manager; pass the value with -var, -var-file or PKR_VAR_<name>"),
        .init("nosuch", [], "there is no function named \"nosuch\""),
    ]

    static let home = functionContext(environment: ["HOME": "/home/steve"])

    @Test(arguments: dates) func dateExamples(_ e: FunctionExample) throws { try check(e) }
    @Test(arguments: paths) func pathExamples(_ e: FunctionExample) throws { try check(e, Self.home) }
    @Test(arguments: failures) func failingCalls(_ f: FunctionFailure) { check(f, Self.home) }

    @Test func envReadsTheContextsEnvironmentInVariableDefaults() throws {
        let c = functionContext(environment: ["REGION": "cn-hangzhou"], envAllowed: true)
        #expect(try HCLFunctions.call("env", [.str("REGION")], c) == .str("cn-hangzhou"))
        #expect(try HCLFunctions.call("env", [.str("UNSET")], c) == .str(""))
    }

    /// file, filebase64, fileexists and fileset against a scratch tree.
    @Test func fileFunctionsReadTheTemplatesDirectory() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hclfn-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for dir in ["files/sub/deep", "files/.hidden"] { try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true) }
        for (path, text) in ["hello.txt": "Hello World", "files/a.sh": "a", "files/b.txt": "b", "files/sub/c.sh": "c",
                             "files/sub/deep/d.sh": "d", "files/.hidden/e.sh": "e"] {
            try text.write(toFile: root + "/" + path, atomically: true, encoding: .utf8)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: root + "/files")
        try Data([0xFF, 0xFE]).write(to: URL(fileURLWithPath: root + "/binary.bin"))
        let c = HCLFunctionContext(baseDir: root, pwd: root + "/files", environment: [:], clock: RenderClock(seconds: 0))
        func call(_ name: String, _ args: HCLValue...) throws -> HCLValue { try HCLFunctions.call(name, args, c) }

        #expect(try call("file", .str("hello.txt")) == .str("Hello World"))
        #expect(try call("file", .str(root + "/files/../hello.txt")) == .str("Hello World"))
        #expect(try call("filebase64", .str("a.sh")) == .str("YQ=="))
        #expect(try call("fileexists", .str("hello.txt")) == .bool(true))
        #expect(try call("fileexists", .str("nope.txt")) == .bool(false))
        #expect(try call("fileset", .str("files"), .str("*.sh")) == .set([.str("a.sh")], of: .string))
        #expect(try call("fileset", .str("files"), .str("**/*.sh")) == .set([.str("a.sh"), .str(".hidden/e.sh"), .str("sub/c.sh"), .str("sub/deep/d.sh")], of: .string))
        #expect(try call("fileset", .str(root), .str("files/{a,b}.*")) == .set([.str("files/a.sh"), .str("files/b.txt")], of: .string))
        #expect(try call("fileset", .str("files"), .str("sub/[a-c].sh")) == .set([.str("sub/c.sh")], of: .string))
        #expect(try call("fileset", .str("files"), .str("*.none")) == .set([], of: .string))

        let failures: [(String, [HCLValue], String)] = [
            ("file", [.str("missing.txt")], "no file exists at \(root)/missing.txt"),
            ("file", [.str("binary.bin")], "contents of \(root)/binary.bin are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead"),
            ("file", [.str("files")], "failed to read \(root)/files"),
            ("fileexists", [.str("files")], "\(root)/files is not a regular file, but \"drwxr-xr-x\""),
            ("fileset", [.str("files"), .str("[")], "failed to glob pattern (\(root)/files/[): syntax error in pattern"),
        ]
        for (name, args, message) in failures {
            #expect(throws: HCLFunctionError(message)) { try HCLFunctions.call(name, args, c) }
        }
    }
}
