import FoundationEssentials

extension ProvisionerSchema {
    /// Packer's `windows-shell`: cmd.exe over WinRM (winrm-run runs it), with Packer 1.6.6's
    /// defaults: `set "K=V" && ` variables, `{{.Vars}}"{{.Path}}"`, c:/Windows/Temp/script.bat.
    static let windowsShell = PluginType(schema: ConfigSchema([
        ConfigField("inline", .stringList),
        ConfigField("script", .localPath),
        ConfigField("scripts", .localPathList, []),
        ConfigField("environment_vars", .stringList, []),
        ConfigField("env_var_format", .string, "set \"%s=%s\" && "),
        ConfigField("execute_command", .string, "{{.Vars}}\"{{.Path}}\"", rendered: false),
        ConfigField("remote_path", .string, "c:/Windows/Temp/script.bat"),
        ConfigField("binary", .bool, false),
        ConfigField("start_retry_timeout", .duration, 300),
        ConfigField("valid_exit_codes", .intList, [0]),
    ])) { config, path, sink, _, _ in
        scriptSources(&config, path, sink, inlineKey: "inline")
        checkEnvironment(config, path, sink)
    }

    /// Packer's `breakpoint`: the orchestrator pauses until Enter on a terminal, and goes on
    /// with a log line when its standard input is not one (or `disable` is set).
    static let breakpoint = PluginType(schema: ConfigSchema([
        ConfigField("disable", .bool, false),
        ConfigField("note", .string, ""),
    ])) { _, _, _, _, _ in }
}
