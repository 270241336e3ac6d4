import Foundation
import Testing
@testable import AlicloudKit

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let playbook = repo + "/Tests/e2e/templates/ansible/playbook.yml"
private let builder = #""type": "alicloud-ecs", "region": "cn-beijing", "image_name": "img", "source_image": "centos", "instance_type": "t", "ssh_username": "root", "access_key": "LTAI5tSimAccessKeyId01", "secret_key": "SimSecretKey0123456789abcdefXYZ""#

private func render(_ provisioner: String) -> Result<JSONValue, TemplateProblems> {
    let text = #"{"builders": [{"# + builder + #"}], "provisioners": [{"type": "ansible", "# + provisioner + "}]}"
    let r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: ["HOME": "/root"], pwd: repo,
                          clock: RenderClock(seconds: 1_700_000_000, seed: 1))
    do { return .success(try TemplateRenderer.render(r).plan) } catch let p as TemplateProblems { return .failure(p) } catch { fatalError("\(error)") }
}

@Suite struct AnsibleTests {
    @Test func schemaDefaultsAsPacker() throws {
        let plan = try render(#""playbook_file": "Tests/e2e/templates/ansible/playbook.yml""#).get()
        let c = try #require(plan["builds"]?.arrayValue?[0]["provisioners"]?.arrayValue?[0]["config"]?.objectValue)
        #expect(c["playbook_file"]?.stringValue == playbook)
        #expect(c["command"]?.stringValue == "ansible-playbook")
        #expect(c["host_alias"]?.stringValue == "default")
        #expect(c["galaxy_command"]?.stringValue == "ansible-galaxy")
        #expect(c["sftp_command"]?.stringValue == "/usr/lib/sftp-server -e")
        #expect(c["use_sftp"]?.boolValue == false)
    }

    @Test func badConfigurationIsATemplateError() {
        guard case .failure(let p) = render(#""playbook_file": "nope.yml", "inventory_directory": "README.md", "local_port": 70000, "ansible_env_vars": ["NOEQUALS"]"#) else {
            Issue.record("rendered")
            return
        }
        let text = p.errors.map(\.message).joined(separator: "\n")
        #expect(text.contains("nope.yml\" does not exist"))
        #expect(text.contains("must point to a directory"))
        #expect(text.contains("70000 must be a valid port"))
        #expect(text.contains("\"NOEQUALS\" is not in the form NAME=VALUE"))
        #expect(p.status == .dataError)
        guard case .failure(let q) = render(#""extra_arguments": ["-v"]"#) else { Issue.record("rendered"); return }
        #expect(q.errors.map(\.message) == ["\"playbook_file\" is required"])
    }

    @Test func missingAnsiblePlaybookIsExit69NamingThePackage() throws {
        guard case .failure(let p) = render(#""playbook_file": "Tests/e2e/templates/ansible/playbook.yml", "command": "no-such-ansible-playbook""#) else {
            Issue.record("rendered")
            return
        }
        #expect(p.status == .unavailable)
        #expect(p.errors.count == 1)
        #expect(p.errors[0].path == "provisioners[0].command")
        #expect(p.errors[0].message.contains("\"no-such-ansible-playbook\" was not found"))
        #expect(p.errors[0].message.contains("apt-get install ansible-core"))
        // skip_version_check: rendered, as Packer does (an earlier step may install it).
        _ = try render(#""playbook_file": "Tests/e2e/templates/ansible/playbook.yml", "command": "no-such-ansible-playbook", "skip_version_check": true"#).get()
    }

    @Test func versionAsPackerReadsIt() {
        #expect(AnsibleVersion.version(in: "ansible-playbook [core 2.14.18]\n  config file = None\n") == "2.14.18")
        #expect(AnsibleVersion.version(in: "ansible-playbook 2.9.6\n") == "2.9.6")
        #expect(AnsibleVersion.version(in: "no version here\n") == nil)
    }

    @Test func sensitiveExtraVarsGoToAPrivateFile() throws {
        Secrets.register("Sup3rSecretValue")
        let a = try AnsibleProvisioner(config: ["playbook_file": .string(playbook)], buildName: "b", builderType: "alicloud-ecs")
        let work = try PrivateDirectory(prefix: "ansible-test")
        defer { work.remove() }
        let out = try a.hidingSensitive(["--tags", "config", "-e", "plain=1", "--extra-vars", "user=app pass='Sup3rSecretValue' x=\"a b\"",
                                         "--extra-vars={\"k\": \"Sup3rSecretValue\"}"], work: work)
        #expect(Array(out.prefix(4)) == ["--tags", "config", "-e", "plain=1"])
        #expect(out[4] == "--extra-vars" && out[5].hasPrefix("@" + work.path))
        #expect(out[6] == "--extra-vars" && out[7].hasPrefix("@" + work.path))
        #expect(!out.joined(separator: " ").contains("Sup3rSecretValue"))
        let file = String(out[5].dropFirst())
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: file))))
        #expect(json["pass"]?.stringValue == "Sup3rSecretValue")
        #expect(json["user"]?.stringValue == "app")
        #expect(json["x"]?.stringValue == "a b")
        var st = stat()
        #expect(stat(file, &st) == 0 && st.st_mode & 0o777 == 0o600)
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: String(out[7].dropFirst()))), as: UTF8.self) == "{\"k\": \"Sup3rSecretValue\"}")
        #expect(throws: ToolError.self) { try a.hidingSensitive(["--vault-id", "Sup3rSecretValue"], work: work) }
    }

    @Test func inventoryAsPackerWritesIt() throws {
        let dir = try PrivateDirectory(prefix: "ansible-inv")
        defer { dir.remove() }
        let a = try AnsibleProvisioner(config: ["playbook_file": .string(playbook), "groups": .array([.string("web"), .string("app")]),
                                                "empty_groups": .array([.string("db")]), "inventory_directory": .string(dir.path)],
                                       buildName: "b", builderType: "alicloud-ecs")
        var client = SSHClient(target: try SSHTarget(parsing: "admin@127.0.0.9"))
        client.port = 2222
        let file = try a.writeInventory(.ssh(client))
        #expect(file.hasPrefix(dir.path + "/packer-provisioner-ansible"))
        let host = "default ansible_host=127.0.0.9 ansible_user=admin ansible_port=2222\n"
        #expect(try String(contentsOfFile: file, encoding: .utf8) == host + "[web]\n" + host + "[app]\n" + host + "[db]\n")
        #expect(try AnsibleProvisioner.renderInventoryLine("{{.HostAlias}} h={{ .Host }}\n", ["HostAlias": "a", "Host": "h"]) == "a h=h\n")
        #expect(throws: ToolError.self) { try AnsibleProvisioner.renderInventoryLine("{{ .Nope }}", ["Host": "h"]) }
    }

    @Test func sshArgumentsReuseTheBuildConnection() throws {
        var client = SSHClient(target: try SSHTarget(parsing: "root@127.0.0.9"))
        client.port = 22
        client.identityFile = "/k/key"
        client.knownHostsFile = "/k/known_hosts"
        client.controlDirectory = "/tmp/ctl"
        let args = AnsibleProvisioner.sshArgs(client)
        #expect(args.contains("-i /k/key"))
        #expect(args.contains("UserKnownHostsFile=/k/known_hosts"))
        #expect(args.contains("ControlPath=/tmp/ctl/%C"))
        #expect(!args.contains("-p 22"))
        #expect(!args.contains("127.0.0.9"))
    }

    @Test func galaxyInstallsRolesAndCollectionsAsPacker() throws {
        let dir = try PrivateDirectory(prefix: "ansible-galaxy")
        defer { dir.remove() }
        let log = dir.path + "/calls"
        let galaxy = try dir.write("galaxy", "#!/bin/sh\necho \"$*\" >> \(log)\n[ \"$1\" != fail ]\n")
        chmod(galaxy, 0o700)
        let requirements = try dir.write("requirements.yml", "---\nroles:\n  - name: web\ncollections:\n  - name: community.general\n")
        let a = try AnsibleProvisioner(config: ["playbook_file": .string(playbook), "galaxy_file": .string(requirements), "galaxy_command": .string(galaxy),
                                                "galaxy_force_install": .bool(true), "roles_path": .string("/r"), "collections_path": .string("/c")],
                                       buildName: "b", builderType: "alicloud-ecs")
        try a.runGalaxy(requirements, log: AnsibleLog(output: ProvisionOutput(prefix: nil)), deadline: nil)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "install -r \(requirements) -f -p /r\ncollection install -r \(requirements) -f -p /c\n")
        // A v1 file (a plain list of roles) installs roles only; a failure is Packer's message.
        let v1 = try dir.write("v1.yml", "- src: web\n")
        let b = try AnsibleProvisioner(config: ["playbook_file": .string(playbook), "galaxy_command": .string(galaxy)], buildName: "b", builderType: "t")
        try b.runGalaxy(v1, log: AnsibleLog(output: ProvisionOutput(prefix: nil)), deadline: nil)
        #expect(try String(contentsOfFile: log, encoding: .utf8).hasSuffix("collection install -r \(requirements) -f -p /c\ninstall -r \(v1)\n"))
    }

    @Test func winrmArgumentsKeepThePasswordInAFile() throws {
        setenv("ANSIBLE_TEST_WINRM_PASSWORD", "Win-Passw0rd!", 1)
        defer { unsetenv("ANSIBLE_TEST_WINRM_PASSWORD") }
        let a = try AnsibleProvisioner(config: ["playbook_file": .string(playbook), "extra_arguments": .array([.string("-v")])],
                                       buildName: "web", builderType: "alicloud-ecs")
        let work = try PrivateDirectory(prefix: "ansible-winrm")
        defer { work.remove() }
        let conn = AnsibleConnection.winrm(host: "127.0.0.5", port: 5986, user: "Administrator", passwordVariable: "ANSIBLE_TEST_WINRM_PASSWORD",
                                           https: true, insecure: true)
        let args = try a.arguments(conn, work: work)
        #expect(Array(args.prefix(5)) == ["-e", "packer_build_name=\"web\"", "-e", "packer_builder_type=alicloud-ecs", "-v"])
        #expect(args.count == 7 && args[5] == "-e" && args[6].hasPrefix("@" + work.path))
        #expect(!args.joined().contains("Win-Passw0rd!") && !args.joined().contains("ansible_ssh_private_key_file"))
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: String(args[6].dropFirst()))), as: UTF8.self).contains("\"ansible_password\":\"Win-Passw0rd!\""))
        // Packer's {{ .WinRMPassword }}: the password, in the private file, not in argv.
        Secrets.register("Win-Passw0rd!")
        let b = try AnsibleProvisioner(config: ["playbook_file": .string(playbook), "extra_arguments": .array([.string("-e"), .string("admin_password={{ .WinRMPassword }}")])],
                                       buildName: "web", builderType: "alicloud-ecs")
        let work2 = try PrivateDirectory(prefix: "ansible-winrm")
        defer { work2.remove() }
        let bargs = try b.arguments(conn, work: work2)
        #expect(bargs[4] == "-e" && bargs[5].hasPrefix("@" + work2.path) && !bargs.joined().contains("Win-Passw0rd!"))
        #expect(String(decoding: try Data(contentsOf: URL(fileURLWithPath: String(bargs[5].dropFirst()))), as: UTF8.self) == "{\"admin_password\":\"Win-Passw0rd!\"}")
        let inventory = try a.writeInventory(conn)
        defer { unlink(inventory) }
        #expect(try String(contentsOfFile: inventory, encoding: .utf8) == "default ansible_host=127.0.0.5 ansible_connection=winrm ansible_winrm_transport=basic ansible_shell_type=powershell ansible_user=Administrator ansible_port=5986 ansible_winrm_scheme=https ansible_winrm_server_cert_validation=ignore\n")
    }

    @Test func inputDigestCoversThePlaybooksDirectory() throws {
        let dir = try PrivateDirectory(prefix: "ansible-digest")
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/roles/app/tasks", withIntermediateDirectories: true)
        _ = try dir.write("site.yml", "- hosts: all\n  roles: [app]\n")
        let task = try dir.write("roles/app/tasks/main.yml", "- raw: echo one\n")
        let text = #"{"builders": [{"# + builder + #"}], "provisioners": [{"type": "ansible", "playbook_file": "site.yml"}]}"#
        func digest() throws -> String {
            let r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: ["HOME": "/root"], pwd: dir.path,
                                  clock: RenderClock(seconds: 1_700_000_000, seed: 1))
            return try TemplateRenderer.render(r).plan["builds"]?.arrayValue?.first?["input_digest"]?.stringValue ?? ""
        }
        let before = try digest()
        let again = try digest()
        #expect(!before.isEmpty && before == again)
        try "- raw: echo two\n".write(toFile: task, atomically: true, encoding: .utf8)
        let after = try digest()
        #expect(after != before, "a role's task changed: the image is not up to date")
    }
}
