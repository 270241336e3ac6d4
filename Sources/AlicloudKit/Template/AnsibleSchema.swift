import FoundationEssentials

extension ProvisionerSchema {
    /// Packer's remote `ansible` provisioner. The toolkit never needs Packer's SSH proxy
    /// adapter: ssh-run (or winrm-run) hands `ansible-playbook` the build's own connection,
    /// so `use_proxy`, `local_port`, `ssh_host_key_file`, `ssh_authorized_key_file` and
    /// `sftp_command` are accepted and checked as Packer checks them, and otherwise unused.
    static let ansible = PluginType(schema: ConfigSchema([
        ConfigField("playbook_file", .localPath),
        ConfigField("command", .string, "ansible-playbook"),
        ConfigField("extra_arguments", .stringList, []),
        ConfigField("ansible_env_vars", .stringList, []),
        ConfigField("ansible_ssh_extra_args", .stringList, []),
        ConfigField("groups", .stringList, []),
        ConfigField("empty_groups", .stringList, []),
        ConfigField("host_alias", .string, "default"),
        ConfigField("user", .string),
        ConfigField("local_port", .int, 0),
        ConfigField("use_proxy", .trilean),
        ConfigField("ssh_host_key_file", .localPath),
        ConfigField("ssh_authorized_key_file", .localPath),
        ConfigField("sftp_command", .string, "/usr/lib/sftp-server -e"),
        ConfigField("skip_version_check", .bool, false),
        ConfigField("use_sftp", .bool, false),
        ConfigField("inventory_directory", .localPath),
        ConfigField("inventory_file_template", .string, rendered: false),
        ConfigField("inventory_file", .localPath),
        ConfigField("keep_inventory_file", .bool, false),
        ConfigField("galaxy_file", .localPath),
        ConfigField("galaxy_command", .string, "ansible-galaxy"),
        ConfigField("galaxy_force_install", .bool, false),
        ConfigField("roles_path", .localPath),
        ConfigField("collections_path", .localPath),
    ])) { config, path, sink, _, _ in
        if isEmpty(config["playbook_file"]) {
            sink.error(path, "\"playbook_file\" is required")
        } else {
            AlicloudSchema.checkReadableFile(config["playbook_file"]?.stringValue ?? "", "\(path).playbook_file", sink)
        }
        for key in ["galaxy_file", "ssh_host_key_file", "ssh_authorized_key_file", "inventory_file"] {
            if let file = config[key]?.stringValue, !file.isEmpty { AlicloudSchema.checkReadableFile(file, "\(path).\(key)", sink) }
        }
        if let dir = config["inventory_directory"]?.stringValue, !dir.isEmpty {
            if !FileManager.default.fileExists(atPath: dir) {
                sink.error("\(path).inventory_directory", "\(dir) does not exist")
            } else if !Paths.isDirectory(dir) {
                sink.error("\(path).inventory_directory", "\(dir) must point to a directory")
            }
        }
        if let port = config["local_port"]?.intValue, !(0...65535).contains(port) {
            sink.error("\(path).local_port", "\(port) must be a valid port")
        }
        for (k, v) in (config["ansible_env_vars"]?.arrayValue ?? []).enumerated() {
            guard let s = v.stringValue, let eq = s.firstIndex(of: "="), eq != s.startIndex else {
                sink.error("\(path).ansible_env_vars[\(k)]", "\"\(v.stringValue ?? v.rawText)\" is not in the form NAME=VALUE")
                continue
            }
        }
        if !(config["skip_version_check"]?.boolValue ?? false) {
            let command = config["command"]?.stringValue ?? "ansible-playbook"
            if let problem = AnsibleVersion.check(command: command) {
                sink.error("\(path).command", problem, kind: .missingProgram)
            }
        }
    }
}

/// `ansible-playbook --version`, as Packer runs it when it prepares the provisioner.
enum AnsibleVersion {
    /// nil when `command --version` runs and names a version; otherwise what is wrong, with
    /// how to install Ansible.
    static func check(command: String) -> String? {
        let hint = "install Ansible on this machine (Debian/Ubuntu: apt-get install ansible-core; or pip install ansible-core), "
            + "or set \"skip_version_check\": true if an earlier step installs it"
        var cmd = ProcessCommand(command, ["--version"])
        cmd.stdout = .capture(limit: 64 << 10)
        cmd.stderr = .capture(limit: 16 << 10)
        cmd.timeout = 60
        guard let r = try? Subprocess.run(cmd) else {
            return "\"\(command)\" was not found or cannot be run: \(hint)"
        }
        guard r.exit == .exited(0) else {
            return "\"\(command) --version\" failed (\(r.exit)): \(hint)"
        }
        guard version(in: r.stdoutText) != nil else {
            return "\"\(command) --version\" printed no version: \(hint)"
        }
        return nil
    }

    /// The first `word N.N[.N]` version in `text` (Packer's pattern `\w (\d+\.\d+[.\d+]*)`).
    static func version(in text: String) -> String? {
        guard let pattern = try? Regex(#"\w \d+\.\d+[.\d]*"#), let range = text.firstRange(of: pattern) else { return nil }
        let found = text[range]
        return found.split(separator: " ").last.map { String($0) }
    }
}
