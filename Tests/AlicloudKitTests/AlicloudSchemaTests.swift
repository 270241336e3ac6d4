import Foundation
import Testing
@testable import AlicloudKit

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
private let env = ["ALICLOUD_ACCESS_KEY": "LTAI5tSimAccessKeyId01", "ALICLOUD_SECRET_KEY": "SimSecretKey0123456789abcdefXYZ", "HOME": "/root"]
private let baseKeys: [String: String] = ["type": "\"alicloud-ecs\"", "region": "\"cn-beijing\"", "image_name": "\"img\"",
                                         "source_image": "\"centos\"", "instance_type": "\"t\"", "ssh_username": "\"root\""]

/// Renders one alicloud-ecs builder: the base keys, `keys` (raw JSON values) replacing them, and `extra` (raw JSON members).
private func render(_ extra: String = "", keys: [String: String] = [:], drop: [String] = []) -> (plan: JSONValue?, warnings: [String], errors: [String]) {
    var members = baseKeys.merging(keys) { $1 }
    for k in drop { members[k] = nil }
    var body = members.keys.sorted().map { "\"\($0)\": \(members[$0]!)" }.joined(separator: ", ")
    if !extra.isEmpty { body += ", " + extra }
    let text = "{\"builders\": [{\(body)}]}"
    let r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: env, pwd: repo,
                          clock: RenderClock(seconds: 1_700_000_000, seed: 1))
    do {
        let result = try TemplateRenderer.render(r)
        return (result.plan, result.warnings.map(\.formatted), [])
    } catch let p as TemplateProblems {
        return (nil, p.warnings.map(\.formatted), p.errors.map(\.formatted))
    } catch {
        return (nil, [], ["\(error)"])
    }
}

private func api(_ r: (plan: JSONValue?, warnings: [String], errors: [String])) -> JSONValue? { r.plan?["builds"]?.arrayValue?.first?["api"] }

private func source(_ path: String) throws -> String { try String(contentsOfFile: "\(repo)/\(path)", encoding: .utf8) }

/// Whether the shell text reads KEY of the plan (as load_build's c_KEY, import.sh's p_KEY,
/// disk_params' d_KEY, or through cfg/has/on or a plan path).
private func reads(_ text: String, _ key: String, prefix: String) -> Bool {
    for needle in ["\(prefix)\(key)", "cfg \(key)", "has \(key)", "on \(key)", "config.\(key)"] {
        var from = text.startIndex
        while let r = text.range(of: needle, range: from..<text.endIndex) {
            let next = r.upperBound < text.endIndex ? text[r.upperBound] : " "
            if !(next.isLetter || next.isNumber || next == "_") { return true }
            from = r.upperBound
        }
    }
    return false
}

@Suite struct AlicloudSchemaTests {
    /// Every alicloud-ecs key is acted on (read by the build runner, or made into the plan's
    /// API parameter lists), resolved by tmpl-render into another key, or marked as doing
    /// nothing (ignored as in Packer, or not supported by this toolkit) — never two of these.
    @Test func everyBuilderKeyIsActedOnOrMarked() throws {
        let shell = try ["scripts/lib/ecs-build.sh", "scripts/lib/common.sh", "scripts/lib/uptodate.sh"].map(source).joined(separator: "\n")
        for name in AlicloudSchema.builder.order {
            let field = AlicloudSchema.builder.fields[name]!
            let marked = field.ignored != nil || field.unsupported != nil
            let resolved = AlicloudSchema.resolvedByRenderer[name] != nil
            let acted = reads(shell, name, prefix: "c_") || AlicloudCalls.keys.contains(name)
            #expect([marked, resolved, acted].filter { $0 }.count == 1,
                    "\(name): marked \(marked), resolved by tmpl-render \(resolved), acted on \(acted)")
        }
        for name in AlicloudCalls.keys { #expect(AlicloudSchema.builder.fields[name] != nil, "\(name) is no alicloud-ecs key") }
    }

