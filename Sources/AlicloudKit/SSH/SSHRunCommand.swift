import FoundationEssentials

/// The `ssh-run` command line: what to do and with which connection.
public struct SSHRunCommand {
    /// The spec (usage, help, options).
    public static let spec = CommandSpec(
        tool: "ssh-run",
        usage: "ssh-run [options] [user@]host [--] command... | --provision FILE | --wait | --upload SRC DST | --download SRC DST | --close",
        about: """
        usage: ssh-run [options] [user@]host [--] command...
               ssh-run [options] [user@]host --provision FILE|-
               ssh-run [options] [user@]host --wait [command...]
               ssh-run [options] [user@]host --upload SRC DST | --download SRC DST
               ssh-run --control DIR --close [user@]host

        Runs a command or a Packer provisioner (shell, file, ansible; the plan's form or a
        template's provisioner block) on a host with the system ssh(1),
        or waits until the host accepts SSH. Remote stdout goes to stdout and remote stderr
        to stderr as it arrives. Options must come before the command.
        """,
        options: [
            .value("-p", "--port", arg: "PORT", "port (default 22)"),
            .value("-l", "--user", arg: "USER", "login name (or user@host)"),
            .value("-i", "--identity", arg: "KEYFILE", "private key; must not be readable by group or others"),
            .value("--password-env", arg: "VAR", "log in with the password in environment variable VAR"),
            .value("--sensitive-env", arg: "VAR", "never show the values (one per line) in environment variable VAR:\nremote output shows <sensitive> instead (Packer's sensitive-variables)"),
            .value("--timeout", arg: "S", "--wait: give up after S seconds (default 300), exit 75"),
            .value("--connect-attempts", arg: "N", "ssh ConnectionAttempts for each call (default 1)"),
            .value("--known-hosts", arg: "FILE", "learn the host key on first contact into FILE, pin it after\n(without it host keys are not checked, as Packer does)"),
            .value("--control", arg: "DIR", "share one master connection (socket in DIR) between calls"),
            .flag("--close", help: "stop the master connection kept in --control DIR"),
            .value("--prefix", arg: "NAME", "print remote lines as Packer does: \"    NAME: line\" on\nstdout, \"==> NAME: line\" on stderr"),
            .value("--bastion", arg: "[user@]H[:P]", "reach the host through a jump host"),
            .value("--build-name", arg: "NAME", "PACKER_BUILD_NAME for shell provisioners"),
            .value("--builder-type", arg: "TYPE", "PACKER_BUILDER_TYPE (default alicloud-ecs)"),
            .value("-o", arg: "OPTION", "an ssh_config option passed to ssh (repeatable)"),
            .value("--provision", arg: "FILE", "run the provisioner in FILE (- for stdin)"),
            .flag("--wait", help: "wait until the host accepts SSH (then run the command, if any)"),
            .flag("--upload", help: "copy SRC on this machine to DST on the host"),
            .flag("--download", help: "copy SRC on the host to DST on this machine"),
        ],
        exits: [
            ExitCode(0, "after --wait/--provision/--upload/--download success"), ExitCode(1, "a provisioner failed"),
            ExitCode(64, "usage"), ExitCode(65, "bad provisioner JSON"), ExitCode(66, "missing file"),
            ExitCode(75, "--wait or provisioner timed out"), ExitCode(78, "unsafe key file or password variable unset"),
            ExitCode([130, 143, 129], "after SIGINT/SIGTERM/SIGHUP"), ExitCode(255, "ssh-run's or ssh's own failure"),
        ],
        remoteStatus: "the remote command's",
        ownFailure: ExitStatus.remoteRunner.rawValue,
        optionsEndAfterPositionals: 1
    )

