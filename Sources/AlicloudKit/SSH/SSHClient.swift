#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// How to reach one host with the system ssh(1): identity, host-key pinning, password via
/// askpass, connection sharing and a bastion. Builds argv and environment; never holds
/// a password itself, only the name of the environment variable that does.
public struct SSHClient: Sendable {
    /// The host (and user) to log in to.
    public var target: SSHTarget
    /// `-p`; nil leaves ssh's default (22 or ssh_config).
    public var port: Int?
    /// A private key file (`-i`); must not be group or world readable.
    public var identityFile: String?
    /// The name of the environment variable holding the login password.
    public var passwordVariable: String?
    /// The build's own known_hosts; nil disables host-key checking (as Packer does).
    public var knownHostsFile: String?
    /// A directory for the ControlMaster socket; nil means one connection per call.
    public var controlDirectory: String?
    /// Seconds the master stays up after its last client.
    public var controlPersist = 600
    /// A jump host, reached with the same identity and known_hosts.
    public var bastion: SSHTarget?
    /// ssh's ConnectTimeout (also bounds the banner exchange).
    public var connectTimeout = 15
    /// ssh's ConnectionAttempts for ordinary calls.
    public var connectAttempts = 1
    /// Extra `-o` options, passed through unchanged; they come first, and ssh keeps the
    /// first value it sees, so they override ours.
    public var extraOptions: [String] = []
    /// The ssh program.
    public var program = "ssh"

    /// Makes a client for `target`.
    public init(target: SSHTarget) { self.target = target }

    /// The environment marker that turns the running tool into an askpass helper.
    public static let askpassMarker = "ALICLOUD_SSH_ASKPASS_VAR"

    /// The longest control directory whose socket path fits sun_path (107 bytes) with the
    /// 41 characters of "/%C" and ssh's 17-character temporary suffix.
    public static let maxControlDirectoryLength = 107 - 41 - 17

    /// The port in effect (for messages).
    public var effectivePort: Int { port ?? target.port ?? 22 }

    /// Checks local prerequisites: the key file exists and is private; the password
    /// variable is set. Throws 66 (missing key), 78 (unsafe key or no password).
    public func validate() throws {
        if let key = identityFile {
            var st = stat()
            guard stat(key, &st) == 0 else {
                throw ToolError(.noInput, "identity file \(key): \(errnoText())")
            }
            if st.st_mode & 0o077 != 0 {
                let mode = String(st.st_mode & 0o777, radix: 8)
                throw ToolError(.config, "identity file \(key): permissions 0\(mode) are too open (group or others can read it); run: chmod 600 \(key)")
            }
        }
        if let dir = controlDirectory, dir.utf8.count > Self.maxControlDirectoryLength {
            // ssh binds "<dir>/<40-char %C hash>.<16 random characters>": a Unix socket path
            // has 107 bytes at most, and a longer one fails only on connecting, every time.
            throw ToolError(.usage, "--control \(dir): path too long for ssh's control socket (\(dir.utf8.count) characters, at most \(Self.maxControlDirectoryLength)); use a shorter directory such as one from mktemp -d")
        }
        if let name = passwordVariable {
            guard let value = ProcessEnvironment.value(name), !value.isEmpty else {
                throw ToolError(.config, "password variable \(name) is not set")
            }
            Secrets.register(value)
        }
    }

