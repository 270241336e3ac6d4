import FoundationEssentials

/// A provisioner or post-processor type the toolkit runs: its keys, defaults and checks.
struct PluginType: @unchecked Sendable {
    let schema: ConfigSchema
    /// The keep_input_artifact value when the template does not set it (post-processors).
    var keepInputDefault = false
    /// Cross-key checks and defaults that depend on other keys.
    let finish: (_ config: inout [String: JSONValue], _ path: String, _ sink: DiagnosticSink, _ clock: RenderClock, _ pwd: String) -> Void
}

enum ProvisionerSchema {
    static let powershellCommand =
        "powershell -executionpolicy bypass \"& { if (Test-Path variable:global:ProgressPreference){set-variable -name variable:global:ProgressPreference -value 'SilentlyContinue'};. {{.Vars}}; &'{{.Path}}'; exit $LastExitCode }\""

    /// `powershell.exe -EncodedCommand` of the default restart check, as Packer builds it.
    static let restartCheckCommand: String = {
        let script = "echo (\"{0} restarted.\" -f [System.Net.Dns]::GetHostName())"
        var bytes: [UInt8] = []
        for unit in script.utf16 { bytes.append(UInt8(unit & 0xFF)); bytes.append(UInt8(unit >> 8)) }
        return "powershell.exe -EncodedCommand " + Data(bytes).base64EncodedString()
    }()

    static let shell = PluginType(schema: ConfigSchema([
        ConfigField("inline", .stringList),
        ConfigField("inline_shebang", .string, "/bin/sh -e"),
        ConfigField("script", .localPath),
        ConfigField("scripts", .localPathList, []),
        ConfigField("environment_vars", .stringList, []),
        ConfigField("env_var_format", .string),
        ConfigField("use_env_var_file", .bool, false),
        ConfigField("execute_command", .string, rendered: false),
        ConfigField("remote_folder", .string, "/tmp"),
        ConfigField("remote_file", .string),
        ConfigField("remote_path", .string),
        ConfigField("binary", .bool, false),
        ConfigField("skip_clean", .bool, false),
        ConfigField("expect_disconnect", .bool, false),
        ConfigField("start_retry_timeout", .duration, 300),
        ConfigField("pause_after", .duration, 0),
        ConfigField("valid_exit_codes", .intList, [0]),
    ])) { config, path, sink, clock, _ in
        scriptSources(&config, path, sink, inlineKey: "inline")
        checkEnvironment(config, path, sink)
        let envFile = config["use_env_var_file"]?.boolValue ?? false
        if isEmpty(config["env_var_format"]) { config["env_var_format"] = .string(envFile ? "export %s='%s'\n" : "%s='%s' ") }
        if isEmpty(config["execute_command"]) {
            config["execute_command"] = .string(envFile ? "chmod +x {{.Path}}; . {{.EnvVarFile}} && {{.Path}}" : "chmod +x {{.Path}}; {{.Vars}} {{.Path}}")
        }
        if isEmpty(config["remote_file"]) { config["remote_file"] = .string(clock.issue("script_\(clock.next(below: 9999)).sh")) }
        if isEmpty(config["remote_path"]) {
            config["remote_path"] = .string("\(config["remote_folder"]?.stringValue ?? "/tmp")/\(config["remote_file"]?.stringValue ?? "")")
        }
    }

