import FoundationEssentials

/// A plan's `powershell` or `windows-shell` provisioner run over WinRM with Packer's
/// semantics: inline lines or script files uploaded (winrmcp style), environment
/// variables (the env-var file for powershell, `set` for windows-shell), execute_command,
/// valid_exit_codes, skip_clean, start_retry_timeout, and the common pause_before,
/// max_retries and timeout.
public struct WindowsProvisioner {
    /// `powershell` or `windows-shell`.
    public let type: String
    /// Seconds to wait first.
    public var pauseBefore: Double
    /// Extra attempts after a failure.
    public var maxRetries: Int
    /// Seconds the whole provisioner may take (0: no limit).
    public var timeout: Double
    /// The provisioner's own keys.
    public var config: [String: JSONValue]
    /// PACKER_BUILD_NAME.
    public var buildName = "alicloud-ecs"
    /// PACKER_BUILDER_TYPE.
    public var builderType = "alicloud-ecs"

    /// Packer's default `execute_command` of each type.
    public static let defaultExecuteCommand = [
        "powershell": "powershell -executionpolicy bypass \"& { if (Test-Path variable:global:ProgressPreference){set-variable -name variable:global:ProgressPreference -value 'SilentlyContinue'};. {{.Vars}}; &'{{.Path}}'; exit $LastExitCode }\"",
        "windows-shell": "{{.Vars}}\"{{.Path}}\"",
    ]

    /// Reads one plan provisioner object.
    public init(json: JSONValue) throws {
        guard let obj = json.objectValue else { throw ToolError.data("provisioner: expected an object") }
        guard let t = obj["type"]?.stringValue else { throw ToolError.data("provisioner: missing \"type\"") }
        guard Self.defaultExecuteCommand[t] != nil else {
            throw ToolError.data("provisioner: winrm-run runs powershell and windows-shell provisioners, not \(t)")
        }
        type = t
        func seconds(_ key: String) throws -> Double {
            guard let v = obj[key], !v.isNull else { return 0 }
            guard let d = v.doubleValue ?? v.stringValue.flatMap(Double.init), d >= 0 else {
                throw ToolError.data("provisioner: \(key) must be a non-negative number of seconds")
            }
            return d
        }
        pauseBefore = try seconds("pause_before")
        timeout = try seconds("timeout")
        maxRetries = Int(try seconds("max_retries"))
        config = obj["config"]?.objectValue ?? [:]
    }

    func string(_ key: String) throws -> String? {
        guard let v = config[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw ToolError.data("\(type): \(key) must be a string") }
        return s
    }

    func strings(_ key: String) throws -> [String] {
        guard let v = config[key], !v.isNull else { return [] }
        if let s = v.stringValue { return [s] }
        guard let a = v.arrayValue else { throw ToolError.data("\(type): \(key) must be an array of strings") }
        return try a.map {
            guard let s = $0.stringValue else { throw ToolError.data("\(type): \(key) must be an array of strings") }
            return s
        }
    }

    func bool(_ key: String) -> Bool {
        config[key]?.boolValue ?? (config[key]?.stringValue.map { ["true", "1"].contains($0.lowercased()) } ?? false)
    }

    /// The exit codes that count as success.
    func validExitCodes() throws -> [UInt32] {
        guard let v = config["valid_exit_codes"], !v.isNull else { return [0] }
        guard let a = v.arrayValue else { throw ToolError.data("\(type): valid_exit_codes must be an array of integers") }
        return try a.map {
            guard let n = $0.intValue ?? $0.stringValue.flatMap({ Int($0) }) else {
                throw ToolError.data("\(type): valid_exit_codes must be an array of integers")
            }
            return UInt32(truncatingIfNeeded: n)
        }
    }