    /// The `-o` options shared by the main connection and the bastion hop.
    func commonOptions(batch: Bool) -> [String] {
        var o: [String] = []
        for extra in extraOptions { o += ["-o", extra] }
        if let key = identityFile { o += ["-i", key, "-o", "IdentitiesOnly=yes"] }
        if let kh = knownHostsFile {
            o += ["-o", "UserKnownHostsFile=\(Self.optionPath(kh))", "-o", "StrictHostKeyChecking=accept-new"]
        } else {
            o += ["-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=no"]
        }
        o += ["-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
        if passwordVariable != nil {
            o += ["-o", "BatchMode=no", "-o", "NumberOfPasswordPrompts=1", "-o", "KbdInteractiveAuthentication=yes"]
            if identityFile == nil { o += ["-o", "PubkeyAuthentication=no"] }
        } else if batch {
            o += ["-o", "BatchMode=yes"]
        }
        o += ["-o", "ConnectTimeout=\(connectTimeout)", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4"]
        return o
    }

    /// The ControlPath for this target inside `dir` (%C keeps it short: a hash of the
    /// host, port and user), as an ssh option's value.
    public func controlPath(in dir: String) -> String { Self.optionPath(dir + "/", then: "%C") }

    /// `path` as the value of an ssh `-o` option, which ssh splits into words like a
    /// configuration line (UserKnownHostsFile takes a list: "/a b/kh" would name "/a" and
    /// "b/kh") and in which it expands %-tokens. A path with a space, quote, backslash or %
    /// is double-quoted with `"` and `\` escaped and `%` doubled; `tokens` follows as is.
    public static func optionPath(_ path: String, then tokens: String = "") -> String {
        guard path.contains(where: { $0.isWhitespace || "\"'\\%".contains($0) }) else { return path + tokens }
        var q = "\""
        for c in path {
            switch c {
            case "\"", "\\": q += "\\" + String(c)
            case "%": q += "%%"
            default: q.append(c)
            }
        }
        return q + tokens + "\""
    }

    /// Arguments for ssh up to and including the destination; `remote` is appended as
    /// one argument (ssh joins and gives it to the remote user's shell).
    public func arguments(remote: String?, attempts: Int? = nil, batch: Bool = true, control: Bool = true) -> [String] {
        var a = commonOptions(batch: batch)
        a += ["-o", "ConnectionAttempts=\(attempts ?? connectAttempts)"]
        if let p = port ?? target.port { a += ["-p", String(p)] }
        if control, let dir = controlDirectory {
            a += ["-o", "ControlMaster=auto", "-o", "ControlPath=\(controlPath(in: dir))", "-o", "ControlPersist=\(controlPersist)"]
        }
        if let b = bastion {
            // ProxyJump would not pass our options to the hop; an explicit ProxyCommand does,
            // so the bastion's key is pinned in the same file and ~/.ssh is never written.
            var hop = [program] + commonOptions(batch: batch)
            if let p = b.port { hop += ["-p", String(p)] }
            hop += ["-W", "[%h]:%p", "--", b.destination]
            a += ["-o", "ProxyCommand=" + hop.map { shellQuote($0).replacingText("%", with: "%%") }
                .joined(separator: " ").replacingText("[%%h]:%%p", with: "[%h]:%p")]
        }
        a += ["--", target.destination]
        if let remote { a.append(remote) }
        return a
    }

    /// The environment for ssh: ours, plus askpass settings when a password is used.
    public func environment() -> [String: String] {
        var env = ProcessEnvironment.current
        if let name = passwordVariable {
            env["SSH_ASKPASS"] = Self.executablePath()
            env["SSH_ASKPASS_REQUIRE"] = "force"
            env[Self.askpassMarker] = name
            if env["DISPLAY"] == nil { env["DISPLAY"] = ":0" }  // older ssh wants one
        }
        return env
    }

    /// This program's absolute path (askpass runs it again).
    static func executablePath() -> String {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 { return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    /// When this process was started by ssh as its askpass helper, prints the password for
    /// a password prompt (nothing for any other question) and returns the exit status;
    /// nil when this is an ordinary run. Tools call it first thing in main.
    public static func answerAskpass(arguments: [String] = CommandLine.arguments,
                                     environment: [String: String] = ProcessEnvironment.current) -> Int32? {
        guard let name = environment[askpassMarker], environment["SSH_ASKPASS"] != nil else { return nil }
        let prompt = arguments.dropFirst().joined(separator: " ").lowercased()
        guard prompt.contains("password"), let value = environment[name] else { return 1 }
        StandardStream.write(Array((value + "\n").utf8), to: 1)
        return 0
    }

    /// Runs `remote` on the host. stdout goes to `stdout`; stderr is passed to `stderrLine`
    /// (or straight through), and its last lines are kept for diagnosis.
    public func run(remote: String?, stdin: ProcessInput = .inherit, stdout: ProcessOutput = .inherit,
                    stderr: ProcessOutput? = nil, timeout: Double? = nil, attempts: Int? = nil) throws -> SSHResult {
        let tail = StderrTail()
        var cmd = ProcessCommand(program, arguments(remote: remote, attempts: attempts, batch: true), environment: environment())
        cmd.stdin = stdin
        cmd.stdout = stdout
        if let stderr, case .lines(let handler) = stderr {
            cmd.stderr = .lines { line in tail.add(line); handler(line) }
        } else if let stderr, case .null = stderr {
            cmd.stderr = .lines { line in tail.add(line) }
        } else {
            cmd.stderr = .chunks { chunk in
                StandardStream.write(chunk, to: 2)
                tail.addChunk(chunk)
            }
        }
        cmd.timeout = timeout
        let r = try Subprocess.run(cmd)
        return SSHResult(exit: r.exit, timedOut: r.timedOut, stderrTail: tail.lines)
    }

    /// Runs `remote` and returns its stdout (bounded); stderr is kept for the message.
    public func capture(remote: String, stdin: ProcessInput = .null, limit: Int = 1 << 20) throws -> (SSHResult, [UInt8]) {
        var cmd = ProcessCommand(program, arguments(remote: remote, batch: true), environment: environment())
        cmd.stdin = stdin
        cmd.stdout = .capture(limit: limit)
        let tail = StderrTail()
        cmd.stderr = .lines { tail.add($0) }
        let r = try Subprocess.run(cmd)
        return (SSHResult(exit: r.exit, timedOut: r.timedOut, stderrTail: tail.lines), r.stdout)
    }

    /// Waits until the host accepts a login and runs a command, retrying refused or reset
    /// connections, banner timeouts and rejected keys (cloud-init may not have installed
    /// them yet) until `timeout` seconds have passed, 1 s after the first attempt and then
    /// every 2 s (a refused probe costs a few milliseconds and no API call, so a build that
    /// waits here rather than polling the instance's status connects within 2 s of boot). A
    /// changed host key fails at once (255); running out of time throws 75.
    public func waitUntilReady(timeout: Double, interval: Double = 1, progress: ((String) -> Void)? = nil) throws {
        let start = monotonicSeconds()
        var last = "no attempt finished"
        var attempt = 0
        while true {
            attempt += 1
            let remaining = timeout - (monotonicSeconds() - start)
            if remaining <= 0 { break }
            var probe = self
            probe.connectTimeout = max(1, min(connectTimeout, Int(remaining.rounded(.up))))
            var cmd = ProcessCommand(program, probe.arguments(remote: "exit 0", attempts: 1, batch: true), environment: environment())
            cmd.stdout = .null
            cmd.stderr = .capture(limit: 16 << 10)
            cmd.timeout = Double(probe.connectTimeout) + 10
            let r = try Subprocess.run(cmd)
            if r.exit == .exited(0) { return }
            let text = r.stderrText
            if SSHResult.isHostKeyMismatch(text) {
                throw ToolError(.remoteRunner, "\(target.host): host key changed since it was recorded in \(knownHostsFile ?? "known_hosts"); refusing to connect")
            }
            if r.exit != .exited(255) && !r.timedOut { return }  // the shell answered
            last = r.timedOut ? "no answer within \(Int(cmd.timeout!))s" : SSHResult.summary(text) ?? r.exit.description
            progress?("attempt \(attempt): \(last)")
            let left = timeout - (monotonicSeconds() - start)
            if left <= 0 { break }
            try SignalForwarding.sleep(min(interval * Double(min(attempt, 2)), left))
        }
        throw ToolError(.tempFail, "\(target.host) port \(effectivePort): ssh not ready after \(Int(timeout))s (last: \(last))")
    }

    /// Stops the ControlMaster for this target (`ssh -O exit`); no master is not an error.
    public func closeMaster() throws {
        guard let dir = controlDirectory else { throw ToolError.usage("--close needs --control DIR") }
        var a = ["-o", "ControlPath=\(controlPath(in: dir))", "-O", "exit"]
        if let p = port ?? target.port { a += ["-p", String(p)] }
        a += ["--", target.destination]
        var cmd = ProcessCommand(program, a, environment: environment())
        cmd.stdout = .null
        cmd.stderr = .capture(limit: 16 << 10)
        let r = try Subprocess.run(cmd)
        if r.exit == .exited(0) { return }
        let text = r.stderrText
        if text.contains("No such file") || text.contains("Connection refused") { return }
        throw ToolError(.remoteRunner, "closing master for \(target.host): \(SSHResult.summary(text) ?? r.exit.description)")
    }
}

/// The outcome of one ssh call.
public struct SSHResult: Sendable {
    /// ssh's exit: the remote status, or 255 for ssh's own failure (and a remote signal death).
    public var exit: ProcessExit
    /// Whether the local timeout stopped it.
    public var timedOut: Bool
    /// The last lines ssh wrote on stderr.
    public var stderrTail: [String]

    /// Whether ssh itself failed (255, or killed locally).
    public var sshFailed: Bool { exit == .exited(255) || timedOut }

    /// Whether ssh's message says the host key changed.
    public static func isHostKeyMismatch(_ text: String) -> Bool {
        text.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") || text.contains("Host key verification failed")
    }

    /// The most telling line of ssh's stderr (e.g. "connect to host ... Connection refused").
    public static func summary(_ text: String) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingSpace() }.filter { !$0.isEmpty }
        return (lines.last { $0.hasPrefix("ssh:") || $0.contains("denied") || $0.contains("Connection") || $0.contains("kex_") } ?? lines.last)
            .map { $0.count > 200 ? String($0.prefix(200)) + "..." : $0 }
    }
}

/// Keeps the last lines written to stderr.
final class StderrTail: @unchecked Sendable {
    private let lock = Lock()
    private var kept: [String] = []
    private var pending: [UInt8] = []
    func add(_ line: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        kept.append(String(decoding: line, as: UTF8.self))
        if kept.count > 20 { kept.removeFirst(kept.count - 20) }
    }
    func addChunk(_ chunk: [UInt8]) {
        var start = 0
        for i in chunk.indices where chunk[i] == 10 {
            add(pending + chunk[start..<i]); pending = []; start = i + 1
        }
        pending += chunk[start...]
        if pending.count > 4096 { pending.removeFirst(pending.count - 4096) }
    }
    var lines: [String] {
        lock.lock(); defer { lock.unlock() }
        return pending.isEmpty ? kept : kept + [String(decoding: pending, as: UTF8.self)]
    }
}