    /// Each key the API lists are made of changes them: the plan shows what it turned into.
    @Test func everyCallKeyChangesTheCalls() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("schema-tests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let userData = dir.appendingPathComponent("user data.sh").path
        try "#!/bin/sh\necho from a file\n".write(toFile: userData, atomically: true, encoding: .utf8)
        let samples: [String: String] = [
            "instance_type": "\"ecs.other\"", "instance_name": "\"inst-name\"", "zone_id": "\"cn-beijing-a\"",
            "internet_charge_type": "\"PayByTraffic\"", "internet_max_bandwidth_out": "9", "security_enhancement_strategy": "\"Active\"",
            "ecs_ram_role_name": "\"role\"", "source_image": "\"other_image\"", "io_optimized": "false", "user_data": "\"#!/bin/sh\"",
            "user_data_file": "\"\(userData)\"", "system_disk_mapping": "{\"disk_size\": 40}", "image_disk_mappings": "[{\"disk_size\": 20}]",
            "vpc_cidr_block": "\"10.0.0.0/8\"", "vpc_name": "\"vpc-name\"", "vswitch_name": "\"vsw-name\"",
            "security_group_name": "\"sg-name\"", "image_version": "\"1.0\"", "image_description": "\"a description\"",
            "target_image_family": "\"fam-ily\"", "boot_mode": "\"UEFI\"", "resource_group_id": "\"rg-abc\"", "image_encrypted": "true",
        ]
        let before = try #require(api(render()))
        for name in AlicloudCalls.keys.sorted() where samples[name] != nil {
            let after = render(keys: [name: samples[name]!])
            #expect(after.errors.isEmpty, "\(name): \(after.errors)")
            #expect(api(after) != nil && api(after) != before, "\(name) does not change the API parameters")
        }
        // The two that need another key.
        let family = render(keys: ["image_family": "\"acs:centos_7\""], drop: ["source_image"])
        #expect(api(family)?["CreateInstance"]?["ImageFamily"] == "acs:centos_7" && api(family)?["CreateInstance"]?["ImageId"] == nil)
        let kms = render(keys: ["image_encrypted": "true", "kms_key_id": "\"key-1\""])
        #expect(api(kms)?["EncryptedCopyImage"]?["KMSKeyId"] == "key-1")
        #expect(Set(samples.keys).union(["image_family", "kms_key_id"]) == AlicloudCalls.keys)
    }

    /// Every disk mapping key reaches CreateInstance (DeleteWithInstance always true for data disks).
    @Test func everyDiskKeyReachesCreateInstance() throws {
        let disk = #"{"disk_name": "d1", "disk_category": "cloud_ssd", "disk_size": 30, "disk_snapshot_id": "s-1", "disk_description": "two\nlines", "disk_device": "/dev/xvdb", "disk_encrypted": true}"#
        let r = render("\"system_disk_mapping\": \(disk), \"image_disk_mappings\": [\(disk)]")
        let call = try #require(api(r)?["CreateInstance"]?.objectValue)
        for prefix in ["SystemDisk", "DataDisk.1"] {
            for (name, value) in [("DiskName", "d1"), ("Category", "cloud_ssd"), ("Size", "30"), ("SnapshotId", "s-1"), ("Description", "two\nlines"),
                                  ("Device", "/dev/xvdb"), ("Encrypted", "true")] {
                #expect(call["\(prefix).\(name)"]?.rawText == value, "\(prefix).\(name)")
            }
        }
        #expect(call["DataDisk.1.DeleteWithInstance"] == "true")
        #expect(call["SystemDisk.DeleteWithInstance"] == nil)
        let named = Set(["disk_name", "disk_category", "disk_size", "disk_snapshot_id", "disk_description", "disk_device", "disk_encrypted", "disk_delete_with_instance"])
        #expect(Set(AlicloudSchema.diskSchema.order) == named)
    }

    /// Every alicloud-import key is read by import.sh or marked.
    @Test func everyImporterKeyIsActedOnOrMarked() throws {
        let shell = try source("scripts/lib/import.sh")
        for name in AlicloudSchema.importer.order {
            let field = AlicloudSchema.importer.fields[name]!
            let marked = field.ignored != nil || field.unsupported != nil
            #expect(marked != reads(shell, name, prefix: "p_"), "\(name): marked \(marked), read by import.sh \(!marked)")
        }
    }

    /// The shell reads no key the schema lacks (a misspelt c_key would read as unset).
    @Test func theBuildRunnerReadsOnlySchemaKeys() throws {
        let shell = try source("scripts/lib/ecs-build.sh")
        let known = Set(AlicloudSchema.builder.order)
        let pattern = try NSRegularExpression(pattern: "\\bc_([a-z0-9_]+)")
        let ns = shell as NSString
        let used = Set(pattern.matches(in: shell, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) })
        #expect(!used.isEmpty)
        for name in used.sorted() { #expect(known.contains(name), "ecs-build.sh reads c_\(name), which is no alicloud-ecs key") }
    }

