import Foundation
import Testing
@testable import AlicloudKit

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let env = ["ALICLOUD_ACCESS_KEY": "LTAI5tSimAccessKeyId01", "ALICLOUD_SECRET_KEY": "SimSecretKey0123456789abcdefXYZ", "HOME": "/root", "GREETING": "hi"]

private func request(_ text: String, vars: [(String, String)] = [], varFiles: [String] = [], only: [String] = [], except: [String] = []) -> RenderRequest {
    var r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: env, pwd: repo,
                          clock: RenderClock(seconds: 1_700_000_000, seed: 1))
    r.variableInputs = varFiles.map { .file($0) } + vars.map { .assignment(name: $0.0, value: $0.1) }
    r.only = only
    r.except = except
    return r
}

private func plan(_ text: String, vars: [(String, String)] = [], varFiles: [String] = [], only: [String] = [], except: [String] = []) throws -> JSONValue {
    try TemplateRenderer.render(request(text, vars: vars, varFiles: varFiles, only: only, except: except)).plan
}

private func errors(_ text: String, vars: [(String, String)] = []) -> [String] {
    do {
        _ = try TemplateRenderer.render(request(text, vars: vars))
        return []
    } catch let p as TemplateProblems {
        return p.errors.map(\.formatted)
    } catch {
        return ["\(error)"]
    }
}

private func q(_ v: JSONValue, _ path: String) -> String { (try? JSONQuery(path).render(v)) ?? "<none>" }

private let builder = #""type": "alicloud-ecs", "region": "cn-beijing", "image_name": "img", "source_image": "centos", "instance_type": "t", "ssh_username": "root""#

