#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// The `winrm-run` command line.
public enum WinRMRunCommand {
    /// The spec (usage, help, options).
    public static let spec = CommandSpec(
        tool: "winrm-run",
        usage: "winrm-run [options] host [--] command... | --powershell SCRIPT|- | --provision FILE|- | --wait | --upload SRC DST",
        about: """
        usage: winrm-run [options] host [--] command...
               winrm-run [options] host --powershell SCRIPT|-
               winrm-run [options] host --provision FILE|-
               winrm-run [options] host --wait [command...]
               winrm-run [options] host --upload SRC DST

        Runs a cmd.exe command line, a PowerShell script or a Packer provisioner
        (powershell, windows-shell) on a Windows host over WinRM (Basic authentication,
        HTTP or HTTPS), or waits until WinRM answers. Remote stdout goes to stdout and
        remote stderr to stderr as it arrives; PowerShell's CLIXML errors become text.
        Options must come before the host.
        """,
        options: [
            .value("-u", "--user", arg: "USER", "account (default Administrator)"),
            .value("--password-env", arg: "VAR", "the password is in environment variable VAR (required)"),
            .value("--port", arg: "N", "port (default 5985, or 5986 with --https)"),
            .flag("--https", help: "use HTTPS"),
            .flag("--insecure", help: "do not verify the HTTPS certificate or host name"),
            .value("--ca-file", arg: "FILE", "trust the CA certificates in FILE (PEM) for HTTPS"),
            .value("--timeout", arg: "S", "--wait: give up after S seconds (default 1800), exit 75"),
            .value("--operation-timeout", arg: "S", "how long one Receive may wait on the host (default 60)"),
            .value("--connect-timeout", arg: "S", "TCP/TLS connect timeout per request (default 10)"),
            .flag("-n", help: "do not forward stdin to a command"),
            .value("--prefix", arg: "NAME", "print remote lines as Packer does: \"    NAME: line\" on\nstdout, \"==> NAME: line\" on stderr"),
            .value("--build-name", arg: "NAME", "PACKER_BUILD_NAME for provisioners"),
            .value("--sensitive-env", arg: "VAR", "never show the values (one per line) in environment variable\nVAR, and keep them out of ansible-playbook's argv"),
            .value("--builder-type", arg: "TYPE", "PACKER_BUILDER_TYPE (default alicloud-ecs)"),
            .value("--powershell", arg: "SCRIPT|-", "run a PowerShell script (- for stdin)"),
            .value("--provision", arg: "FILE|-", "run the provisioner in FILE (- for stdin)"),
            .flag("--wait", help: "wait until WinRM answers (then run the command, if any)"),
            .flag("--upload", help: "copy SRC on this machine to DST on the host"),
        ],
        exits: [
            ExitCode(0, "after --wait/--provision/--upload success"), ExitCode(1, "a provisioner failed"),
            ExitCode(64, "usage"), ExitCode(65, "bad provisioner JSON"), ExitCode(66, "missing file"),
            ExitCode(75, "--wait or provisioner timed out"),
            ExitCode(77, "the host rejected the user or password (HTTP 401)"), ExitCode(78, "password variable unset"),
            ExitCode([130, 143, 129], "after SIGINT/SIGTERM/SIGHUP"), ExitCode(255, "winrm-run's own failure"),
        ],
        remoteStatus: "the remote command's (its low 8 bits; 1 when those are 0 but the code is not)",
        ownFailure: ExitStatus.remoteRunner.rawValue,
        optionsEndAfterPositionals: 1
    )

    /// Parses the arguments and runs; throws ToolError / ExitRequest for runTool.
    public static func main(_ args: ParsedArguments) throws {
        SignalForwarding.install()
        do {
            try run(args)
        } catch let f as WSManFault {
            throw ToolError(.remoteRunner, "WinRM fault \(f.code ?? f.subcode): \(f.reason)")
        }
    }

