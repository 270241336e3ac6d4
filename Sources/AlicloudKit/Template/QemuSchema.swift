import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The `qemu` builder's keys (Packer 1.6.6 builder/qemu, with its ISO, HTTP, boot command,
/// shutdown and communicator settings), its defaults and checks.
enum QemuSchema {
    /// Keys Packer renders at run time, when {{ .HTTPIP }}, {{ .HTTPPort }} and {{ .Name }} are known.
    static let runTimeKeys: Set<String> = ["boot_command", "qemuargs"]

    static let builder = ConfigSchema([
        // ISO (common/iso_config.go)
        ConfigField("iso_url", .string),
        ConfigField("iso_urls", .stringList, []),
        ConfigField("iso_checksum", .string),
        ConfigField("iso_checksum_type", .string),
        ConfigField("iso_checksum_url", .string),
        ConfigField("iso_target_path", .localPath),
        ConfigField("iso_target_extension", .string, "iso"),
        ConfigField("iso_skip_cache", .bool, false),
        ConfigField("disk_image", .bool, false),
        ConfigField("use_backing_file", .bool, false),
        // HTTP and boot command
        ConfigField("http_directory", .localPath),
        ConfigField("http_port_min", .int, 8000),
        ConfigField("http_port_max", .int, 9000),
        ConfigField("http_bind_address", .string, "127.0.0.1"),
        ConfigField("boot_command", .stringList, []),
        ConfigField("boot_wait", .duration, 10),
        ConfigField("boot_key_interval", .duration, .double(0.1)),
        ConfigField("boot_keygroup_interval", .duration, 0),
        ConfigField("disable_vnc", .bool, false),
        ConfigField("vnc_bind_address", .string, "127.0.0.1"),
        ConfigField("vnc_port_min", .int, 5900),
        ConfigField("vnc_port_max", .int, 6000),
        ConfigField("vnc_use_password", .bool, false),
        // Shutdown
        ConfigField("shutdown_command", .string),
        ConfigField("shutdown_timeout", .duration, 300),
        // The virtual machine
        ConfigField("accelerator", .choice(["kvm", "tcg", "xen", "hax", "hvf", "whpx", "none"])),
        ConfigField("qemu_binary", .string, "qemu-system-x86_64"),
        ConfigField("machine_type", .string, "pc"),
        ConfigField("cpus", .int, 1),
        ConfigField("memory", .int, 512),
        ConfigField("disk_size", .string, "40960M"),
        ConfigField("disk_additional_size", .stringList, []),
        ConfigField("disk_interface", .choice(["ide", "scsi", "virtio", "virtio-scsi"]), "virtio"),
        ConfigField("disk_cache", .choice(["writethrough", "writeback", "none", "unsafe", "directsync"]), "writeback"),
        ConfigField("disk_discard", .choice(["unmap", "ignore"]), "ignore"),
        ConfigField("disk_detect_zeroes", .choice(["unmap", "on", "off"]), "off"),
        ConfigField("skip_compaction", .bool, false),
        ConfigField("disk_compression", .bool, false),
        ConfigField("skip_resize_disk", .bool, false),
        ConfigField("format", .choice(["qcow2", "raw"]), "qcow2"),
        ConfigField("headless", .bool, false),
        ConfigField("use_default_display", .bool, false),
        ConfigField("display", .string),
        ConfigField("net_device", .string, "virtio-net"),
        ConfigField("net_bridge", .string),
        ConfigField("cdrom_interface", .string),
        ConfigField("firmware", .localPath),
        ConfigField("output_directory", .string),
        ConfigField("vm_name", .string),
        ConfigField("qemu_img_args", .object(ConfigSchema([
            ConfigField("convert", .stringList, []), ConfigField("create", .stringList, []), ConfigField("resize", .stringList, []),
        ]))),
        ConfigField("qmp_enable", .bool, false),
        ConfigField("qmp_socket_path", .string),
        ConfigField("floppy_files", .localPathList, []),
        ConfigField("floppy_dirs", .localPathList, []),
        ConfigField("floppy_label", .string),
        ConfigField("cd_files", .localPathList, []),
        ConfigField("cd_label", .string),
        ConfigField("run_once", .bool, false, ignored: "Packer never uses it"),
        // Communicator: the guest's port is forwarded from a free host port in this range.
        ConfigField("host_port_min", .int, 2222),
        ConfigField("host_port_max", .int, 4444),
        ConfigField("ssh_host_port_min", .int),
        ConfigField("ssh_host_port_max", .int),
        ConfigField("skip_nat_mapping", .bool, false),
        ConfigField("ssh_skip_nat_mapping", .bool, false),
    ] + AlicloudSchema.communicator.filter {
        !["temporary_key_pair_name", "ssh_keypair_name"].contains($0.name)
    }.map { field in
        var f = field
        if f.name == "ssh_clear_authorized_keys" {
            f.unsupported = "the qemu builder makes no temporary key, so nothing is removed from the guest's authorized_keys"
        }
        return f
    })