    /// The environment, Packer's variables first so the template's own may override them.
    func environment() throws -> [(String, String)] {
        var vars: [String: String] = ["PACKER_BUILD_NAME": buildName, "PACKER_BUILDER_TYPE": builderType]
        for item in try strings("environment_vars") {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw ToolError.data("\(type): Environment variable not in format 'key=value': \(item)")
            }
            vars[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        return vars.keys.sorted().map { ($0, vars[$0]!) }
    }

    /// `$env:K="v"; ` per variable, with Packer's backtick escaping.
    static func powershellEnvFile(_ vars: [(String, String)]) -> String {
        vars.map { k, v in
            var e = ""
            for c in v {
                switch c {
                case "`": e += "``"
                case "$": e += "`$"
                case "\"": e += "`\""
                case "'": e += "`'"
                default: e.append(c)
                }
            }
            return "$env:\(k)=\"\(e)\"; "
        }.joined()
    }

    /// Runs it; failures are ToolErrors (1 failed, 75 timed out, 77 auth), signals ExitRequest.
    public func run(on session: WinRMSession, output: WinRMOutput) throws {
        if !(try string("elevated_user") ?? "").isEmpty {
            throw ToolError(.config, "\(type): elevated_user (a scheduled task) is not supported by winrm-run")
        }
        if pauseBefore > 0 {
            output.say("Pausing \(Int(pauseBefore))s before the next provisioner...")
            try SignalForwarding.sleep(pauseBefore)
        }
        var attempt = 0
        while true {
            do {
                try runOnce(on: session, output: output)
                return
            } catch let e as ToolError where e.status != .noPermission && e.status != .config && e.status != .dataError && attempt < maxRetries {
                attempt += 1
                output.say("Provisioner failed with \"\(e.message)\", retrying with \(maxRetries - attempt + 1) trie(s) left")
            }
        }
    }

    func runOnce(on session: WinRMSession, output: WinRMOutput) throws {
        let inline = try strings("inline")
        var scripts = try strings("scripts")
        // tmpl-render's plan already carries `script` as `scripts`: not run twice.
        if let s = try string("script"), !s.isEmpty, scripts != [s] { scripts.insert(s, at: 0) }
        guard inline.isEmpty != scripts.isEmpty else {
            throw ToolError.data("\(type): " + (inline.isEmpty ? "Either a script file or inline script must be specified." : "Only a script file or an inline script can be specified, not both."))
        }
        let started = Date()
        var sources: [(label: String, text: String)] = []
        if !inline.isEmpty {
            let separator = type == "powershell" ? "\n" : "\r\n"
            sources.append(("inline", inline.joined(separator: separator) + separator))
        }
        for path in scripts {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ToolError(.noInput, "\(type): Bad script '\(path)': cannot read it")
            }
            sources.append((path, String(decoding: data, as: UTF8.self)))
        }
        let valid = try validExitCodes()
        let retryFor = config["start_retry_timeout"]?.doubleValue ?? 300
        output.say(type == "powershell" ? "Provisioning with Powershell..." : "Provisioning with windows-shell...")
        for source in sources {
            output.say("Provisioning with \(type == "powershell" ? "powershell" : "windows-shell") script: \(source.label)")
            let code = try withRetry(seconds: retryFor, output: output) { try runScript(source.text, on: session, output: output) }
            if timeout > 0 && Date().timeIntervalSince(started) > timeout {
                throw ToolError(.tempFail, "\(type): provisioner timed out after \(Int(timeout))s")
            }
            guard valid.contains(code) else {
                throw ToolError.failed("Script exited with non-zero exit status: \(code).Allowed exit codes are: [\(valid.map(String.init).joined(separator: " "))]")
            }
        }
    }

    /// Upload (and for powershell, the env-var file) then execute_command; returns the exit code.
    func runScript(_ text: String, on session: WinRMSession, output: WinRMOutput) throws -> UInt32 {
        let id = UUID().uuidString.lowercased()
        let vars = try environment()
        var execute = try string("execute_command") ?? Self.defaultExecuteCommand[type]!
        var cleanup: [String] = []
        let remotePath: String
        if type == "powershell" {
            remotePath = try string("remote_path") ?? "c:/Windows/Temp/script-\(id).ps1"
            let envPath = try string("remote_env_var_path") ?? "c:/Windows/Temp/packer-ps-env-vars-\(id).ps1"
            try session.upload(Array(Self.powershellEnvFile(vars).utf8), to: envPath)
            cleanup.append(envPath)
            execute = render(execute, vars: envPath, path: remotePath)
        } else {
            remotePath = try string("remote_path") ?? "c:/Windows/Temp/script-\(id).cmd"
            let set = vars.map { "set \"\($0)=\($1)\" && " }.joined()
            execute = render(execute, vars: set, path: remotePath)
        }
        try session.upload(Array(text.utf8), to: remotePath)
        cleanup.append(remotePath)
        defer {
            if !bool("skip_clean") {
                let script = "Remove-Item -Force -ErrorAction SilentlyContinue -Path " + cleanup.map(PowerShell.quote).joined(separator: ",")
                _ = try? session.runPowerShell(script) { _, _ in }
            }
        }
        // stderr is held until the end: PowerShell's CLIXML records may span Receives.
        var stderr: [UInt8] = []
        let code = try session.run(execute) { stream, bytes in
            if stream == .stderr { stderr += bytes } else { output.write(.stdout, bytes) }
        }
        if !stderr.isEmpty { output.write(.stderr, CLIXML.plainText(stderr)) }
        output.flush()
        return code
    }

    func render(_ template: String, vars: String, path: String) -> String {
        var s = template
        for (key, value) in [("Vars", vars), ("Path", path)] {
            for form in ["{{.\(key)}}", "{{ .\(key) }}", "{{ .\(key)}}", "{{.\(key) }}"] {
                s = s.replacingText(form, with: value)
            }
        }
        return s
    }

    /// Retries `body` on connection failures (69, 75) until `seconds` have passed.
    func withRetry<T>(seconds: Double, output: WinRMOutput, _ body: () throws -> T) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while true {
            do {
                return try body()
            } catch let e as ToolError where (e.status == .unavailable || e.status == .tempFail) && Date() < deadline {
                output.say("Retryable error: \(e.message)")
                try SignalForwarding.sleep(2)
            }
        }
    }
}
