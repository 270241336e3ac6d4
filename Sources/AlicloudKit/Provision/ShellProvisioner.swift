import FoundationEssentials

/// Packer's remote `shell` provisioner: uploads each script, runs it through
/// `execute_command` with the environment variables, checks the exit code, cleans up.
public struct ShellProvisioner: Sendable {
    /// A script to run: its display name and bytes (already with LF line ends unless binary).
    public struct Script: Sendable {
        /// What the UI line names (a path, or "inline script").
        public var name: String
        /// The bytes uploaded.
        public var bytes: [UInt8]
    }

    /// The scripts, in order.
    public var scripts: [Script]
    /// Where each script is uploaded (one path per provisioner, reused for each script).
    public var remotePath: String
    /// The remote folder (for the env-var file).
    public var remoteFolder: String
    /// `execute_command`.
    public var executeCommand: String
    /// `{{.Vars}}` text: the formatted, sorted environment variables.
    public var flattenedVars: String
    /// The env-var file's path and content with `use_env_var_file`.
    public var envVarFile: (path: String, content: String)?
    /// Exit codes that count as success.
    public var validExitCodes: [Int32]
    /// A lost connection counts as success (the script rebooted the host).
    public var expectDisconnect: Bool
    /// Seconds to keep retrying the upload while the host is unreachable.
    public var startRetryTimeout: Double
    /// Leave the uploaded files on the host.
    public var skipClean: Bool

    /// Reads the `config` of a plan entry. Packer's validation messages are kept.
    public init(config: [String: JSONValue], buildName: String, builderType: String) throws {
        let c = ConfigReader(config: config, owner: "shell")
        let inline = try c.strings("inline")
        var paths = try c.strings("scripts")
        if let one = try c.string("script"), !one.isEmpty {
            // tmpl-render's plan carries `script` also as `scripts` (Packer's rule: it joins them).
            guard paths.isEmpty || paths == [one] else { throw ToolError.data("shell: Only one of script or scripts can be specified.") }
            paths = [one]
        }
        if inline.isEmpty && paths.isEmpty {
            throw ToolError.data("shell: Either a script file or inline script must be specified.")
        }
        if !inline.isEmpty && !paths.isEmpty {
            throw ToolError.data("shell: Only a script file or an inline script can be specified, not both.")
        }
        let binary = try c.bool("binary")
        if !inline.isEmpty {
            let shebang = try c.string("inline_shebang").flatMap { $0.isEmpty ? nil : $0 } ?? "/bin/sh -e"
            let text = "#!\(shebang)\n" + inline.map { $0 + "\n" }.joined()
            scripts = [Script(name: "inline script (\(inline.count) line\(inline.count == 1 ? "" : "s"))", bytes: Array(text.utf8))]
        } else {
            scripts = try paths.map { path in
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ToolError(.noInput, "shell: Bad script '\(path)': cannot read it")
                }
                let bytes = [UInt8](data)
                return Script(name: path, bytes: binary ? bytes : Self.unixLineEnds(bytes))
            }
        }

        // Environment: PACKER_* first, the template's own may override them; sorted by key.
        var env: [String: String] = ["PACKER_BUILD_NAME": buildName, "PACKER_BUILDER_TYPE": builderType]
        for item in try c.strings("environment_vars") {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ToolError.data("shell: Environment variable not in format 'key=value': \(item)")
            }
            env[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        let useFile = try c.bool("use_env_var_file")
        let format = try c.string("env_var_format").flatMap { $0.isEmpty ? nil : $0 } ?? (useFile ? "export %s='%s'\n" : "%s='%s' ")
        let vars = try Self.flatten(env, format: format)

        remoteFolder = try c.string("remote_folder").flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let remoteFile = try c.string("remote_file").flatMap { $0.isEmpty ? nil : $0 } ?? "script_\(Int.random(in: 0...9998)).sh"
        remotePath = try c.string("remote_path").flatMap { $0.isEmpty ? nil : $0 } ?? "\(remoteFolder)/\(remoteFile)"

        let defaultCommand = useFile ? "chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}" : "chmod +x {{.Path}}; {{.Vars}} {{.Path}}"
        executeCommand = try c.string("execute_command").flatMap { $0.isEmpty ? nil : $0 } ?? defaultCommand
        if useFile {
            envVarFile = ("\(remoteFolder)/varfile_\(Int.random(in: 0...9998)).sh", vars)
            flattenedVars = ""
        } else {
            envVarFile = nil
            flattenedVars = vars
        }
        validExitCodes = (try c.ints("valid_exit_codes") ?? [0]).map { Int32(truncatingIfNeeded: $0) }
        expectDisconnect = try c.bool("expect_disconnect")
        startRetryTimeout = try c.seconds("start_retry_timeout", default: 300)
        skipClean = try c.bool("skip_clean")
        // Validate the template now, not after the first upload.
        _ = try command(forPath: remotePath)
    }

    /// Formats variables as Packer does: sorted by key, each through `format` (two `%s`),
    /// single quotes in values written as `'"'"'`.
    public static func flatten(_ env: [String: String], format: String) throws -> String {
        let parts = format.components(separatedBy: "%s")
        guard parts.count == 3 else { throw ToolError.data("shell: env_var_format must contain %s twice: \(format)") }
        return env.keys.sorted().map { key in
            let value = env[key]!.replacingText("'", with: "'\"'\"'")
            return parts[0] + key + parts[1] + value + parts[2]
        }.joined()
    }

