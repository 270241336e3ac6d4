import FoundationEssentials

/// The `alicloud-ecs` builder's keys (Packer 1.6.6 and the packer-plugin-alicloud
/// additions, packer-alicloud.md §1) and the `alicloud-import` post-processor's (§5).
enum AlicloudSchema {
    static let diskSchema = ConfigSchema([
        ConfigField("disk_name", .string),
        ConfigField("disk_category", .string),
        ConfigField("disk_size", .int),
        ConfigField("disk_snapshot_id", .string),
        ConfigField("disk_description", .string),
        ConfigField("disk_delete_with_instance", .trilean),
        ConfigField("disk_device", .string),
        ConfigField("disk_encrypted", .trilean),
    ])

    static let tagSchema = ConfigSchema([ConfigField("key", .string), ConfigField("value", .string)])

    static let access: [ConfigField] = [
        ConfigField("access_key", .string, env: ["ALICLOUD_ACCESS_KEY"]),
        ConfigField("secret_key", .string, env: ["ALICLOUD_SECRET_KEY"], sensitive: true),
        ConfigField("region", .string, env: ["ALICLOUD_REGION"]),
        ConfigField("skip_region_validation", .bool, false),
        ConfigField("skip_image_validation", .bool, false),
        ConfigField("profile", .string, env: ["ALICLOUD_PROFILE"]),
        ConfigField("shared_credentials_file", .localPath, env: ["ALICLOUD_SHARED_CREDENTIALS_FILE"]),
        ConfigField("security_token", .string, env: ["SECURITY_TOKEN", "ALICLOUD_SECURITY_TOKEN"], sensitive: true),
        ConfigField("ram_role_name", .string, unsupported: "credentials from the ECS instance's RAM role are not read; give access_key and secret_key (or profile)"),
        ConfigField("ram_role_arn", .string, unsupported: "no role is assumed, so the build would run as the access key's own identity", refused: true),
        ConfigField("ram_session_name", .string, unsupported: "no role is assumed"),
        ConfigField("custom_endpoint_ecs", .string, unsupported: "the calls would go to the public endpoint; set ALICLOUD_ENDPOINT instead (it applies to every product)", refused: true),
    ]

    static let image: [ConfigField] = [
        ConfigField("image_name", .string),
        ConfigField("image_version", .string),
        ConfigField("image_description", .string),
        ConfigField("image_share_account", .stringList, []),
        ConfigField("image_unshare_account", .stringList, []),
        ConfigField("image_copy_regions", .stringList, []),
        ConfigField("image_copy_names", .stringList, []),
        ConfigField("image_encrypted", .trilean),
        ConfigField("image_force_delete", .bool, false),
        ConfigField("image_force_delete_snapshots", .bool, false),
        ConfigField("image_force_delete_instances", .bool, false, ignored: "Packer and the plugin never use it"),
        ConfigField("image_ignore_data_disks", .bool, false),
        ConfigField("tags", .stringMap, [:]),
        ConfigField("tag", .objectList(tagSchema), []),
        ConfigField("system_disk_mapping", .object(diskSchema)),
        ConfigField("image_disk_mappings", .objectList(diskSchema), []),
        ConfigField("resource_group_id", .string),
        ConfigField("target_image_family", .string),
        ConfigField("boot_mode", .choice(["BIOS", "UEFI", "UEFI-Preferred"])),
        ConfigField("kms_key_id", .string),
        ConfigField("kms_key_copy_ids", .stringList, [], unsupported: "cross-region copies are made unencrypted from the source image, so the keys would not be used", refused: true),
    ]