@Suite struct TemplateRendererTests {
    @Test func variablePrecedence() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tmpl-vars-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f1 = dir.appendingPathComponent("1.json").path, f2 = dir.appendingPathComponent("2.json").path
        try #"{"a": "file1", "b": "file1", "c": "file1"}"#.write(toFile: f1, atomically: true, encoding: .utf8)
        try #"{"b": "file2", "c": "file2", "n": null}"#.write(toFile: f2, atomically: true, encoding: .utf8)
        let t = #"{"variables": {"a": "def", "b": "def", "c": "def", "d": "def", "n": "x"}, "builders": [{"# + builder + #", "user_data": "{{user `a`}}/{{user `b`}}/{{user `c`}}/{{user `d`}}/{{user `n`}}/{{user `extra`}}"}]}"#
        let p = try plan(t, vars: [("c", "cli1"), ("c", "cli2"), ("extra", "x=y")], varFiles: [f1, f2])
        #expect(q(p, "builds[0].config.user_data") == "file1/file2/cli2/def//x=y\n")
    }

    /// As Packer's binaries: var files in turn, then every -var, whatever the command-line order.
    @Test func everyVarBeatsEveryVarFileWhateverTheOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tmpl-order-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("f.json").path
        try #"{"a": "file", "b": "file"}"#.write(toFile: f, atomically: true, encoding: .utf8)
        let t = #"{"variables": {"a": "def", "b": "def"}, "builders": [{"# + builder + #", "user_data": "{{user `a`}}/{{user `b`}}"}]}"#
        var r = request(t)
        r.variableInputs = [.assignment(name: "a", value: "cli"), .file(f), .assignment(name: "b", value: "cli")]
        #expect(q(try TemplateRenderer.render(r).plan, "builds[0].config.user_data") == "cli/cli\n")
        r.variableInputs = [.file(f), .assignment(name: "a", value: "cli"), .file(f)]
        #expect(q(try TemplateRenderer.render(r).plan, "builds[0].config.user_data") == "cli/file\n")
    }

    @Test func variablesResolveAsAFixpointAndFromTheEnvironment() throws {
        let t = #"{"variables": {"c": "{{user `b`}}-C", "b": "{{user `a`}}-B", "a": "A", "e": "{{env `GREETING`}}", "esc": "{{`{{user \"v\"}}`}}", "http": "{{ .HTTPIP }}"}, "builders": [{"# + builder + #", "user_data": "{{user `c`}} {{user `e`}} {{user `esc`}} {{user `http`}}"}]}"#
        #expect(q(try plan(t), "builds[0].config.user_data") == "A-B-C hi {{user \"v\"}} {{ .HTTPIP }}\n")
        // -var values are rendered too.
        let t2 = #"{"variables": {"a": "A"}, "builders": [{"# + builder + #", "user_data": "{{user `b`}}"}]}"#
        #expect(q(try plan(t2, vars: [("b", "X{{user `a`}}{{env `GREETING`}}")]), "builds[0].config.user_data") == "XAhi\n")
    }

    @Test func requiredVariableSatisfiedByEmptyValue() throws {
        let t = #"{"variables": {"r": null}, "builders": [{"# + builder + #", "user_data": "[{{user `r`}}]"}]}"#
        #expect(q(try plan(t, vars: [("r", "")]), "builds[0].config.user_data") == "[]\n")
    }

    @Test func weakTypesBecomeFinalTypes() throws {
        let t = #"{"builders": [{"# + builder + #", "io_optimized": "true", "ssh_port": "2222", "ssh_timeout": "10m", "image_copy_regions": "cn-a,cn-b,cn-a", "disable_stop_instance": 1, "tags": {"n": 5}, "tag": [{"key": "k", "value": "v"}], "image_disk_mappings": [{"disk_size": "100"}], "winrm_use_ssl": true}]}"#
        let p = try plan(t)
        #expect(q(p, "builds[0].config.io_optimized") == "true\n")
        #expect(q(p, "builds[0].config.ssh_port") == "2222\n")
        #expect(q(p, "builds[0].config.ssh_timeout") == "600\n")
        #expect(q(p, "builds[0].config.image_copy_regions") == "[\"cn-a\",\"cn-b\"]\n")
        #expect(q(p, "builds[0].config.disable_stop_instance") == "true\n")
        #expect(q(p, "builds[0].config.tags") == "{\"k\":\"v\",\"n\":\"5\"}\n")
        #expect(q(p, "builds[0].config.image_disk_mappings[0].disk_size") == "100\n")
        #expect(q(p, "builds[0].config.image_disk_mappings[0].disk_delete_with_instance") == "true\n")
        #expect(q(p, "builds[0].config.winrm_port") == "5986\n")
        #expect(q(p, "builds[0].config.internet_max_bandwidth_out") == "\n")
    }

    @Test func buildsSortedSelectedAndProvisionersFiltered() throws {
        let t = #"""
        {"variables": {"k": "dyn"},
         "builders": [{\#(builder), "name": "zeta"}, {\#(builder), "name": "b-{{user `k`}}"}, {\#(builder), "name": "alpha"}],
         "provisioners": [
           {"type": "shell", "inline": ["echo {{build_name}} {{build `ID`}}"], "only": ["b-{{user `k`}}", "zeta"], "override": {"zeta": {"inline": ["over"]}}, "pause_before": "1m", "max_retries": "{{user `k` | len}}", "timeout": "30s"},
           {"type": "file", "source": "Package.swift", "destination": "/tmp/"}
         ],
         "post-processors": [["manifest", {"type": "manifest", "name": "second", "except": ["alpha"]}, {"type": "shell-local", "inline": ["x"]}]]}
        """#
        let p = try plan(t, except: ["second"])
        #expect(q(p, "builds[*].name") == "alpha\nb-dyn\nzeta\n")
        #expect(q(p, "builds[0].provisioners[*].type") == "file\n")
        #expect(q(p, "builds[1].provisioners[0].config.inline[0]") == "echo b-dyn {{.ID}}\n")
        #expect(q(p, "builds[1].provisioners[0].pause_before") == "60\n")
        #expect(q(p, "builds[1].provisioners[0].max_retries") == "3\n")
        #expect(q(p, "builds[2].provisioners[0].config.inline[0]") == "over\n")
        #expect(q(p, "builds[0].provisioners[0].config.sources[0]") == "\(repo)/Package.swift\n")
        #expect(q(p, "builds[0].post_processors[0][*].name") == "manifest\n")
        #expect(q(p, "builds[0].post_processors[0][0].keep_input_artifact") == "true\n")
        let only = try plan(t, only: ["b-dyn"])
        #expect(q(only, "builds[*].name") == "b-dyn\n")
        #expect(q(only, "builds[0].post_processors[0][*].name") == "manifest\nsecond\nshell-local\n")
        #expect(throws: ToolError.self) { try plan(t, only: ["b-{{user `k`}}"]) }
    }

    @Test func sensitivePathsIncludeEmbeddedOccurrences() throws {
        let t = #"{"variables": {"pw": "hunter22"}, "sensitive-variables": ["pw"], "builders": [{"# + builder + #", "ssh_password": "{{user `pw`}}", "vpc_id": "vpc-1"}], "provisioners": [{"type": "shell", "inline": ["echo pw={{user `pw`}}", "true"]}]}"#
        let p = try plan(t)
        #expect(q(p, "sensitive") == "[\"builds[0].config.secret_key\",\"builds[0].config.ssh_password\",\"builds[0].provisioners[0].config.inline[0]\"]\n")
    }

    @Test func oneClockForTheWholePlan() throws {
        let t = #"{"variables": {"t": "{{timestamp}}"}, "builders": [{"# + builder + #", "name": "b{{timestamp}}", "user_data": "{{user `t`}}-{{timestamp}}-{{isotime \"2006\"}}"}], "provisioners": [{"type": "shell", "inline": ["{{timestamp}}"]}]}"#
        let p = try plan(t)
        #expect(q(p, "builds[0].name") == "b1700000000\n")
        #expect(q(p, "builds[0].config.user_data") == "1700000000-1700000000-2023\n")
        #expect(q(p, "builds[0].provisioners[0].config.inline[0]") == "1700000000\n")
    }

    @Test func everyProblemIsReportedInOrder() {
        let t = "{\"variables\": {\"b\": null, \"a\": null},\n \"builders\": [{" + builder + ", \"io_optimized\": \"nope\", \"instance_typ\": 1, \"instance_name\": \"{{user `undefined`}}\"}]}"
        #expect(errors(t) == [
            "<stdin>:1:16: variables.b: required variable \"b\" is not set (give it with -var b=VALUE or in a -var-file)",
            "<stdin>:1:27: variables.a: required variable \"a\" is not set (give it with -var a=VALUE or in a -var-file)",
            "<stdin>:2:157: builders[0].io_optimized: expected a boolean (true or false), got \"nope\"",
            "<stdin>:2:181: builders[0]: unknown key \"instance_typ\" (did you mean \"instance_type\"?)",
            "<stdin>:2:200: builders[0].instance_name: {{user `undefined`}}: variable \"undefined\" is not defined (declare it under \"variables\" or give it with -var)",
        ])
    }

    @Test func missingCredentialsExit78() {
        var r = request(#"{"builders": [{"type": "alicloud-ecs", "image_name": "img", "source_image": "c", "instance_type": "t", "ssh_username": "root"}]}"#)
        r.environment = [:]
        do {
            _ = try TemplateRenderer.render(r)
            Issue.record("expected problems")
        } catch let p as TemplateProblems {
            #expect(p.status == .config)
            #expect(p.errors.count == 2)
        } catch { Issue.record("\(error)") }
    }

    /// Packer's communicator config: a zero port or timeout is its default
    /// (run_config_test.go TestRunConfigPrepare_SSHPort for ssh_port; the same rule for the rest).
    @Test func zeroPortsAndTimeoutsAreDefaults() throws {
        let p = try plan(#"{"builders": [{"# + builder + #", "ssh_port": 0, "ssh_bastion_port": 0, "ssh_proxy_port": 0, "ssh_timeout": "0s"}]}"#)
        #expect(q(p, "builds[0].config.ssh_port") == "22\n")
        #expect(q(p, "builds[0].config.ssh_bastion_port") == "22\n")
        #expect(q(p, "builds[0].config.ssh_proxy_port") == "1080\n")
        #expect(q(p, "builds[0].config.ssh_timeout") == "300\n")
        let w = #""communicator": "winrm", "winrm_username": "Administrator", "winrm_password": "Test1234", "user_data": "x", "winrm_timeout": "0s""#
        let windows = try plan(#"{"builders": [{"# + builder + ", " + w + #", "winrm_port": 0}]}"#)
        #expect(q(windows, "builds[0].config.winrm_port") == "5985\n")
        #expect(q(windows, "builds[0].config.winrm_timeout") == "1800\n")
        let https = try plan(#"{"builders": [{"# + builder + ", " + w + #", "winrm_port": 0, "winrm_use_ssl": true}]}"#)
        #expect(q(https, "builds[0].config.winrm_port") == "5986\n")
    }

    @Test func kmsKeyNeedsImageEncrypted() throws {
        #expect(errors(#"{"builders": [{"# + builder + #", "kms_key_id": "k"}]}"#).count == 1)
        #expect(errors(#"{"builders": [{"# + builder + #", "kms_key_id": "k", "image_encrypted": false}]}"#).count == 1)
        #expect(q(try plan(#"{"builders": [{"# + builder + #", "kms_key_id": "k", "image_encrypted": "true"}]}"#), "builds[0].config.kms_key_id") == "k\n")
    }

    @Test func brokenCorpusYieldsExactMessages() throws {
        let dir = repo + "/Tests/templates/broken"
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".json") && !$0.hasSuffix(".vars.json") }.sorted()
        #expect(names.count >= 40)
        for name in names {
            let base = String(name.dropLast(5))
            let expected = try String(contentsOfFile: "\(dir)/\(base).err", encoding: .utf8)
            var r = RenderRequest(templatePath: "Tests/templates/broken/\(name)", environment: env.filter { $0.key.hasPrefix("ALICLOUD_") }, pwd: repo,
                                  clock: RenderClock(seconds: 1_700_000_000, seed: 1_700_000_000))
            if let args = try? String(contentsOfFile: "\(dir)/\(base).args", encoding: .utf8) {
                let a = args.split(separator: "\n").map(String.init)
                for k in stride(from: 0, to: a.count - 1, by: 2) where a[k] == "-var-file" { r.variableInputs.append(.file(a[k + 1])) }
            }
            // NN.env: NAME=VALUE settings for this case (an empty value: set but empty).
            if let settings = try? String(contentsOfFile: "\(dir)/\(base).env", encoding: .utf8) {
                for line in settings.split(separator: "\n") {
                    let kv = line.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    r.environment[String(kv[0])] = kv.count > 1 ? String(kv[1]) : ""
                }
            }
            var output = ""
            do {
                _ = try TemplateRenderer.render(r)
                output = "status 0\n"
            } catch let p as TemplateProblems {
                output = p.report(tool: "tmpl-render", file: r.templatePath) + "status \(p.status.rawValue)\n"
            }
            #expect(output.replacingOccurrences(of: repo, with: "@PWD@") == expected, "\(name)")
        }
    }

    @Test func goldenPlans() throws {
        for name in ["alicloud", "alicloud-tags", "windows"] {
            let r = RenderRequest(templatePath: "examples/\(name).json", environment: env.filter { $0.key.hasPrefix("ALICLOUD_") }, pwd: repo,
                                  clock: try RenderClock.fromEnvironment(["TMPL_RENDER_NOW": "1700000000"]))
            let text = try TemplateRenderer.render(r).plan.document.replacingOccurrences(of: repo, with: "@PWD@")
            let expected = try String(contentsOfFile: "\(repo)/Tests/templates/golden/\(name).plan", encoding: .utf8)
            #expect(text == expected, "\(name)")
        }
    }
}