    /// CRLF becomes LF (Packer uploads non-binary scripts through such a reader).
    public static func unixLineEnds(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == 13, i + 1 < bytes.count, bytes[i + 1] == 10 { i += 1; continue }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Renders `execute_command` for a script path: `{{.Path}}`, `{{.Vars}}`, `{{.EnvVarFile}}`.
    public func command(forPath path: String) throws -> String {
        try Self.render(executeCommand, ["Path": path, "Vars": flattenedVars, "EnvVarFile": envVarFile?.path ?? ""])
    }

    /// A minimal Go-template renderer for `{{.Field}}` (spaces allowed inside the braces);
    /// `context` names the option in errors.
    public static func render(_ template: String, _ fields: [String: String], context: String = "shell: execute_command") throws -> String {
        var out = ""
        var rest = Substring(template)
        while let open = rest.rangeOfText("{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].rangeOfText("}}") else {
                throw ToolError.data("\(context): unclosed {{ in \(template)")
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingBlanks()
            guard inner.hasPrefix("."), let value = fields[String(inner.dropFirst())] else {
                throw ToolError.data("\(context): unknown field {{\(inner)}} (known: \(fields.keys.sorted().map { "." + $0 }.joined(separator: ", ")))")
            }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// Retries `body` while the connection fails, until `startRetryTimeout` (and `deadline`).
    func retryingConnection(_ what: String, deadline: Double?, _ body: () throws -> Void) throws {
        let start = monotonicSeconds()
        var wait = 1.0
        while true {
            do {
                try body()
                return
            } catch let e as TransportError {
                let now = monotonicSeconds()
                if let deadline, now >= deadline { throw ToolError(.tempFail, "\(what): provisioner timed out") }
                if now - start >= startRetryTimeout {
                    throw ToolError(.remoteRunner, "\(what): \(e.message) (gave up after \(goDuration(startRetryTimeout)))")
                }
                try SignalForwarding.sleep(min(wait, max(0.1, startRetryTimeout - (now - start))))
                wait = min(wait * 2, 10)
            }
        }
    }

    /// Runs every script. Throws ToolError: 1 for a disallowed exit code, 75 for the
    /// provisioner timeout, 255 when the host stays unreachable.
    public func run(on transport: ProvisionTransport, output: ProvisionOutput, deadline: Double?) throws {
        if let file = envVarFile {
            try retryingConnection("uploading \(file.path)", deadline: deadline) {
                try transport.upload(bytes: Array(file.content.utf8), to: file.path, mode: 0o600)
            }
        }
        var reconnected = false
        for script in scripts {
            output.say("Provisioning with shell script: \(script.name)")
            try retryingConnection("uploading \(script.name) to \(remotePath)", deadline: deadline) {
                try transport.upload(bytes: script.bytes, to: remotePath, mode: 0o755)
            }
            let cmd = try command(forPath: remotePath)
            let remaining = deadline.map { max(0.1, $0 - monotonicSeconds()) }
            let outcome = try transport.execute(cmd, output: output, timeout: remaining)
            if let deadline, monotonicSeconds() >= deadline {
                throw ToolError(.tempFail, "\(script.name): provisioner timed out after running for its whole timeout")
            }
            switch outcome {
            case .disconnected(let why):
                guard expectDisconnect else {
                    throw ToolError(.remoteRunner, "\(script.name): connection lost while the script ran (\(why)); set expect_disconnect if the script reboots the host")
                }
                output.say("Remote end disconnected while executing the script (expected).")
                reconnected = true
            case .exited(let code):
                if code == 255 && expectDisconnect {
                    reconnected = true  // ssh(1) reports a dropped connection as 255
                } else if !validExitCodes.contains(code) {
                    let allowed = "[" + validExitCodes.map(String.init).joined(separator: " ") + "]"
                    throw ToolError.failed("Script exited with non-zero exit status: \(code).Allowed exit codes are: \(allowed)")
                }
            }
            if !skipClean {
                try cleanup([remotePath], transport: transport, patient: reconnected, deadline: deadline)
            }
        }
        if let file = envVarFile, !skipClean {
            try cleanup([file.path], transport: transport, patient: reconnected, deadline: deadline)
        }
    }

    /// `rm -f`; after an expected disconnect, waits (start_retry_timeout) for the host.
    func cleanup(_ paths: [String], transport: ProvisionTransport, patient: Bool, deadline: Double?) throws {
        let rm = "rm -f " + paths.map(shellQuote).joined(separator: " ")
        try retryingConnection("removing \(paths.joined(separator: " "))", deadline: deadline) {
            let outcome = try transport.execute(rm, output: ProvisionOutput(prefix: nil).quiet, timeout: 60)
            if case .disconnected(let why) = outcome { throw TransportError(why) }
            if case .exited(255) = outcome, patient { throw TransportError("host not back yet") }
        }
    }
}

extension ProvisionOutput {
    /// Output that discards remote text (for housekeeping commands).
    public var quiet: ProvisionOutput {
        var q = self
        q.discard = true
        return q
    }
}