    static let run: [ConfigField] = [
        ConfigField("instance_type", .string),
        ConfigField("source_image", .string),
        ConfigField("image_family", .string),
        ConfigField("zone_id", .string),
        ConfigField("io_optimized", .trilean),
        ConfigField("instance_name", .string),
        ConfigField("description", .string, ignored: "Packer never uses the builder's description"),
        ConfigField("internet_charge_type", .choice(["PayByBandwidth", "PayByTraffic"])),
        ConfigField("internet_max_bandwidth_out", .int),
        ConfigField("associate_public_ip_address", .trilean),
        ConfigField("eip_id", .string),
        ConfigField("ssh_private_ip", .bool, false),
        ConfigField("security_group_id", .string),
        ConfigField("security_group_name", .string),
        ConfigField("vpc_id", .string),
        ConfigField("vpc_name", .string),
        ConfigField("vpc_cidr_block", .string),
        ConfigField("vswitch_id", .string),
        ConfigField("vswitch_name", .string),
        ConfigField("user_data", .string),
        ConfigField("user_data_file", .localPath),
        ConfigField("force_stop_instance", .bool, false),
        ConfigField("disable_stop_instance", .bool, false),
        ConfigField("wait_snapshot_ready_timeout", .int, 3600),
        ConfigField("wait_copying_image_ready_timeout", .int, 3600),
        ConfigField("ecs_ram_role_name", .string),
        ConfigField("run_tags", .stringMap, [:]),
        ConfigField("security_enhancement_strategy", .choice(["Active", "Deactive"])),
        ConfigField("skip_create_image", .bool, false),
    ]

    static let communicator: [ConfigField] = [
        ConfigField("communicator", .choice(["none", "ssh", "winrm"]), "ssh"),
        ConfigField("pause_before_connecting", .duration, 0),
        ConfigField("ssh_host", .string, ignored: "the builder connects to the address of the instance it made"),
        ConfigField("ssh_port", .int, 22),
        ConfigField("ssh_username", .string),
        ConfigField("ssh_password", .string, sensitive: true),
        ConfigField("ssh_keypair_name", .string),
        ConfigField("temporary_key_pair_name", .string),
        ConfigField("temporary_key_pair_type", .choice(["dsa", "ecdsa", "ed25519", "rsa"]), "rsa", ignored: "Alibaba Cloud's CreateKeyPair makes the key itself (Packer ignores it too)"),
        ConfigField("temporary_key_pair_bits", .int, 0, ignored: "Alibaba Cloud's CreateKeyPair makes the key itself (Packer ignores it too)"),
        ConfigField("ssh_ciphers", .stringList, []),
        ConfigField("ssh_clear_authorized_keys", .bool, false),
        ConfigField("ssh_key_exchange_algorithms", .stringList, []),
        ConfigField("ssh_private_key_file", .localPath),
        ConfigField("ssh_certificate_file", .localPath, unsupported: "certificate authentication is not offered; the connection would use the key alone", refused: true),
        ConfigField("ssh_public_key", .string, ignored: "Packer sets it itself from the key pair"),
        ConfigField("ssh_private_key", .string, sensitive: true, ignored: "Packer sets it itself from the key pair"),
        ConfigField("ssh_pty", .bool, false, unsupported: "commands run without a pseudo-terminal"),
        ConfigField("ssh_timeout", .duration, 300),
        ConfigField("ssh_wait_timeout", .duration),
        ConfigField("ssh_agent_auth", .bool, false, unsupported: "the SSH agent is not used; give ssh_private_key_file, or leave both out for a temporary key pair"),
        ConfigField("ssh_disable_agent_forwarding", .bool, false, unsupported: "the SSH agent is never forwarded"),
        ConfigField("ssh_handshake_attempts", .int, 10, unsupported: "the connection is retried until ssh_timeout"),
        ConfigField("ssh_bastion_host", .string),
        ConfigField("ssh_bastion_port", .int, 22),
        ConfigField("ssh_bastion_agent_auth", .bool, false, unsupported: "the bastion is reached with the build's own key"),
        ConfigField("ssh_bastion_username", .string),
        ConfigField("ssh_bastion_password", .string, sensitive: true, unsupported: "the bastion is reached with the build's own key, not a password", refused: true),
        ConfigField("ssh_bastion_interactive", .bool, false, unsupported: "the bastion is reached with the build's own key"),
        ConfigField("ssh_bastion_private_key_file", .localPath, unsupported: "the bastion is reached with the build's own key", refused: true),
        ConfigField("ssh_bastion_certificate_file", .localPath, unsupported: "the bastion is reached with the build's own key", refused: true),
        ConfigField("ssh_file_transfer_method", .choice(["scp", "sftp"]), "scp", unsupported: "files are copied with ssh-run's own transfer"),
        ConfigField("ssh_proxy_host", .string, unsupported: "the connection would go direct, not through the SOCKS proxy", refused: true),
        ConfigField("ssh_proxy_port", .int, 1080, unsupported: "no SOCKS proxy is used"),
        ConfigField("ssh_proxy_username", .string, unsupported: "no SOCKS proxy is used"),
        ConfigField("ssh_proxy_password", .string, sensitive: true, unsupported: "no SOCKS proxy is used"),
        ConfigField("ssh_keep_alive_interval", .duration, 5, unsupported: "ssh-run sends keep-alives every 15 seconds"),
        ConfigField("ssh_read_write_timeout", .duration, 0, unsupported: "only ssh_timeout and the provisioners' timeout apply"),
        ConfigField("ssh_remote_tunnels", .stringList, [], unsupported: "no tunnels are opened, and provisioners that rely on them would fail", refused: true),
        ConfigField("ssh_local_tunnels", .stringList, [], unsupported: "no tunnels are opened, and provisioners that rely on them would fail", refused: true),
        ConfigField("winrm_username", .string),
        ConfigField("winrm_password", .string, sensitive: true),
        ConfigField("winrm_host", .string, ignored: "the builder connects to the address of the instance it made"),
        ConfigField("winrm_no_proxy", .bool, false, unsupported: "winrm-run never uses a proxy"),
        ConfigField("winrm_port", .int),
        ConfigField("winrm_timeout", .duration, 1800),
        ConfigField("winrm_use_ssl", .bool, false),
        ConfigField("winrm_insecure", .bool, false),
        ConfigField("winrm_use_ntlm", .bool, false, unsupported: "winrm-run authenticates with Basic only"),
    ]