    /// Parses the arguments and runs; throws ToolError / ExitRequest for runTool.
    public static func main(_ args: ParsedArguments) throws {
        SignalForwarding.install()
        guard let hostArg = args.positionals.first else { throw ToolError.usage("missing host") }
        var target = try SSHTarget(parsing: hostArg)
        if let user = args.value("-l") {
            guard target.user == nil else { throw ToolError.usage("user given twice (-l and user@host)") }
            target.user = user
        }
        var client = SSHClient(target: target)
        if let p = args.value("-p") {
            guard let port = Int(p), (1...65535).contains(port) else { throw ToolError.usage("-p: bad port \(p)") }
            client.port = port
        }
        client.identityFile = args.value("-i")
        client.passwordVariable = args.value("--password-env")
        if let name = args.value("--sensitive-env") {
            for value in (ProcessEnvironment.value(name) ?? "").split(separator: "\n") { Secrets.register(String(value)) }
        }
        client.connectAttempts = max(1, try args.integer("--connect-attempts", default: 1)!)
        client.extraOptions = args.all("-o")
        if let b = args.value("--bastion") { client.bastion = try SSHTarget(parsing: b, allowPort: true) }
        if let kh = args.value("--known-hosts") {
            client.knownHostsFile = try absolute(kh)
            try makeDirectory(Paths.parent(client.knownHostsFile!))
        }
        if let dir = args.value("--control") {
            client.controlDirectory = try absolute(dir)
            try makeDirectory(client.controlDirectory!)
        }
        let rest = Array(args.positionals.dropFirst())
        let modes = ["--provision", "--upload", "--download", "--close"].filter { args.has($0) }
        if modes.count > 1 { throw ToolError.usage("\(modes.joined(separator: " and ")) cannot be combined") }

        if args.has("--close") {
            guard rest.isEmpty else { throw ToolError.usage("--close takes no command") }
            try client.closeMaster()
            return
        }
        try client.validate()
        let output = ProvisionOutput(prefix: args.value("--prefix"))

        if args.has("--wait") {
            let timeout = try args.number("--timeout", default: 300)!
            output.say("Waiting for SSH to become available...")
            try client.waitUntilReady(timeout: timeout)
            output.say("Connected to SSH!")
            if modes.isEmpty && rest.isEmpty { return }
        }
        let transport = SSHTransport(client: client)
        if let file = args.value("--provision") {
            guard rest.isEmpty else { throw ToolError.usage("--provision takes no command") }
            let bytes: [UInt8]
            if file == "-" {
                bytes = try readAll(fd: 0)
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    throw ToolError(.noInput, "\(file): cannot read the provisioner")
                }
                bytes = [UInt8](data)
            }
            let json: JSONValue
            do { json = try JSONParser.parse(bytes) } catch { throw ToolError.data("\(file == "-" ? "stdin" : file): \(error)") }
            let spec = try ProvisionerSpec(anyForm: json, source: file == "-" ? "stdin" : file,
                                           environment: ProcessEnvironment.current, pwd: FileManager.default.currentDirectoryPath)
            var run = ProvisionerRun(spec: spec, buildName: args.value("--build-name") ?? "alicloud-ecs",
                                     builderType: args.value("--builder-type") ?? "alicloud-ecs", output: output)
            run.ansibleConnection = .ssh(client)
            try run.run(on: transport)
            return
        }
        if args.has("--upload") || args.has("--download") {
            guard rest.count == 2 else { throw ToolError.usage("\(modes[0]) needs SRC and DST") }
            let file = FileProvisioner(sources: [rest[0]], destination: rest[1], direction: args.has("--upload") ? .upload : .download)
            try file.run(on: transport, output: output)
            return
        }
        guard !rest.isEmpty else { throw ToolError.usage("missing command (or --wait, --provision, --upload, --download)") }
        // Like ssh(1): the words are joined with spaces and run by the remote user's shell.
        let command = rest.joined(separator: " ")
        let result: SSHResult
        if output.prefix == nil {
            result = try client.run(remote: command, stdin: .inherit, stdout: .standardOutput)
        } else {
            result = try client.run(remote: command, stdin: .inherit,
                                    stdout: .lines { StandardStream.write(output.stdoutLine($0), to: 1) },
                                    stderr: .lines { StandardStream.write(output.stderrLine($0), to: 2) })
        }
        if SSHResult.isHostKeyMismatch(result.stderrTail.joined(separator: "\n")) {
            throw ToolError(.remoteRunner, "\(target.host): host key changed since it was recorded in \(client.knownHostsFile ?? "known_hosts"); refusing to connect")
        }
        if case .killed = result.exit { throw ExitRequest(ExitStatus.remoteRunner.rawValue) }
        throw ExitRequest(result.exit.code)
    }

    static func absolute(_ path: String) throws -> String {
        if path.hasPrefix("/") { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    static func makeDirectory(_ dir: String) throws {
        guard !dir.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw ToolError(.cantCreate, "\(dir): cannot create directory")
        }
    }
}