    /// Checks and run-time defaults of a qemu builder; `buildName` names the output directory and VM.
    static func validate(_ config: inout [String: JSONValue], path: String, buildName: String, sink: DiagnosticSink,
                         environment: [String: String], pwd: String) {
        func string(_ k: String) -> String? {
            if let s = config[k]?.stringValue, !s.isEmpty { return s }
            return nil
        }
        func at(_ k: String) -> String { "\(path).\(k)" }

        // ISO: iso_url joins iso_urls; local paths become absolute file paths.
        var urls = (config["iso_urls"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let one = string("iso_url") {
            if !urls.isEmpty { sink.error(at("iso_url"), "give either \"iso_url\" or \"iso_urls\", not both") }
            urls = [one]
        }
        if urls.isEmpty { sink.error(path, "one of \"iso_url\" or \"iso_urls\" must be specified") }
        config["iso_urls"] = .array(urls.map { .string(localISO($0, pwd: pwd)) })
        config.removeValue(forKey: "iso_url")
        var checksum = string("iso_checksum") ?? ""
        if let type = string("iso_checksum_type") {
            sink.warning(at("iso_checksum_type"), "deprecated: write \"iso_checksum\": \"\(type.lowercased()):\(checksum)\" (packer fix does)")
            if type.lowercased() == "none" { checksum = "none" } else if !checksum.contains(":") { checksum = "\(type.lowercased()):\(checksum)" }
        }
        if let url = string("iso_checksum_url") {
            sink.warning(at("iso_checksum_url"), "deprecated: write \"iso_checksum\": \"file:\(url)\"")
            if checksum.isEmpty { checksum = "file:\(url)" }
        }
        config.removeValue(forKey: "iso_checksum_type")
        config.removeValue(forKey: "iso_checksum_url")
        if checksum.isEmpty {
            sink.error(path, "an \"iso_checksum\" must be specified (\"none\" to skip the check, which is not recommended)")
        } else if let problem = checkChecksum(&checksum, pwd: pwd) {
            sink.error(at("iso_checksum"), problem)
        }
        config["iso_checksum"] = .string(checksum)

        // disk_size: digits with an optional unit; megabytes without one.
        if let size = string("disk_size") {
            let lower = size.lowercased()
            let digits = lower.prefix { $0.isASCII && $0.isNumber }
            let unit = lower.dropFirst(digits.count)
            if digits.isEmpty || !(unit.isEmpty || ["b", "k", "m", "g", "t"].contains(String(unit))) {
                sink.error(at("disk_size"), "\"\(size)\" is not a disk size: digits with an optional unit b, k, m, g or t (e.g. 40960M, 40G)")
            } else if unit.isEmpty {
                config["disk_size"] = .string(size == "0" ? "40960M" : size + "M")
            }
        }
        // The accelerator Packer picks: kvm when /dev/kvm opens (for reading, as Go's
        // os.Open does), else tcg.
        if string("accelerator") == nil {
            let fd = open("/dev/kvm", O_RDONLY)
            config["accelerator"] = .string(fd >= 0 ? "kvm" : "tcg")
            if fd >= 0 { close(fd) }
        }
        if (config["memory"]?.intValue ?? 0) < 10 { config["memory"] = 512 }
        if (config["cpus"]?.intValue ?? 0) < 1 { config["cpus"] = 1 }
        if string("output_directory") == nil { config["output_directory"] = .string("output-\(buildName)") }
        config["output_directory"] = .string(ConfigDecoder.absolute(string("output_directory")!, pwd: pwd))
        if string("vm_name") == nil { config["vm_name"] = .string("packer-\(buildName)") }
        if string("format") != "qcow2" {
            config["skip_compaction"] = true
            config["disk_compression"] = false
        }
        if config["use_backing_file"]?.boolValue == true {
            config["skip_compaction"] = true
            if !(config["disk_image"]?.boolValue == true && string("format") == "qcow2") {
                sink.error(at("use_backing_file"), "use_backing_file can only be enabled for QCOW2 images and when disk_image is true")
            }
        }
        if config["disk_image"]?.boolValue == true, !(config["disk_additional_size"]?.arrayValue ?? []).isEmpty {
            sink.error(at("disk_additional_size"), "disk_additional_size can only be used when disk_image is false")
        }
        // "Output directory ... already exists" is the runner's check (qemu-build.sh --check):
        // the template is rendered again after the build (alicloud-import), when it does exist.
        // The old names of the forwarded port's range win when given, as in Packer.
        if let low = config["ssh_host_port_min"], low != .null { config["host_port_min"] = low }
        if let high = config["ssh_host_port_max"], high != .null { config["host_port_max"] = high }
        config.removeValue(forKey: "ssh_host_port_min")
        config.removeValue(forKey: "ssh_host_port_max")
        for (low, high) in [("http_port_min", "http_port_max"), ("host_port_min", "host_port_max"), ("vnc_port_min", "vnc_port_max")] {
            if let l = config[low]?.intValue, let h = config[high]?.intValue, l > h {
                sink.error(at(low), "\(low) \(l) must not be above \(high) \(h)")
            }
        }
        if let dir = string("http_directory") {
            if !Paths.isDirectory(dir) {
                sink.error(at("http_directory"), "\"\(dir)\" is not a directory")
            }
        }
        if let firmware = string("firmware") { AlicloudSchema.checkReadableFile(firmware, at("firmware"), sink) }

        // boot_command: every entry must type (data filled with stand-ins; the syntax is what counts).
        let sample = ["HTTPIP": "10.0.2.2", "HTTPPort": "8000", "Name": "vm"]
        for (k, entry) in (config["boot_command"]?.arrayValue ?? []).enumerated() {
            guard let text = entry.stringValue else { continue }
            do throws(BootCommandError) { _ = try BootCommand.parse(try BootCommand.fill(text, sample)) } catch {
                sink.error("\(path).boot_command[\(k)]", error.message)
            }
        }

        let communicator = string("communicator") ?? "ssh"
        if communicator == "ssh", string("ssh_username") == nil {
            sink.error(path, "\"ssh_username\" is required when the communicator is ssh")
        }
        if communicator == "winrm" { sink.error(at("communicator"), "the qemu builder runs the ssh communicator (or none) only") }
        if string("shutdown_command") == nil, communicator != "none" {
            sink.warning(path, "no \"shutdown_command\": QEMU is stopped (killed, as Packer does) once provisioning ends, so the guest cannot flush its disks")
        }
    }

    /// `qemuargs`: a list of lists of strings; kept unrendered for the run.
    static func decodeQemuargs(_ raw: JSONValue?, path: String, sink: DiagnosticSink) -> JSONValue {
        guard let raw, raw != .null else { return .array([]) }
        guard case .array(let rows) = raw else {
            sink.error(path, "expected a list of argument lists such as [[\"-m\", \"1024M\"]], got \(describe(raw))")
            return .array([])
        }
        var out: [JSONValue] = []
        for (k, row) in rows.enumerated() {
            guard case .array(let items) = row, !items.isEmpty else {
                sink.error("\(path)[\(k)]", "expected a non-empty list of strings such as [\"-m\", \"1024M\"]")
                continue
            }
            out.append(.array(items.map { .string(weakString($0) ?? "") }))
        }
        return .array(out)
    }

    /// A local ISO path or file:// URL as an absolute path; other URLs unchanged.
    static func localISO(_ url: String, pwd: String) -> String {
        if url.hasPrefix("file://") { return ConfigDecoder.absolute(String(url.dropFirst(7)), pwd: pwd) }
        if url.contains("://") { return url }
        return ConfigDecoder.absolute(url, pwd: pwd)
    }

    /// Normalises `type:value` (a bare value: its type from its length); nil when well formed.
    static func checkChecksum(_ checksum: inout String, pwd: String) -> String? {
        if checksum.lowercased() == "none" { checksum = "none"; return nil }
        let lengths = [32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"]
        guard let colon = checksum.firstIndex(of: ":") else {
            guard let type = lengths[checksum.count], checksum.allSatisfy(\.isHexDigit) else {
                return "\"\(checksum)\" is not a checksum: write TYPE:VALUE (md5:, sha1:, sha256:, sha512:, file:URL) or none"
            }
            checksum = "\(type):\(checksum.lowercased())"
            return nil
        }
        let type = checksum[..<colon].lowercased()
        let value = String(checksum[checksum.index(after: colon)...])
        if type == "file" {
            checksum = "file:\(localISO(value, pwd: pwd))"
            return nil
        }
        guard let expected = lengths.first(where: { $0.value == type })?.key else {
            return "unsupported checksum type \"\(type)\" (md5, sha1, sha256, sha512, file or none)"
        }
        guard value.count == expected, value.allSatisfy(\.isHexDigit) else {
            return "\"\(value)\" is not a \(type) checksum (\(expected) hexadecimal digits)"
        }
        checksum = "\(type):\(value.lowercased())"
        return nil
    }
}
