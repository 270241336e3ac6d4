#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// How `ansible-playbook` reaches the instance: the build's own connection, never a proxy.
public enum AnsibleConnection: Sendable {
    /// The SSH connection ssh-run uses: its key, known_hosts, ControlMaster and bastion.
    case ssh(SSHClient)
    /// The WinRM endpoint winrm-run uses; the password stays in `passwordVariable`.
    case winrm(host: String, port: Int, user: String, passwordVariable: String, https: Bool, insecure: Bool)
}

/// Packer's remote `ansible` provisioner without its SSH proxy adapter: an inventory for the
/// instance, optional `ansible-galaxy` installs, then `ansible-playbook` on this machine
/// with Packer's arguments and log lines. Values listed as sensitive never reach argv: an
/// `--extra-vars` argument holding one, and the WinRM password, travel in a mode-600 file.
public struct AnsibleProvisioner {
    let command: String
    let playbook: String
    let extraArguments: [String]
    let envVars: [String]
    let sshExtraArgs: [String]
    let groups: [String]
    let emptyGroups: [String]
    let hostAlias: String
    let user: String?
    let hostKeyFile: String?
    let useSFTP: Bool
    let inventoryDirectory: String?
    let inventoryTemplate: String?
    let inventoryFile: String?
    let keepInventory: Bool
    let galaxyFile: String?
    let galaxyCommand: String
    let galaxyForce: Bool
    let rolesPath: String?
    let collectionsPath: String?
    let buildName: String
    let builderType: String

    /// The default inventory line for an SSH host (Packer's, Ansible 2 and later).
    static let sshInventoryLine = "{{ .HostAlias }} ansible_host={{ .Host }} ansible_user={{ .User }} ansible_port={{ .Port }}\n"
    /// The default inventory line for a WinRM host.
    static let winrmInventoryLine =
        "{{ .HostAlias}} ansible_host={{ .Host }} ansible_connection=winrm ansible_winrm_transport=basic ansible_shell_type=powershell ansible_user={{ .User}} ansible_port={{ .Port }}\n"

    /// Reads the `config` of a plan entry.
    public init(config: [String: JSONValue], buildName: String, builderType: String) throws {
        let c = ConfigReader(config: config, owner: "ansible")
        func text(_ key: String) throws -> String? { try c.string(key).flatMap { $0.isEmpty ? nil : $0 } }
        guard let playbook = try text("playbook_file") else { throw ToolError.data("ansible: playbook_file must be specified.") }
        self.playbook = playbook.hasPrefix("/") ? playbook : FileManager.default.currentDirectoryPath + "/" + playbook
        command = try text("command") ?? "ansible-playbook"
        extraArguments = try c.strings("extra_arguments")
        envVars = try c.strings("ansible_env_vars")
        sshExtraArgs = try c.strings("ansible_ssh_extra_args")
        groups = try c.strings("groups")
        emptyGroups = try c.strings("empty_groups")
        hostAlias = try text("host_alias") ?? "default"
        user = try text("user")
        hostKeyFile = try text("ssh_host_key_file")
        useSFTP = try c.bool("use_sftp")
        inventoryDirectory = try text("inventory_directory")
        inventoryTemplate = try text("inventory_file_template")
        inventoryFile = try text("inventory_file")
        keepInventory = try c.bool("keep_inventory_file")
        galaxyFile = try text("galaxy_file")
        galaxyCommand = try text("galaxy_command") ?? "ansible-galaxy"
        galaxyForce = try c.bool("galaxy_force_install")
        rolesPath = try text("roles_path")
        collectionsPath = try text("collections_path")
        self.buildName = buildName
        self.builderType = builderType
    }