    static func run(_ args: ParsedArguments) throws {
        guard let host = args.positionals.first else { throw ToolError.usage("missing host") }
        let rest = Array(args.positionals.dropFirst())
        let modes = ["--powershell", "--provision", "--upload"].filter { args.has($0) }
        if modes.count > 1 { throw ToolError.usage("\(modes.joined(separator: " and ")) cannot be combined") }
        guard let variable = args.value("--password-env") else {
            throw ToolError(.config, "no password: pass the name of the environment variable holding it with --password-env VAR")
        }
        guard let password = ProcessEnvironment.value(variable), !password.isEmpty else {
            throw ToolError(.config, "--password-env: environment variable \(variable) is not set")
        }
        Secrets.register(password)
        if let name = args.value("--sensitive-env") {
            for value in (ProcessEnvironment.value(name) ?? "").split(separator: "\n") { Secrets.register(String(value)) }
        }
        let https = args.has("--https")
        var port = https ? 5986 : 5985
        if let p = args.value("--port") {
            guard let n = Int(p), (1...65535).contains(n) else { throw ToolError.usage("--port: bad port \(p)") }
            port = n
        }
        if (args.has("--insecure") || args.has("--ca-file")) && !https {
            throw ToolError.usage("--insecure and --ca-file need --https")
        }
        var endpoint = WinRMEndpoint(host: host, port: port, https: https, user: args.value("-u") ?? "Administrator", password: password)
        endpoint.operationTimeout = try positive(args, "--operation-timeout", 60)
        endpoint.http.connectTimeout = try positive(args, "--connect-timeout", 10)
        endpoint.http.insecure = args.has("--insecure")
        if let ca = args.value("--ca-file") {
            guard FileManager.default.isReadableFile(atPath: ca) else { throw ToolError(.noInput, "--ca-file: \(ca): cannot read it") }
            endpoint.http.caFile = ca
        }
        let session = WinRMSession(endpoint)
        let output = WinRMOutput(prefix: args.value("--prefix"))

        if args.has("--wait") {
            let timeout = try positive(args, "--timeout", 1800)
            output.say("Waiting for WinRM to become available...")
            try session.waitUntilReady(timeout: timeout)
            output.say("Connected to WinRM!")
            if modes.isEmpty && rest.isEmpty { return }
        }
        if let file = args.value("--provision") {
            guard rest.isEmpty else { throw ToolError.usage("--provision takes no command") }
            let json: JSONValue
            do { json = try JSONParser.parse(try readInput(file, what: "the provisioner")) } catch let e as ToolError where e.status == .noInput {
                throw e
            } catch { throw ToolError.data("\(file == "-" ? "stdin" : file): \(error)") }
            if json["type"]?.stringValue == "ansible" {
                // ansible-playbook runs here and reaches the instance with WinRM connection
                // variables; the password stays in the environment variable (and a private file).
                var run = ProvisionerRun(spec: try ProvisionerSpec(json: json), buildName: args.value("--build-name") ?? "alicloud-ecs",
                                         builderType: args.value("--builder-type") ?? "alicloud-ecs", output: ProvisionOutput(prefix: args.value("--prefix")))
                run.ansibleConnection = .winrm(host: host, port: port, user: endpoint.user, passwordVariable: variable, https: https,
                                               insecure: args.has("--insecure"))
                try run.run(on: nil)
                return
            }
            var provisioner = try WindowsProvisioner(json: json)
            provisioner.buildName = args.value("--build-name") ?? "alicloud-ecs"
            provisioner.builderType = args.value("--builder-type") ?? "alicloud-ecs"
            try provisioner.run(on: session, output: output)
            return
        }
        if args.has("--upload") {
            guard rest.count == 2 else { throw ToolError.usage("--upload needs SRC and DST") }
            let bytes = try readInput(rest[0], what: "the file to upload")
            output.say("Uploading \(rest[0]) => \(rest[1])")
            try session.upload(bytes, to: rest[1])
            return
        }
        let code: UInt32
        if let script = args.value("--powershell") {
            guard rest.isEmpty else { throw ToolError.usage("--powershell takes no command") }
            let text = String(decoding: try readInput(script, what: "the script"), as: UTF8.self)
            code = try session.runPowerShell(text, output: output.write)
        } else {
            guard !rest.isEmpty else { throw ToolError.usage("missing command (or --powershell, --provision, --wait, --upload)") }
            var stdin: [UInt8]?
            if !args.has("-n") && isatty(0) == 0 {
                stdin = try readAll(fd: 0)
            }
            code = try session.run(rest.joined(separator: " "), stdin: stdin, output: output.write)
        }
        output.flush()
        throw ExitRequest(exitStatus(code))
    }

    /// A Windows exit code (a DWORD) as a process status: the low 8 bits, or 1 when
    /// those are 0 but the code is not (a failure must never read as success).
    public static func exitStatus(_ code: UInt32) -> Int32 {
        let low = Int32(code & 0xff)
        return low == 0 && code != 0 ? 1 : low
    }

    static func positive(_ args: ParsedArguments, _ name: String, _ def: Double) throws -> Double {
        let v = try args.number(name, default: def)!
        guard v > 0 else { throw ToolError.usage("\(name) must be positive") }
        return v
    }

    static func readInput(_ path: String, what: String) throws -> [UInt8] {
        if path == "-" { return try readAll(fd: 0) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ToolError(.noInput, "\(path): cannot read \(what)")
        }
        return [UInt8](data)
    }
}