    /// Every alicloud-ecs key.
    static let builder = ConfigSchema(access + image + run + communicator)

    /// The alicloud-import post-processor's keys (its own, the access keys, and the image
    /// keys it reads).
    static let importer = ConfigSchema(access.map { field in
        var f = field
        switch f.name {
        case "skip_region_validation": f.ignored = "the import does not validate regions"
        case "skip_image_validation": f.ignored = "the import has no source image"
        default: break
        }
        return f
    } + [
        ConfigField("oss_bucket_name", .string),
        ConfigField("oss_key_name", .string),
        ConfigField("skip_clean", .bool, false),
        ConfigField("image_name", .string),
        ConfigField("image_description", .string),
        ConfigField("image_force_delete", .bool, false),
        ConfigField("image_os_type", .choice(["linux", "windows"])),
        ConfigField("image_platform", .string),
        ConfigField("image_architecture", .choice(["arm64", "i386", "x86_64"])),
        ConfigField("image_system_size", .string),
        ConfigField("format", .string),
        ConfigField("resource_group_id", .string),
        // Packer never applied these tags; img-import applies them to the image and its snapshots.
        ConfigField("tags", .stringMap, [:]),
        ConfigField("image_share_account", .stringList, [], ignored: "alicloud-import never shares the imported image"),
        ConfigField("image_copy_regions", .stringList, [], ignored: "alicloud-import never copies the imported image"),
    ])

    /// Keys tmpl-render resolves into others: they never reach the plan. Every other key is
    /// read by the build runner (scripts/lib/ecs-build.sh, import.sh) or marked ignored or
    /// unsupported (AlicloudSchemaTests holds the two to this).
    static let resolvedByRenderer: [String: String] = [
        "tag": "merged into tags",
        "ssh_wait_timeout": "becomes ssh_timeout",
    ]

    /// Builder keys alicloud-import accepts (the builder config is squashed into it) but ignores.
    static let importIgnored: [String: String] = {
        var out: [String: String] = [:]
        for name in builder.order where importer.fields[name] == nil {
            out[name] = "it is a builder setting; alicloud-import does not use it"
        }
        return out
    }()

