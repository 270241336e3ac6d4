import Foundation
import Testing
@testable import AlicloudKit

@Suite struct ProvisionTests {
    @Test func varsAreSortedAndQuotedAsPacker() throws {
        let v = try ShellProvisioner.flatten(["Q": "hi'there", "FOO": "bar baz", "PACKER_BUILDER_TYPE": "null", "PACKER_BUILD_NAME": "ssh1"], format: "%s='%s' ")
        #expect(v == "FOO='bar baz' PACKER_BUILDER_TYPE='null' PACKER_BUILD_NAME='ssh1' Q='hi'\"'\"'there' ")
        let e = try ShellProvisioner.flatten(["B": "1"], format: "export %s=\"%s\"; ")
        #expect(e == "export B=\"1\"; ")
        #expect(throws: ToolError.self) { try ShellProvisioner.flatten(["B": "1"], format: "%s") }
    }

    @Test func defaultExecuteCommandMatchesPackersTwoSpaces() throws {
        let s = try ShellProvisioner(config: ["inline": ["true"], "environment_vars": ["FOO=bar baz", "Q=hi'there"],
                                              "remote_path": "/tmp/myscript.sh"], buildName: "ssh1", builderType: "null")
        #expect(try s.command(forPath: s.remotePath) ==
            "chmod +x /tmp/myscript.sh; FOO='bar baz' PACKER_BUILDER_TYPE='null' PACKER_BUILD_NAME='ssh1' Q='hi'\"'\"'there'  /tmp/myscript.sh")
    }

    @Test func envVarFileVariant() throws {
        let s = try ShellProvisioner(config: ["inline": ["true"], "use_env_var_file": true, "remote_folder": "/var/tmp",
                                              "remote_file": "script_1261.sh"], buildName: "b", builderType: "t")
        let file = try #require(s.envVarFile)
        #expect(file.path.hasPrefix("/var/tmp/varfile_"))
        #expect(file.content == "export PACKER_BUILDER_TYPE='t'\nexport PACKER_BUILD_NAME='b'\n")
        #expect(try s.command(forPath: s.remotePath) == "chmod +x /var/tmp/script_1261.sh; . \(file.path) && /var/tmp/script_1261.sh")
    }

    @Test func inlineScriptGetsTheShebang() throws {
        let s = try ShellProvisioner(config: ["inline": ["a", "b"]], buildName: "b", builderType: "t")
        #expect(String(decoding: s.scripts[0].bytes, as: UTF8.self) == "#!/bin/sh -e\na\nb\n")
        let t = try ShellProvisioner(config: ["inline": ["a"], "inline_shebang": "/bin/bash -x"], buildName: "b", builderType: "t")
        #expect(String(decoding: t.scripts[0].bytes, as: UTF8.self) == "#!/bin/bash -x\na\n")
        #expect(s.remotePath.hasPrefix("/tmp/script_") && s.remotePath.hasSuffix(".sh"))
    }

    @Test func packerValidationMessages() {
        func message(_ config: [String: JSONValue]) -> String? {
            do { _ = try ShellProvisioner(config: config, buildName: "b", builderType: "t"); return nil } catch let e as ToolError { return e.message } catch { return "\(error)" }
        }
        #expect(message([:]) == "shell: Either a script file or inline script must be specified.")
        #expect(message(["inline": ["x"], "scripts": ["/a"]]) == "shell: Only a script file or an inline script can be specified, not both.")
        #expect(message(["script": "/a", "scripts": ["/b"]]) == "shell: Only one of script or scripts can be specified.")
        // The plan's form of a lone "script": it is also "scripts" (unreadable here: 66, not the 65 above).
        #expect(message(["script": "/nonexistent/a", "scripts": ["/nonexistent/a"]])?.contains("Only one of") == false)
        #expect(message(["inline": ["x"], "environment_vars": ["FOO"]]) == "shell: Environment variable not in format 'key=value': FOO")
        #expect(message(["inline": ["x"], "execute_command": "{{.Bogus}}"])?.contains("unknown field") == true)
    }

    @Test func crlfBecomesLf() {
        #expect(ShellProvisioner.unixLineEnds(Array("a\r\nb\r\n\rc\r".utf8)) == Array("a\nb\n\rc\r".utf8))
    }

    @Test func templateRendering() throws {
        #expect(try ShellProvisioner.render("sudo {{ .Vars }} {{.Path}}", ["Vars": "A='1'", "Path": "/p"]) == "sudo A='1' /p")
        #expect(throws: ToolError.self) { try ShellProvisioner.render("{{.Path", ["Path": "/p"]) }
    }

    @Test func planEntryCommonKeys() throws {
        let spec = try ProvisionerSpec(json: try JSONParser.parse(#"{"type":"shell","pause_before":1.5,"max_retries":2,"timeout":60,"config":{"inline":["x"]}}"#))
        #expect(spec.type == "shell" && spec.pauseBefore == 1.5 && spec.maxRetries == 2 && spec.timeout == 60)
        #expect(throws: ToolError.self) { try ProvisionerSpec(json: try JSONParser.parse(#"{"config":{}}"#)) }
        #expect(throws: ToolError.self) { try ProvisionerSpec(json: try JSONParser.parse(#"{"type":"shell","timeout":"soon"}"#)) }
    }

    @Test func fileTargetsFollowTrailingSlashes() throws {
        #expect(FileProvisioner.fileTarget(source: "b.txt", destination: "/tmp/remote_dst/") == "/tmp/remote_dst/b.txt")
        #expect(FileProvisioner.fileTarget(source: "dir/b.txt", destination: "/tmp/x") == "/tmp/x")
        #expect(SSHTransport.tarCreate("/a/tree", contentsOnly: false) == ["-C", "/a", "-cf", "-", "tree"])
        #expect(SSHTransport.tarCreate("/a/tree/", contentsOnly: true) == ["-C", "/a/tree", "-cf", "-", "."])
        #expect(SSHTransport.tarCreate("tree", contentsOnly: false) == ["-C", ".", "-cf", "-", "tree"])
        let f = try FileProvisioner(config: ["sources": ["a"], "source": "b", "destination": "/d/"])
        #expect(f.sources == ["a", "b"] && f.direction == .upload)
        // tmpl-render's plan lists `source` in `sources` too: it is copied (and announced) once.
        #expect(try FileProvisioner(config: ["sources": ["a"], "source": "a", "destination": "/d/"]).sources == ["a"])
        #expect(throws: ToolError.self) { try FileProvisioner(config: ["source": "a"]) }
    }

    @Test func goDurations() {
        #expect(goDuration(1) == "1s")
        #expect(goDuration(60) == "1m0s")
        #expect(goDuration(3723) == "1h2m3s")
        #expect(goDuration(0.5) == "500ms")
        #expect(goDuration(1.5) == "1.5s")
    }

    @Test func packerUiLines() {
        let o = ProvisionOutput(prefix: "alicloud-ecs")
        #expect(o.stdoutLine(Array("hello  \r".utf8)) == Array("    alicloud-ecs: hello\n".utf8))
        #expect(o.stderrLine(Array("err".utf8)) == Array("==> alicloud-ecs: err\n".utf8))
        #expect(ProvisionOutput(prefix: nil).stdoutLine(Array("raw  ".utf8)) == Array("raw  \n".utf8))
    }
}
