#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Provisioner transfers and commands over ssh(1). Files travel as `cat > path` and trees
/// as a tar stream, so the host needs only sh, cat and tar (busybox is enough) and no
/// sftp/scp subsystem — it works inside a ChrootDirectory with a static busybox.
public struct SSHTransport: ProvisionTransport {
    /// The connection.
    public var client: SSHClient

    /// Makes one.
    public init(client: SSHClient) { self.client = client }

    /// Runs a housekeeping command whose stdin/stdout are given; stderr is kept for the error.
    func quietRun(_ remote: String, stdin: ProcessInput = .null, stdout: ProcessOutput = .null) throws -> SSHResult {
        try client.run(remote: remote, stdin: stdin, stdout: stdout, stderr: .null)
    }

    /// Turns a failed transfer into TransportError (connection) or ToolError (remote refusal).
    func check(_ r: SSHResult, _ what: String) throws {
        if r.exit == .exited(0) { return }
        let why = SSHResult.summary(r.stderrTail.joined(separator: "\n")) ?? r.exit.description
        if r.sshFailed { throw TransportError("\(what): \(why)") }
        throw ToolError.failed("\(what): \(why)")
    }

    public func upload(bytes: [UInt8], to path: String, mode: Int) throws {
        let q = shellQuote(path)
        let r = try quietRun("cat > \(q) && chmod \(String(mode, radix: 8)) \(q)", stdin: .bytes(bytes))
        try check(r, "upload to \(path)")
    }

    public func upload(file: String, to path: String) throws {
        var st = stat()
        guard stat(file, &st) == 0 else { throw ToolError(.noInput, "\(file): \(errnoText())") }
        let q = shellQuote(path)
        let mode = String(st.st_mode & 0o7777, radix: 8)
        let r = try quietRun("cat > \(q) && chmod \(mode) \(q)", stdin: .file(file))
        try check(r, "upload to \(path)")
    }

    /// `tar -cf -` arguments for a directory or its contents.
    static func tarCreate(_ dir: String, contentsOnly: Bool) -> [String] {
        var d = dir
        while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
        if contentsOnly { return ["-C", d, "-cf", "-", "."] }
        let parent = Paths.parent(d)
        return ["-C", parent.isEmpty ? "." : parent, "-cf", "-", Paths.last(d)]
    }

    public func upload(tree: String, contentsOnly: Bool, into directory: String) throws {
        var tar = ProcessCommand("tar", Self.tarCreate(tree, contentsOnly: contentsOnly))
        tar.stderr = .capture(limit: 16 << 10)
        let q = shellQuote(directory)
        let remote = "mkdir -p \(q) && tar -x -o -f - -C \(q)"
        let tail = StderrTail()
        var ssh = ProcessCommand(client.program, client.arguments(remote: remote), environment: client.environment())
        ssh.stdout = .null
        ssh.stderr = .lines { tail.add($0) }
        let (t, s) = try Subprocess.pipeline(tar, ssh)
        try check(SSHResult(exit: s.exit, timedOut: s.timedOut, stderrTail: tail.lines), "upload of \(tree) to \(directory)")
        guard t.exit == .exited(0) else { throw ToolError.failed("tar \(tree): \(t.stderrText.split(separator: "\n").first ?? "\(t.exit)")") }
    }

    public func download(file: String, to local: String) throws {
        let fd = open(local, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ToolError(.cantCreate, "\(local): \(errnoText())") }
        let r: SSHResult
        do {
            r = try quietRun("cat < \(shellQuote(file))", stdout: .fd(fd))
        } catch {
            close(fd); unlink(local); throw error
        }
        close(fd)
        if r.exit != .exited(0) { unlink(local) }
        try check(r, "download of \(file)")
    }

    public func download(tree: String, contentsOnly: Bool, into local: String) throws {
        try FileManager.default.createDirectory(atPath: local, withIntermediateDirectories: true)
        let create = Self.tarCreate(tree, contentsOnly: contentsOnly).map(shellQuote).joined(separator: " ")
        let tail = StderrTail()
        var ssh = ProcessCommand(client.program, client.arguments(remote: "tar " + create), environment: client.environment())
        ssh.stderr = .lines { tail.add($0) }
        var tar = ProcessCommand("tar", ["-x", "-f", "-", "-C", local])
        tar.stdout = .null
        tar.stderr = .capture(limit: 16 << 10)
        let (s, t) = try Subprocess.pipeline(ssh, tar)
        try check(SSHResult(exit: s.exit, timedOut: s.timedOut, stderrTail: tail.lines), "download of \(tree)")
        guard t.exit == .exited(0) else { throw ToolError.failed("tar into \(local): \(t.stderrText.split(separator: "\n").first ?? "\(t.exit)")") }
    }

    public func isDirectory(_ path: String) throws -> Bool {
        let r = try quietRun("test -d \(shellQuote(path))")
        if r.sshFailed { throw TransportError("checking \(path): \(SSHResult.summary(r.stderrTail.joined(separator: "\n")) ?? "ssh failed")") }
        return r.exit == .exited(0)
    }

    /// The remote command that reads the real one from stdin and runs it. A provisioner's
    /// command carries its environment_vars (sensitive variables among them): given to ssh(1)
    /// as an argument it would be readable by every local user in /proc/PID/cmdline for as
    /// long as the script runs. After the read, stdin is at its end, as /dev/null would be.
    static let commandFromStdin = "c=$(cat) && eval \"$c\""

    public func execute(_ command: String, output: ProvisionOutput, timeout: Double?) throws -> RemoteOutcome {
        let r: SSHResult
        let remote = Self.commandFromStdin
        let stdin = ProcessInput.bytes(Array(command.utf8))
        if output.discard {
            r = try client.run(remote: remote, stdin: stdin, stdout: .null, stderr: .null, timeout: timeout)
        } else if output.prefix == nil {
            r = try client.run(remote: remote, stdin: stdin, stdout: .standardOutput, stderr: nil, timeout: timeout)
        } else {
            r = try client.run(remote: remote, stdin: stdin,
                               stdout: .lines { StandardStream.write(output.stdoutLine($0), to: 1) },
                               stderr: .lines { StandardStream.write(output.stderrLine($0), to: 2) }, timeout: timeout)
        }
        if r.timedOut { return .disconnected("timed out") }
        if case .killed(let s) = r.exit { return .disconnected("ssh killed by signal \(signalName(s))") }
        if r.exit == .exited(255), let why = SSHResult.summary(r.stderrTail.joined(separator: "\n")),
           why.contains("closed by remote host") || why.contains("Connection reset") || why.contains("Broken pipe")
            || why.contains("Connection refused") || why.contains("timed out") || why.hasPrefix("ssh:") {
            return .disconnected(why)
        }
        return .exited(r.exit.code)
    }
}