    /// Checks that need several keys at once, and applies defaults that depend on others.
    static func validateBuilder(_ config: inout [String: JSONValue], path: String, sink: DiagnosticSink, clock: RenderClock) {
        func string(_ k: String) -> String? {
            if let s = config[k]?.stringValue, !s.isEmpty { return s }
            return nil
        }
        func flag(_ k: String) -> Bool { config[k]?.boolValue ?? false }
        func at(_ k: String) -> String { "\(path).\(k)" }

        validateAccess(config, path: path, sink: sink)

        // Names, descriptions and tags: Alibaba Cloud's rules (AlicloudNames.swift).
        if string("image_name") == nil && !flag("skip_create_image") {
            sink.error(path, "\"image_name\" is required")
        }
        if string("instance_type") == nil { sink.error(path, "\"instance_type\" is required") }
        switch (string("source_image"), string("image_family")) {
        case (nil, nil): sink.error(path, "\"source_image\" (or \"image_family\") is required")
        case (.some, .some): sink.error(at("image_family"), "give either \"source_image\" or \"image_family\", not both")
        case (.some(let s), nil):
            if s != s.trimmingSpace() || s.contains(" ") {
                sink.error(at("source_image"), "must not contain spaces")
            }
        default: break
        }
        if let family = string("target_image_family") {
            let lower = family.lowercased()
            let first = family.unicodeScalars.first!
            let okChars = family.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || ("0"..."9").contains($0) || "_-.:".unicodeScalars.contains($0) }
            if !first.properties.isAlphabetic || !okChars || family.count < 2 || family.count > 128
                || lower.hasPrefix("aliyun") || lower.hasPrefix("acs:") || lower.hasPrefix("http://") || lower.hasPrefix("https://") {
                sink.error(at("target_image_family"), "must be 2 to 128 characters, start with a letter, use only letters, digits, '_', '-', '.' and ':', and not start with \"aliyun\", \"acs:\" or \"http(s)://\"")
            }
        }
        if string("user_data") != nil && string("user_data_file") != nil {
            sink.error(at("user_data_file"), "give either \"user_data\" or \"user_data_file\", not both")
        }
        for key in ["user_data_file", "ssh_private_key_file", "ssh_certificate_file", "ssh_bastion_private_key_file", "ssh_bastion_certificate_file"] {
            if let file = string(key) { checkReadableFile(file, at(key), sink) }
        }
        if let file = string("shared_credentials_file"), string("profile") != nil { checkReadableFile(file, at("shared_credentials_file"), sink) }

        // Copy regions: de-duplicated, order kept.
        if case .array(let regions)? = config["image_copy_regions"] {
            var seen: Set<String> = []
            var unique: [JSONValue] = []
            for r in regions {
                let s = r.stringValue ?? ""
                if seen.insert(s).inserted { unique.append(r) } else { sink.warning(at("image_copy_regions"), "region \"\(s)\" is listed twice; copied once") }
            }
            config["image_copy_regions"] = .array(unique)
            if let names = config["image_copy_names"]?.arrayValue, names.count > unique.count {
                sink.warning(at("image_copy_names"), "\(names.count) names for \(unique.count) copy regions; the extra names are unused")
            }
        }

        // tag blocks merge into tags.
        var tags = config["tags"]?.objectValue ?? [:]
        for (k, entry) in (config["tag"]?.arrayValue ?? []).enumerated() {
            guard let key = entry["key"]?.stringValue, !key.isEmpty else {
                sink.error("\(path).tag[\(k)]", "\"key\" is required")
                continue
            }
            let value = entry["value"]?.stringValue ?? ""
            if let old = tags[key], old != .string(value) {
                sink.warning("\(path).tag[\(k)]", "tag \"\(key)\" is also in \"tags\"; the tag block's value wins")
            }
            tags[key] = .string(value)
        }
        config["tags"] = .object(tags)
        config.removeValue(forKey: "tag")
        validateNames(config, path: path, sink: sink, importer: false)

        // Data disks: deleted with the instance unless the template says otherwise.
        if case .array(let disks)? = config["image_disk_mappings"] {
            config["image_disk_mappings"] = .array(disks.enumerated().map { k, disk in
                guard case .object(var d) = disk else { return disk }
                if d["disk_delete_with_instance"] == .bool(false) {
                    sink.warning("\(path).image_disk_mappings[\(k)].disk_delete_with_instance", "false is not followed: this toolkit deletes every data disk with the instance (DeleteWithInstance=true), so that a build leaves no disk behind; the image keeps the disk's snapshot")
                }
                d["disk_delete_with_instance"] = .bool(true)
                return .object(d)
            })
        }