    /// Resolved keys never reach the plan.
    @Test func resolvedKeysLeaveThePlan() throws {
        let r = render(#""tag": [{"key": "a", "value": "b"}], "ssh_wait_timeout": "7m""#)
        let config = try #require(r.plan?["builds"]?.arrayValue?.first?["config"]?.objectValue)
        for key in AlicloudSchema.resolvedByRenderer.keys { #expect(config[key] == nil, "\(key)") }
        #expect(config["ssh_timeout"] == .double(420))
        #expect(config["tags"] == .object(["a": "b"]))
    }

    /// A key this toolkit does not act on is never silently accepted: a warning, or for a
    /// key whose absence changes how the build connects or whom it acts as, an error.
    @Test func unsupportedKeysAreReported() throws {
        for name in AlicloudSchema.builder.order {
            let field = AlicloudSchema.builder.fields[name]!
            guard field.unsupported != nil else { continue }
            let value: String
            switch field.kind {
            case .bool, .trilean: value = "true"
            case .int: value = "3"
            case .duration: value = "\"3s\""
            case .stringList: value = "[\"x\"]"
            case .choice(let options): value = "\"\(options[0])\""
            default: value = "\"x\""
            }
            let r = render("\"\(name)\": \(value)")
            let text = "not supported by this toolkit"
            if field.refused {
                #expect(r.errors.contains { $0.contains(name) && $0.contains(text) }, "\(name): \(r.errors)")
            } else {
                #expect(r.errors.isEmpty, "\(name): \(r.errors)")
                #expect(r.warnings.contains { $0.contains(name) && $0.contains(text) }, "\(name): \(r.warnings)")
            }
        }
        // Absent, nothing is said.
        #expect(render("").warnings.filter { $0.contains("not supported") }.isEmpty)
    }

    /// One default per value: a zero port or timeout takes the schema's default.
    @Test func zeroTakesTheSchemaDefault() throws {
        let r = render(#""ssh_port": 0, "wait_snapshot_ready_timeout": 0, "wait_copying_image_ready_timeout": 0, "ssh_timeout": "0s""#)
        let config = try #require(r.plan?["builds"]?.arrayValue?.first?["config"]?.objectValue)
        for key in ["ssh_port", "wait_snapshot_ready_timeout", "wait_copying_image_ready_timeout", "ssh_timeout"] {
            #expect(config[key] == AlicloudSchema.builder.fields[key]!.defaultValue, "\(key)")
        }
        #expect(config["winrm_port"] == .int(5985))
        #expect(config["temporary_key_pair_name"]?.stringValue?.hasPrefix("packer_") == true)
    }

    /// ssh_clear_authorized_keys reaches the plan true only when the build makes a temporary
    /// key pair (ssh, no private key file, no password): otherwise there is nothing to clear,
    /// and tmpl-render says so. The qemu builder still reports it as not supported.
    @Test func clearAuthorizedKeysNeedsATemporaryKeyPair() throws {
        func clear(_ r: (plan: JSONValue?, warnings: [String], errors: [String])) -> JSONValue? {
            r.plan?["builds"]?.arrayValue?.first?["config"]?["ssh_clear_authorized_keys"]
        }
        let key = FileManager.default.temporaryDirectory.appendingPathComponent("schema-key-\(getpid())")
        try "not a real key\n".write(to: key, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: key) }
        #expect(clear(render()) == .bool(false))
        let on = render(#""ssh_clear_authorized_keys": true"#)
        #expect(on.errors.isEmpty && clear(on) == .bool(true))
        #expect(!on.warnings.contains { $0.contains("ssh_clear_authorized_keys") }, "\(on.warnings)")
        // A key pair name without its private key file: the build still makes a temporary one.
        #expect(clear(render(#""ssh_clear_authorized_keys": true, "ssh_keypair_name": "mine""#)) == .bool(true))
        for (extra, cause) in [(#""ssh_private_key_file": "\#(key.path)""#, "ssh_private_key_file"),
                               (#""ssh_password": "Pa55word!""#, "ssh_password"),
                               (#""communicator": "none""#, "communicator is none")] {
            let off = render(#""ssh_clear_authorized_keys": true, "# + extra)
            #expect(off.errors.isEmpty, "\(off.errors)")
            #expect(clear(off) == .bool(false), "\(extra)")
            #expect(off.warnings.contains { $0.contains("ssh_clear_authorized_keys") && $0.contains("has no effect") && $0.contains(cause) },
                    "\(off.warnings)")
        }
        #expect(AlicloudSchema.builder.fields["ssh_clear_authorized_keys"]?.unsupported == nil)
        #expect(QemuSchema.builder.fields["ssh_clear_authorized_keys"]?.unsupported != nil)
    }

    /// The address keys: eip_id, associate_public_ip_address, ssh_private_ip.
    @Test func addressKeysAreChecked() throws {
        #expect(render(#""eip_id": "eip-123""#).errors.isEmpty)
        #expect(render(#""eip_id": "123""#).errors.contains { $0.contains("not an EIP allocation id") })
        #expect(render(#""associate_public_ip_address": false, "eip_id": "eip-1""#).errors.contains { $0.contains("give one or the other") })
        #expect(render(#""associate_public_ip_address": false"#).errors.contains { $0.contains("internet_max_bandwidth_out") })
        #expect(render(#""associate_public_ip_address": false, "internet_max_bandwidth_out": 5"#).errors.isEmpty)
        #expect(render(#""associate_public_ip_address": false, "ssh_private_ip": true"#).errors.isEmpty)
        #expect(render(#""ssh_private_ip": true, "eip_id": "eip-1""#).warnings.contains { $0.contains("unused") })
        #expect(render(#""resource_group_id": "grp""#).errors.contains { $0.contains("not a resource group id") })
        #expect(render(#""resource_group_id": "rg-acfm01""#).errors.isEmpty)
    }
}
