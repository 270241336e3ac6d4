import Foundation
import Testing
@testable import AlicloudKit

private func render(_ builder: String, vars: [(String, String)] = []) throws -> JSONValue {
    let iso = FileManager.default.temporaryDirectory.appendingPathComponent("qemu-tests-\(getpid()).iso").path
    _ = FileManager.default.createFile(atPath: iso, contents: Data("iso".utf8))
    let text = #"{"builders": [{"type": "qemu", "name": "q", "iso_url": "\#(iso)", "ssh_username": "root", \#(builder)}]}"#
    var r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: [:], pwd: "/tmp",
                          clock: RenderClock(seconds: 1_700_000_000, seed: 1))
    r.variableInputs = vars.map { .assignment(name: $0.0, value: $0.1) }
    return try TemplateRenderer.render(r).plan
}

private func problems(_ builder: String) -> [String] {
    do {
        _ = try render(builder)
        return []
    } catch let p as TemplateProblems {
        return p.errors.map(\.formatted)
    } catch {
        return ["\(error)"]
    }
}

private func config(_ plan: JSONValue, _ key: String) -> JSONValue? { plan["builds"]?.arrayValue?.first?["config"]?[key] }

@Suite struct BootCommandTests {
    @Test func keysAndWaits() throws {
        #expect(try BootCommand.parse("aB <enter>") == [.press("a", shift: false), .press("b", shift: true), .press("spc", shift: false), .press("ret", shift: false)])
        #expect(try BootCommand.parse("<wait><wait5><wait1m30s><wait250ms>") == [.wait(1), .wait(5), .wait(90), .wait(0.25)])
        #expect(try BootCommand.parse("<leftCtrlOn>c<leftCtrlOff><F12><pageUp>") == [.down("ctrl"), .press("c", shift: false), .up("ctrl"), .press("f12", shift: false), .press("pgup", shift: false)])
        #expect(try BootCommand.parse("<aOn>") == [.down("a")])
        #expect(try BootCommand.parse("ks=http://x:1/a_b.cfg") .count == 21)
        #expect(try BootCommand.parse("a < b") == [.press("a", shift: false), .press("spc", shift: false), .press("comma", shift: true), .press("spc", shift: false), .press("b", shift: false)])
    }

    @Test func unknownKeysAreRefused() {
        #expect(throws: BootCommandError(message: "<entr>: unknown key (did you mean <enter>?)")) { try BootCommand.parse("x<entr>") }
        #expect(throws: BootCommandError.self) { try BootCommand.parse("<waitx>") }
        #expect(throws: BootCommandError.self) { try BootCommand.parse("é") }
    }

    @Test func templateData() throws {
        let data = ["HTTPIP": "10.0.2.2", "HTTPPort": "8123", "Name": "vm"]
        #expect(try BootCommand.fill("ks=http://{{ .HTTPIP }}:{{.HTTPPort}}/{{ .Name }}", data) == "ks=http://10.0.2.2:8123/vm")
        #expect(throws: BootCommandError.self) { try BootCommand.fill("{{ .SSHPublicKey }}", data) }
    }
}

@Suite struct QemuSchemaTests {
    @Test func packerDefaults() throws {
        let plan = try render(#""iso_checksum": "none""#)
        #expect(config(plan, "format") == "qcow2")
        #expect(config(plan, "disk_size") == "40960M")
        #expect(config(plan, "vm_name") == "packer-q")
        #expect(config(plan, "output_directory") == "/tmp/output-q")
        #expect(config(plan, "host_port_min") == 2222 && config(plan, "host_port_max") == 4444)
        #expect(config(plan, "http_port_min") == 8000 && config(plan, "boot_wait") == .double(10))
        // Packer 1.6.6: kvm when os.Open("/dev/kvm") succeeds (read-only), else tcg.
        let fd = open("/dev/kvm", O_RDONLY)
        let kvm = fd >= 0
        if fd >= 0 { close(fd) }
        #expect(config(plan, "accelerator") == .string(kvm ? "kvm" : "tcg"))
    }

    @Test func checksumsAndRunTimeData() throws {
        let md5 = String(repeating: "a", count: 32)
        let plan = try render(#""iso_checksum": "\#(md5)", "iso_checksum_type": "MD5", "disk_size": "20", "ssh_host_port_min": 3000, "ssh_host_port_max": 3001, "boot_command": ["<enter>ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/"], "qemuargs": [["-serial", "file:{{ .Name }}.log"]], "format": "raw""#, vars: [])
        #expect(config(plan, "iso_checksum") == .string("md5:\(md5)"))
        #expect(config(plan, "disk_size") == "20M")
        #expect(config(plan, "host_port_min") == 3000)
        #expect(config(plan, "skip_compaction") == true)
        #expect(config(plan, "qemuargs") == .array([.array(["-serial", "file:{{ .Name }}.log"])]))
        #expect(config(plan, "boot_command")?.arrayValue?.first?.stringValue?.hasSuffix("ks=http://{{ .HTTPIP }}:{{ .HTTPPort }}/") == true)
    }

    @Test func badInput() {
        #expect(problems(#""iso_checksum": "sha256:abc""#).contains { $0.contains("is not a sha256 checksum") })
        #expect(problems(#""iso_checksum": "none", "boot_command": ["<tab><entr>"]"#).contains { $0.contains("boot_command[0]: <entr>: unknown key") })
        #expect(problems(#""iso_checksum": "none", "format": "vmdk""#).contains { $0.contains("format") })
        #expect(problems(#""iso_checksum": "none", "disk_size": "10x""#).contains { $0.contains("is not a disk size") })
        #expect(problems(#""iso_checksum": "none", "use_backing_file": true"#).contains { $0.contains("use_backing_file can only be enabled") })
        #expect(problems(#""iso_checksum": "none", "qemuargs": "-m 1G""#).contains { $0.contains("qemuargs") })
        #expect(problems(#""disk_size": "1G""#).contains { $0.contains("\"iso_checksum\" must be specified") })
    }
}