        // A zero port or timeout means the default, as in Packer's communicator config
        // (TestRunConfigPrepare_SSHPort: "ssh_port": 0 connects on 22). The schema holds
        // the one default of each.
        for key in ["ssh_port", "ssh_bastion_port", "ssh_proxy_port", "ssh_timeout", "winrm_timeout", "wait_snapshot_ready_timeout",
                    "wait_copying_image_ready_timeout"]
        where config[key] == .int(0) || config[key] == .double(0) {
            config[key] = builder.fields[key]!.defaultValue!
        }
        if config["winrm_port"] == .int(0) { config["winrm_port"] = .null }
        if config["image_encrypted"] == .bool(false) {
            sink.warning(at("image_encrypted"), "false: nothing is encrypted or copied (Packer 1.6.6 copies the image unencrypted under the same name, which the API refuses)")
        }
        if string("kms_key_id") != nil && config["image_encrypted"] != .bool(true) {
            sink.error(at("kms_key_id"), "needs \"image_encrypted\": true (the key encrypts the image's same-region copy)")
        }
        if let legacy = config["ssh_wait_timeout"], legacy != .null {
            config["ssh_timeout"] = legacy
            sink.warning(at("ssh_wait_timeout"), "deprecated: use \"ssh_timeout\"")
        }
        config.removeValue(forKey: "ssh_wait_timeout")

        // Communicator.
        let communicator = string("communicator") ?? "ssh"
        if config["winrm_port"] == .null { config["winrm_port"] = flag("winrm_use_ssl") ? 5986 : 5985 }
        if string("temporary_key_pair_name") == nil { config["temporary_key_pair_name"] = .string("packer_\(clock.uuid())") }
        switch communicator {
        case "ssh":
            if string("ssh_username") == nil { sink.error(path, "\"ssh_username\" is required when the communicator is ssh") }
            if string("ssh_keypair_name") != nil && string("ssh_private_key_file") == nil && !flag("ssh_agent_auth") {
                sink.warning(at("ssh_keypair_name"), "ignored without \"ssh_private_key_file\" or \"ssh_agent_auth\": Packer then binds no key pair at all and cannot log in (\"Not using temporary keypair\"); this toolkit makes a temporary key pair instead")
            }
        case "winrm":
            if string("winrm_username") == nil { sink.error(path, "\"winrm_username\" is required when the communicator is winrm") }
            if string("winrm_password") == nil {
                sink.error(path, "\"winrm_password\" is required when the communicator is winrm (Windows instances cannot use key pairs; the password becomes the Administrator's)")
            }
        default: break
        }

        // ssh_clear_authorized_keys (Packer's StepCleanupTempKeys) removes only the temporary
        // key pair's line: true in the plan only when the build makes one, which it does for
        // ssh without a private key file or password (scripts/lib/ecs-build.sh, the key pair).
        if flag("ssh_clear_authorized_keys") {
            let without = communicator != "ssh" ? "the communicator is \(communicator)"
                : string("ssh_private_key_file") != nil ? "the build logs in with \"ssh_private_key_file\""
                : string("ssh_password") != nil ? "the build logs in with \"ssh_password\"" : nil
            if let without {
                sink.warning(at("ssh_clear_authorized_keys"), "has no effect: \(without), so there is no temporary key pair to remove (Packer does nothing either)")
                config["ssh_clear_authorized_keys"] = .bool(false)
            }
        }