    static let powershell = PluginType(schema: ConfigSchema([
        ConfigField("inline", .stringList),
        ConfigField("script", .localPath),
        ConfigField("scripts", .localPathList, []),
        ConfigField("environment_vars", .stringList, []),
        ConfigField("env_var_format", .string, "$env:%s=\"%s\"; "),
        ConfigField("elevated_env_var_format", .string, "$env:%s=\"%s\"; "),
        ConfigField("execute_command", .string, .string(powershellCommand), rendered: false),
        ConfigField("elevated_execute_command", .string, .string(powershellCommand), rendered: false),
        ConfigField("elevated_user", .string),
        ConfigField("elevated_password", .string, sensitive: true),
        ConfigField("remote_path", .string),
        ConfigField("remote_env_var_path", .string),
        ConfigField("execution_policy", .choice(["allsigned", "bypass", "default", "none", "remotesigned", "restricted", "undefined", "unrestricted"]), "bypass"),
        ConfigField("debug_mode", .int, 0),
        ConfigField("binary", .bool, false),
        ConfigField("skip_clean", .bool, false),
        ConfigField("start_retry_timeout", .duration, 300),
        ConfigField("valid_exit_codes", .intList, [0]),
    ])) { config, path, sink, clock, _ in
        scriptSources(&config, path, sink, inlineKey: "inline")
        checkEnvironment(config, path, sink)
        if isEmpty(config["remote_path"]) { config["remote_path"] = .string("c:/Windows/Temp/script-\(clock.uuid()).ps1") }
        if isEmpty(config["remote_env_var_path"]) { config["remote_env_var_path"] = .string("c:/Windows/Temp/packer-ps-env-vars-\(clock.uuid()).ps1") }
        if let mode = config["debug_mode"]?.intValue, !(0...2).contains(mode) {
            sink.error("\(path).debug_mode", "must be 0, 1 or 2, not \(mode)")
        }
        if !isEmpty(config["elevated_password"]), isEmpty(config["elevated_user"]) {
            sink.error("\(path).elevated_password", "needs \"elevated_user\"")
        }
    }

    static let file = PluginType(schema: ConfigSchema([
        ConfigField("source", .string),
        ConfigField("sources", .stringList, []),
        ConfigField("destination", .string),
        ConfigField("direction", .choice(["download", "upload"]), "upload"),
        ConfigField("generated", .bool, false),
    ])) { config, path, sink, _, pwd in
        var sources = (config["sources"]?.arrayValue ?? []).compactMap(\.stringValue)
        if let s = config["source"]?.stringValue, !s.isEmpty { sources.append(s) }
        let download = config["direction"]?.stringValue == "download"
        if sources.isEmpty { sink.error(path, "\"source\" or \"sources\" is required") }
        if isEmpty(config["destination"]) { sink.error(path, "\"destination\" is required") }
        if download {
            if let d = config["destination"]?.stringValue, !d.isEmpty { config["destination"] = .string(ConfigDecoder.absolute(d, pwd: pwd)) }
        } else {
            sources = sources.map { ConfigDecoder.absolute($0, pwd: pwd) }
            if let s = config["source"]?.stringValue, !s.isEmpty { config["source"] = .string(ConfigDecoder.absolute(s, pwd: pwd)) }
            if !(config["generated"]?.boolValue ?? false) {
                for s in sources where !FileManager.default.fileExists(atPath: s) {
                    sink.error("\(path).source", "\"\(s)\" does not exist (set \"generated\": true if an earlier step makes it)")
                }
            }
        }
        config["sources"] = .array(sources.map { .string($0) })
    }

    static let shellLocal = PluginType(schema: ConfigSchema([
        ConfigField("command", .string),
        ConfigField("inline", .stringList),
        ConfigField("script", .localPath),
        ConfigField("scripts", .localPathList, []),
        ConfigField("environment_vars", .stringList, []),
        ConfigField("env_var_format", .string, "%s='%s' "),
        ConfigField("execute_command", .stringList, ["/bin/sh", "-c", "{{.Vars}} {{.Script}}"], rendered: false),
        ConfigField("inline_shebang", .string, "/bin/sh -e"),
        ConfigField("valid_exit_codes", .intList, [0]),
        ConfigField("only_on", .stringList, []),
        ConfigField("tempfile_extension", .string, ""),
        ConfigField("use_linux_pathing", .bool, false),
    ]), keepInputDefault: true) { config, path, sink, _, _ in
        let given = ["command", "inline", "script", "scripts"].filter { !isEmpty(config[$0]) }
        if given.isEmpty { sink.error(path, "one of \"command\", \"inline\", \"script\" or \"scripts\" is required") }
        if given.count > 1 { sink.error(path, "give only one of \(given.map { "\"\($0)\"" }.joined(separator: ", "))") }
        if let s = config["script"]?.stringValue { config["scripts"] = .array([.string(s)] + (config["scripts"]?.arrayValue ?? [])) }
        checkScriptsExist(config, path, sink)
        checkEnvironment(config, path, sink)
    }