    /// Runs the playbook against the instance; failures are ToolErrors with Packer's text.
    public func run(connection: AnsibleConnection, output: ProvisionOutput, deadline: Double?) throws {
        output.say("Provisioning with Ansible...")
        let log = AnsibleLog(output: output)
        switch connection {
        case .ssh: log.message("Not using Proxy adapter for Ansible run:\n\tUsing ssh keys from Packer communicator...")
        case .winrm: log.message("Not using Proxy adapter for Ansible run:\n\tUsing WinRM Password from Packer communicator...")
        }
        let work = try PrivateDirectory(prefix: "ansible")
        defer { work.remove() }

        var inventory = inventoryFile
        var generated: String?
        if inventory == nil {
            generated = try writeInventory(connection)
            inventory = generated
        }
        defer {
            if let generated, !keepInventory { unlink(generated) }
        }
        if let generated, keepInventory { log.message("Keeping the inventory file: \(generated)") }

        if let galaxyFile { try runGalaxy(galaxyFile, log: log, deadline: deadline) }

        var args = try arguments(connection, work: work)
        args += ["-i", inventory!, playbook]
        var env = ProcessEnvironment.current
        if hostKeyFile == nil { env["ANSIBLE_HOST_KEY_CHECKING"] = "False" }
        if !useSFTP { env["ANSIBLE_SCP_IF_SSH"] = "True" }
        env["PYTHONUNBUFFERED"] = "1"
        if case .ssh(let client) = connection {
            env["ANSIBLE_SSH_ARGS"] = Self.sshArgs(client)
            if client.passwordVariable != nil {
                for (k, v) in client.environment() where k.hasPrefix("SSH_ASKPASS") || k == SSHClient.askpassMarker || k == "DISPLAY" { env[k] = v }
            }
        }
        for item in envVars.map({ Self.withWinRMPassword($0, connection) }) {
            guard let eq = item.firstIndex(of: "=") else { continue }
            env[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        output.say("Executing Ansible: " + ([command] + args).joined(separator: " "))
        let result = try log.run(command, args, environment: env, deadline: deadline)
        if result.timedOut { throw ToolError(.tempFail, "Error executing Ansible: timed out") }
        guard result.exit == .exited(0) else {
            throw ToolError.failed("Error executing Ansible: Non-zero exit status: \(result.exit)")
        }
    }

    /// ansible-playbook's arguments up to (not including) `-i INVENTORY PLAYBOOK`.
    func arguments(_ connection: AnsibleConnection, work: PrivateDirectory) throws -> [String] {
        var args: [String] = []
        if !buildName.isEmpty { args += ["-e", "packer_build_name=\(Self.goQuoted(buildName))"] }
        args += ["-e", "packer_builder_type=\(builderType)"]
        var keyFile: String?
        if case .ssh(let client) = connection, let key = client.identityFile {
            keyFile = key
            args += ["--ssh-extra-args", sshExtraArgs.isEmpty ? "'-o IdentitiesOnly=yes'" : "'\(sshExtraArgs.joined())'"]
        }
        args += try hidingSensitive(extraArguments.map { Self.withWinRMPassword($0, connection) }, work: work)
        let hasPassword = args.contains { $0.contains("ansible_password") }
        if case .winrm(_, _, _, let variable, _, _) = connection, !hasPassword {
            guard let password = ProcessEnvironment.value(variable), !password.isEmpty else {
                throw ToolError(.config, "ansible: password variable \(variable) is not set")
            }
            args += ["-e", "@" + (try work.write("winrm-password.json", JSONValue.object(["ansible_password": .string(password)]).serialized(pretty: false)))]
        }
        if let keyFile, !hasPassword { args += ["-e", "ansible_ssh_private_key_file=\(keyFile)"] }
        return args
    }

    /// extra_arguments with every `-e`/`--extra-vars` value that holds a sensitive value
    /// moved into a private file (`-e @FILE`); a sensitive value anywhere else is refused.
    func hidingSensitive(_ given: [String], work: PrivateDirectory) throws -> [String] {
        func secret(_ s: String) -> Bool { Secrets.redact(s) != s }
        var out: [String] = []
        var k = 0
        var files = 0
        while k < given.count {
            let arg = given[k]
            var value: String?
            var flag = arg
            if arg == "-e" || arg == "--extra-vars", k + 1 < given.count {
                value = given[k + 1]
                k += 1
            } else if arg.hasPrefix("--extra-vars=") {
                value = String(arg.dropFirst("--extra-vars=".count))
                flag = "--extra-vars"
            } else if arg.hasPrefix("-e"), arg.count > 2 {
                value = String(arg.dropFirst(2))
                flag = "-e"
            }
            k += 1
            guard let v = value else {
                if secret(arg) {
                    throw ToolError.data("ansible: extra_arguments: an argument holds a sensitive value; pass it with -e/--extra-vars NAME=VALUE, which is sent in a private file")
                }
                out.append(arg)
                continue
            }
            guard secret(v), !v.hasPrefix("@") else { out += [flag, v]; continue }
            files += 1
            let body: String
            let trimmed = v.trimmingBlanks()
            if trimmed.hasPrefix("{") || trimmed.hasPrefix("[") || trimmed.hasPrefix("---") {
                body = v
            } else {
                var vars: [String: JSONValue] = [:]
                for (name, val) in try Self.keyValues(v) { vars[name] = .string(val) }
                body = JSONValue.object(vars).serialized(pretty: false)
            }
            out += [flag, "@" + (try work.write("extra-vars-\(files).json", body))]
        }
        return out
    }

    /// Ansible's `key=value key2="quoted value"` form, split as its parse_kv does.
    static func keyValues(_ text: String) throws -> [(String, String)] {
        var tokens: [String] = []
        var current = ""
        var quote: Character?
        var escaped = false
        var started = false
        for ch in text {
            if escaped { current.append(ch); escaped = false; continue }
            if ch == "\\" { escaped = true; started = true; continue }
            if let q = quote {
                if ch == q { quote = nil } else { current.append(ch) }
                continue
            }
            if ch == "\"" || ch == "'" { quote = ch; started = true; continue }
            if ch == " " || ch == "\t" || ch == "\n" {
                if started { tokens.append(current); current = ""; started = false }
                continue
            }
            current.append(ch)
            started = true
        }
        if quote != nil { throw ToolError.data("ansible: extra_arguments: unbalanced quotes in an --extra-vars value") }
        if started { tokens.append(current) }
        return try tokens.map { token in
            guard let eq = token.firstIndex(of: "="), eq != token.startIndex else {
                throw ToolError.data("ansible: extra_arguments: an --extra-vars value with a sensitive value must be NAME=VALUE pairs or JSON")
            }
            return (String(token[..<eq]), String(token[token.index(after: eq)...]))
        }
    }

    /// Packer's `{{ .WinRMPassword }}` in extra_arguments and ansible_env_vars: the WinRM
    /// password (a sensitive value, so an --extra-vars holding it still goes in a file).
    static func withWinRMPassword(_ text: String, _ connection: AnsibleConnection) -> String {
        guard text.contains("WinRMPassword"), case .winrm(_, _, _, let variable, _, _) = connection,
              let password = ProcessEnvironment.value(variable) else { return text }
        var s = text
        for form in ["{{.WinRMPassword}}", "{{ .WinRMPassword }}", "{{ .WinRMPassword}}", "{{.WinRMPassword }}"] {
            s = s.replacingText(form, with: password)
        }
        return s
    }

    /// Go's %q of a plain string, as Packer formats packer_build_name.
    static func goQuoted(_ s: String) -> String {
        "\"" + s.replacingText("\\", with: "\\\\").replacingText("\"", with: "\\\"") + "\""
    }

    /// ANSIBLE_SSH_ARGS that make Ansible's ssh use ssh-run's connection: the same options,
    /// ControlMaster socket and known_hosts (ssh keeps the first value of an option, and
    /// these come before Ansible's own).
    static func sshArgs(_ client: SSHClient) -> String {
        var a = client.arguments(remote: nil)
        if let dash = a.lastIndex(of: "--") { a.removeSubrange(dash...) }
        // The same ssh_args go to scp and sftp, which spell the port -P: Ansible adds it as
        // `-o Port=` for all three.
        if let p = a.firstIndex(of: "-p"), p + 1 < a.count { a.removeSubrange(p...(p + 1)) }
        return a.map(shellQuote).joined(separator: " ")
    }

    /// Writes the inventory (inventory_directory or the temporary directory; Packer's name).
    func writeInventory(_ connection: AnsibleConnection) throws -> String {
        let values: [String: String]
        let line: String
        switch connection {
        case .ssh(let client):
            values = ["Host": client.target.host, "Port": String(client.effectivePort), "User": user ?? client.target.user ?? "root",
                      "HostAlias": hostAlias, "ConnType": "ssh", "SSHPrivateKeyFile": client.identityFile ?? ""]
            line = inventoryTemplate ?? Self.sshInventoryLine
        case .winrm(let host, let port, let winrmUser, _, let https, let insecure):
            values = ["Host": host, "Port": String(port), "User": user ?? winrmUser, "HostAlias": hostAlias, "ConnType": "winrm"]
            var l = Self.winrmInventoryLine
            if https { l = l.replacingText("\n", with: " ansible_winrm_scheme=https\n") }
            if insecure { l = l.replacingText("\n", with: " ansible_winrm_server_cert_validation=ignore\n") }
            line = inventoryTemplate ?? l
        }
        let host = try Self.renderInventoryLine(line, values)
        var text = host
        for g in groups { text += "[\(g)]\n\(host)" }
        for g in emptyGroups { text += "[\(g)]\n" }
        let dir = inventoryDirectory ?? Paths.temporary()
        var template = Array(((dir.hasSuffix("/") ? dir : dir + "/") + "packer-provisioner-ansibleXXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ToolError(.cantCreate, "ansible: Error preparing inventory file: \(dir): \(errnoText())") }
        let path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else {
            unlink(path)
            throw ToolError(.cantCreate, "ansible: Error preparing inventory file: \(path): \(errnoText())")
        }
        return path
    }

    /// Renders `{{ .Name }}` references of an inventory line; an unknown name is an error.
    static func renderInventoryLine(_ line: String, _ values: [String: String]) throws -> String {
        try ShellProvisioner.render(line, values, context: "ansible: inventory_file_template")
    }

    /// `ansible-galaxy install -r FILE` for roles and/or `collection install` for
    /// collections, as the requirements file lists them.
    func runGalaxy(_ file: String, log: AnsibleLog, deadline: Double?) throws {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ToolError(.noInput, "ansible: Error executing Ansible Galaxy: \(file): cannot read")
        }
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n")
        let hasRoles = lines.contains { $0.hasPrefix("roles:") }
        let hasCollections = lines.contains { $0.hasPrefix("collections:") }
        var runs: [[String]] = []
        if hasRoles || !hasCollections {
            var a = ["install", "-r", file]
            if galaxyForce { a.append("-f") }
            if let rolesPath { a += ["-p", rolesPath] }
            runs.append(a)
        }
        if hasCollections {
            var a = ["collection", "install", "-r", file]
            if galaxyForce { a.append("-f") }
            if let collectionsPath { a += ["-p", collectionsPath] }
            runs.append(a)
        }
        for args in runs {
            log.message("Executing Ansible Galaxy")
            let r = try log.run(galaxyCommand, args, environment: nil, deadline: deadline)
            if r.timedOut { throw ToolError(.tempFail, "Error executing Ansible: Error executing Ansible Galaxy: timed out") }
            guard r.exit == .exited(0) else {
                throw ToolError.failed("Error executing Ansible: Error executing Ansible Galaxy: Non-zero exit status: \(r.exit)")
            }
        }
    }
}

/// Ansible's and ansible-galaxy's output as Packer shows it: every line, stdout and
/// stderr alike, as a message (`    NAME: line`), sensitive values hidden.
struct AnsibleLog {
    let output: ProvisionOutput

    func message(_ text: String) {
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) { emit(Array(line.utf8)) }
    }

    private func emit(_ line: [UInt8]) {
        StandardStream.write(output.stdoutLine(line), to: 1)
    }

    /// Runs a local program with its output shown line by line.
    func run(_ program: String, _ args: [String], environment: [String: String]?, deadline: Double?) throws -> ProcessResult {
        var cmd = ProcessCommand(program, args, environment: environment)
        cmd.stdin = .null
        cmd.stdout = .lines { emit($0) }
        cmd.stderr = .lines { emit($0) }
        if let deadline { cmd.timeout = max(0.001, deadline - monotonicSeconds()) }
        do {
            return try Subprocess.run(cmd)
        } catch let e as ToolError where e.status == .unavailable {
            throw ToolError(.unavailable, "Error executing Ansible: \(program) cannot be run: install Ansible on this machine (Debian/Ubuntu: apt-get install ansible-core)")
        }
    }
}

/// A directory only this user can read, removed with what it holds.
struct PrivateDirectory {
    let path: String

    init(prefix: String) throws {
        var base = Paths.temporary()
        while base.count > 1 && base.hasSuffix("/") { base.removeLast() }
        var template = Array((base + "/\(prefix).XXXXXX").utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ToolError(.cantCreate, "\(prefix): cannot create a private directory in \(Paths.temporary()): \(errnoText())")
        }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Writes a mode-600 file and returns its path.
    func write(_ name: String, _ text: String) throws -> String {
        let file = path + "/" + name
        let fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ToolError(.cantCreate, "\(file): \(errnoText())") }
        defer { close(fd) }
        let bytes = Array(text.utf8)
        guard Glibc.write(fd, bytes, bytes.count) == bytes.count else { throw ToolError(.cantCreate, "\(file): short write") }
        return file
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}