        // Network: VPC unless only passwords are given (then the classic network, as Packer).
        let temporaryKey = string("ssh_keypair_name") == nil && string("ssh_private_key_file") == nil
            && string("ssh_password") == nil && string("winrm_password") == nil
        let vpc = string("vpc_id") != nil || string("vswitch_id") != nil || string("user_data") != nil || string("user_data_file") != nil
            || string("ssh_private_key_file") != nil || string("ssh_keypair_name") != nil || temporaryKey
        if !vpc {
            if config["internet_charge_type"] == .null { config["internet_charge_type"] = "PayByTraffic" }
            if config["internet_max_bandwidth_out"] == .null { config["internet_max_bandwidth_out"] = 5 }
            sink.warning(path, "no VPC setting, key pair or user data: Packer uses the classic network here, which most accounts no longer have (set \"vpc_id\", \"vswitch_id\" or a key pair to use a VPC)")
        }
        // The address the communicator connects to: the private IP, the given EIP, a new
        // EIP (the default, and associate_public_ip_address: true), or with an explicit false
        // the instance's own public IP (AllocatePublicIpAddress, which needs bandwidth).
        if flag("ssh_private_ip") {
            if string("eip_id") != nil { sink.warning(at("eip_id"), "unused with \"ssh_private_ip\": the build connects to the private address") }
        } else if config["associate_public_ip_address"] == .bool(false) {
            if string("eip_id") != nil {
                sink.error(at("eip_id"), "\"associate_public_ip_address\": false asks for no EIP; give one or the other")
            } else if (config["internet_max_bandwidth_out"]?.intValue ?? 0) <= 0 {
                sink.error(at("associate_public_ip_address"), "false: the instance's own public IP needs \"internet_max_bandwidth_out\" above 0 (or set \"ssh_private_ip\")")
            }
        }
        if let eip = string("eip_id"), !eip.hasPrefix("eip-") {
            sink.error(at("eip_id"), "\"\(eip)\" is not an EIP allocation id (eip-...)")
        }
        if let group = string("resource_group_id"), !group.hasPrefix("rg-") {
            sink.error(at("resource_group_id"), "\"\(group)\" is not a resource group id (rg-...)")
        }
        if string("vswitch_id") != nil && string("vpc_id") == nil {
            sink.error(at("vswitch_id"), "\"vswitch_id\" needs \"vpc_id\" (Packer would make a new VPC and then not find the vswitch in it)")
        }
        if communicator == "winrm", string("user_data") == nil, string("user_data_file") == nil {
            sink.warning(path, "WinRM is off in Alibaba Cloud Windows images: enable it with \"user_data_file\" (see examples/alicloud/basic/winrm_enable_userdata.ps1)")
        }
    }

    static func validateAccess(_ config: [String: JSONValue], path: String, sink: DiagnosticSink) {
        func string(_ k: String) -> String? {
            if let s = config[k]?.stringValue, !s.isEmpty { return s }
            return nil
        }
        if (string("access_key") == nil || string("secret_key") == nil) && string("profile") == nil {
            sink.error(path, "\"access_key\" and \"secret_key\" are not set: give them in the template or in ALICLOUD_ACCESS_KEY and ALICLOUD_SECRET_KEY", kind: .credentials)
        }
        if string("region") == nil {
            sink.error(path, "\"region\" is not set: give it in the template or in ALICLOUD_REGION", kind: .credentials)
        }
    }

    static func validateImporter(_ config: inout [String: JSONValue], path: String, sink: DiagnosticSink, clock: RenderClock) {
        validateAccess(config, path: path, sink: sink)
        if (config["oss_bucket_name"]?.stringValue ?? "").isEmpty { sink.error(path, "\"oss_bucket_name\" is required") }
        if (config["oss_key_name"]?.stringValue ?? "").isEmpty {
            config["oss_key_name"] = .string("Packer_\(clock.seconds)\(TimeFormat.pad(Int(clock.nanoseconds), 9))")
        }
        if let format = config["format"]?.stringValue, !format.isEmpty {
            let upper = format.uppercased()
            if ["QCOW2", "RAW", "VHD"].contains(upper) { config["format"] = .string(upper) } else {
                sink.error("\(path).format", "must be one of \"QCOW2\", \"RAW\", \"VHD\", not \"\(format)\"")
            }
        }
        if (config["image_name"]?.stringValue ?? "").isEmpty {
            sink.warning(path, "no \"image_name\": the imported image gets a name chosen by the API")
        }
        validateNames(config, path: path, sink: sink, importer: true)
    }

    /// Reports a path that is not a readable regular file.
    static func checkReadableFile(_ file: String, _ path: String, _ sink: DiagnosticSink) {
        if !FileManager.default.fileExists(atPath: file) {
            sink.error(path, "file \"\(file)\" does not exist")
        } else if Paths.isDirectory(file) {
            sink.error(path, "\"\(file)\" is a directory, not a file")
        } else if !FileManager.default.isReadableFile(atPath: file) {
            sink.error(path, "file \"\(file)\" is not readable")
        }
    }
}