    static let windowsRestart = PluginType(schema: ConfigSchema([
        ConfigField("restart_command", .string, "shutdown /r /f /t 0 /c \"packer restart\""),
        ConfigField("restart_check_command", .string, .string(restartCheckCommand)),
        ConfigField("restart_timeout", .duration, 300),
        ConfigField("check_registry", .bool, false),
        ConfigField("registry_keys", .stringList, [
            "HKLM:SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending",
            "HKLM:SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\PackagesPending",
            "HKLM:Software\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootInProgress",
        ]),
    ])) { _, _, _, _, _ in }

    static let manifest = PluginType(schema: ConfigSchema([
        ConfigField("output", .string, "packer-manifest.json"),
        ConfigField("strip_path", .bool, false),
        ConfigField("strip_time", .bool, false),
        ConfigField("custom_data", .stringMap, [:]),
    ]), keepInputDefault: true) { _, _, _, _, _ in }

    static let alicloudImport = PluginType(schema: AlicloudSchema.importer) { config, path, sink, clock, _ in
        AlicloudSchema.validateImporter(&config, path: path, sink: sink, clock: clock)
    }

    /// Provisioner types by name.
    static let provisioners: [String: PluginType] = [
        "shell": shell, "powershell": powershell, "file": file, "shell-local": shellLocal, "windows-restart": windowsRestart,
        "ansible": ansible, "windows-shell": windowsShell, "breakpoint": breakpoint,
    ]
    /// Post-processor types by name.
    static let postProcessors: [String: PluginType] = [
        "alicloud-import": alicloudImport, "manifest": manifest, "shell-local": shellLocal,
    ]

    static func isEmpty(_ v: JSONValue?) -> Bool {
        switch v {
        case nil, .null?: return true
        case .string(let s)?: return s.isEmpty
        case .array(let a)?: return a.isEmpty
        default: return false
        }
    }

    /// Packer's rule: exactly one of inline, script, scripts; `script` joins `scripts`.
    static func scriptSources(_ config: inout [String: JSONValue], _ path: String, _ sink: DiagnosticSink, inlineKey: String) {
        let hasInline = config[inlineKey] != nil && config[inlineKey] != .null
        let hasScript = !isEmpty(config["script"])
        let hasScripts = !isEmpty(config["scripts"])
        if hasScript && hasScripts { sink.error("\(path).scripts", "give either \"script\" or \"scripts\", not both") }
        if !hasInline && !hasScript && !hasScripts { sink.error(path, "one of \"inline\", \"script\" or \"scripts\" is required") }
        if hasInline && (hasScript || hasScripts) { sink.error("\(path).\(inlineKey)", "give either \"inline\" or a script, not both") }
        if hasScript, let s = config["script"] { config["scripts"] = .array([s]) }
        checkScriptsExist(config, path, sink)
    }

    static func checkScriptsExist(_ config: [String: JSONValue], _ path: String, _ sink: DiagnosticSink) {
        let key = isEmpty(config["script"]) ? "scripts" : "script"
        for s in (config["scripts"]?.arrayValue ?? []).compactMap(\.stringValue) {
            AlicloudSchema.checkReadableFile(s, "\(path).\(key)", sink)
        }
    }

    static func checkEnvironment(_ config: [String: JSONValue], _ path: String, _ sink: DiagnosticSink) {
        for (k, v) in (config["environment_vars"]?.arrayValue ?? []).enumerated() {
            guard let s = v.stringValue else { continue }
            guard let eq = s.firstIndex(of: "="), eq != s.startIndex else {
                sink.error("\(path).environment_vars[\(k)]", "\"\(s)\" is not in the form KEY=VALUE")
                continue
            }
        }
    }
}
