import Testing
@testable import AlicloudKit

@Suite struct ArgumentsTests {
    let spec = CommandSpec(
        tool: "t", usage: "t [options] host [command...]", about: "usage: t [options] host [command...]",
        options: [.value("--region", "-r", arg: "R", "region"), .flag("--debug", help: "trace"),
                  .value("-var", arg: "name=value", "a variable"), .flag("--wait", help: "wait")],
        exits: [ExitCode(0, "ok"), ExitCode(64, "usage")],
        optionsEndAfterPositionals: 1)

    @Test func parsesValuesFlagsAndPositionals() throws {
        let p = try spec.parse(["--region", "cn-beijing", "--debug", "-var", "a=b", "-var=c=d", "host", "--wait"])
        #expect(p.value("--region") == "cn-beijing")
        #expect(p.all("-var") == ["a=b", "c=d"])
        #expect(p.has("--debug"))
        #expect(p.has("--wait"))
        #expect(p.positionals == ["host"])
    }

    @Test func inlineValueAndAlias() throws {
        let p = try spec.parse(["--region=cn-hangzhou", "-r", "x"])
        #expect(p.all("--region") == ["cn-hangzhou", "x"])
    }

    @Test func valueOptionsKeepTheirOrderAcrossOptions() throws {
        let spec = CommandSpec(tool: "t", usage: "t", about: "usage: t", options: [.value("-var", "--var", arg: "name=value", "v"), .value("-var-file", arg: "file", "f"), .value("--query", arg: "PATH", "q")], exits: [ExitCode(0, "ok")])
        let p = try spec.parse(["-var-file", "a.json", "--var=x=1", "--query", "q", "-var-file=b.json", "-var", "x=2"])
        #expect(p.inOrder("-var", "-var-file").map { "\($0.name) \($0.value)" } == ["-var-file a.json", "-var x=1", "-var-file b.json", "-var x=2"])
        #expect(p.inOrder("--query").map { $0.value } == ["q"])
        #expect(p.inOrder("--nosuch").isEmpty)
    }

    @Test func commandKeepsItsDashes() throws {
        let p = try spec.parse(["host", "ls", "-l", "--debug"])
        #expect(p.positionals == ["host", "ls", "-l", "--debug"])
        #expect(!p.has("--debug"))
    }

    @Test func doubleDashEndsOptions() throws {
        let p = try spec.parse(["--", "--debug"])
        #expect(p.positionals == ["--debug"])
    }

    @Test func helpAndMisuse() {
        #expect(throws: ArgumentOutcome.self) { try spec.parse(["-h"]) }
        #expect(throws: ArgumentOutcome.self) { try spec.parse(["x", "--help"]) }
        for (args, message) in [
            (["--nope"], "unknown option --nope"),
            (["--region"], "option --region needs a value"),
            (["--debug=1"], "option --debug takes no value"),
        ] {
            do {
                _ = try spec.parse(args)
                Issue.record("accepted \(args)")
            } catch let error as ToolError {
                #expect(error.status == .usage)
                #expect(error.message == message)
            } catch {
                Issue.record("wrong error \(error)")
            }
        }
    }

    @Test func secretsAreRedacted() {
        Secrets.register("s3cr3t-value")
        #expect(Secrets.redact("key=s3cr3t-value;") == "key=<redacted>;")
    }
}
