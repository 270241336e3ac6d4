#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FoundationEssentials

/// Where a child's standard input comes from.
public enum ProcessInput {
    /// The parent's own stdin (a terminal stays usable: the child shares our process group).
    case inherit
    /// `/dev/null`.
    case null
    /// These bytes, then end of file.
    case bytes([UInt8])
    /// A file opened read-only.
    case file(String)
    /// An open descriptor the caller keeps owning (e.g. the read end of a pipe).
    case fd(Int32)
}

/// Where a child's standard output or error goes.
public enum ProcessOutput {
    /// The parent's own stream, untouched (byte for byte, no copy).
    case inherit
    /// `/dev/null`.
    case null
    /// Kept in `ProcessResult`, at most `limit` bytes (the rest is read and dropped).
    case capture(limit: Int)
    /// Each line as it arrives, without its newline; a last line without one is delivered too.
    case lines(([UInt8]) -> Void)
    /// Each chunk as read, for raw streaming.
    case chunks(([UInt8]) -> Void)
    /// An open descriptor the caller keeps owning (a file, or a pipe's write end).
    case fd(Int32)

    /// This process's standard output, copied chunk by chunk rather than inherited, so a
    /// write that fails (a full disk, a closed pipe) is seen and made exit 74 by the runner.
    public static var standardOutput: ProcessOutput { .chunks { _ = StandardStream.write($0, to: 1) } }
}

/// How a child ended: its exit code, or the signal that killed it.
public enum ProcessExit: Equatable, Sendable, CustomStringConvertible {
    /// `exit(code)`.
    case exited(Int32)
    /// Killed by a signal.
    case killed(Int32)

    /// The status a shell would report: the code, or 128 + signal.
    public var code: Int32 {
        switch self {
        case .exited(let c): return c
        case .killed(let s): return ExitStatus.signaled(s)
        }
    }

    public var description: String {
        switch self {
        case .exited(let c): return "exit status \(c)"
        case .killed(let s): return "killed by signal \(signalName(s))"
        }
    }
}

/// The name of a signal as `kill -l` prints it (`TERM`), or its number.
public func signalName(_ signal: Int32) -> String {
    let names: [Int32: String] = [
        SIGHUP: "HUP", SIGINT: "INT", SIGQUIT: "QUIT", SIGILL: "ILL", SIGABRT: "ABRT", SIGKILL: "KILL",
        SIGSEGV: "SEGV", SIGPIPE: "PIPE", SIGALRM: "ALRM", SIGTERM: "TERM", SIGUSR1: "USR1", SIGUSR2: "USR2",
    ]
    return names[signal] ?? String(signal)
}

/// One program to run: path or name (looked up in PATH), arguments, environment and streams.
public struct ProcessCommand {
    /// A path, or a bare name looked up in PATH.
    public var executable: String
    /// The arguments after argv[0].
    public var arguments: [String]
    /// The whole environment of the child; nil inherits the parent's.
    public var environment: [String: String]?
    /// Standard input.
    public var stdin: ProcessInput = .null
    /// Standard output.
    public var stdout: ProcessOutput = .inherit
    /// Standard error.
    public var stderr: ProcessOutput = .inherit
    /// Seconds before the child gets SIGTERM (then SIGKILL after `killGrace`); nil waits forever.
    public var timeout: Double?
    /// Seconds between SIGTERM and SIGKILL on a timeout.
    public var killGrace: Double = 2

    /// Makes a command with stdin on /dev/null and inherited stdout/stderr.
    public init(_ executable: String, _ arguments: [String] = [], environment: [String: String]? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
    }
}

/// What a finished child left behind.
public struct ProcessResult: Sendable {
    /// How it ended.
    public var exit: ProcessExit
    /// Captured stdout (only with `.capture`).
    public var stdout: [UInt8] = []
    /// Captured stderr (only with `.capture`).
    public var stderr: [UInt8] = []
    /// Whether captured stdout hit its limit.
    public var stdoutTruncated = false
    /// Whether captured stderr hit its limit.
    public var stderrTruncated = false
    /// Whether the child was stopped because `timeout` passed.
    public var timedOut = false

    /// Captured stdout as text (invalid UTF-8 repaired).
    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    /// Captured stderr as text (invalid UTF-8 repaired).
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Runs child processes with posix_spawn: explicit descriptors only (nothing else leaks
/// into the child), default signal dispositions in the child, output streamed or bounded,
/// a timeout (TERM, then KILL) and SIGINT/SIGTERM/SIGHUP forwarded to every live child.
/// A tool started with SIGHUP ignored (under nohup) starts each child, unless it reads the
/// tool's terminal, in a process group of its own, SIGHUP still ignored: a hangup sent to the
/// build's process group cannot reach it then, not even ssh's multiplexing client, which
/// unlike ssh itself stops on SIGHUP although it is ignored. INT and TERM reach the group.
///
/// After a forwarded signal the child is reaped, then `run` throws `ExitRequest(128+n)`,
/// so a tool built on `runTool` exits 130/143 with no child left behind.
public enum Subprocess {
    /// Runs `command` to completion. Throws `ToolError` (69) when it cannot be started and
    /// `ExitRequest(128+n)` when the tool received SIGINT/SIGTERM/SIGHUP meanwhile.
    public static func run(_ command: ProcessCommand) throws -> ProcessResult {
        SignalForwarding.install()
        try SignalForwarding.checkInterrupted()
        var runner = Runner(command: command)
        defer { runner.closeAll() }
        let result = try runner.run()
        try SignalForwarding.checkInterrupted()
        return result
    }

    /// Runs a command and returns its captured stdout as text; a failure exit becomes a
    /// ToolError with the first line of stderr.
    public static func output(_ executable: String, _ arguments: [String], limit: Int = 1 << 20) throws -> String {
        var cmd = ProcessCommand(executable, arguments)
        cmd.stdout = .capture(limit: limit)
        cmd.stderr = .capture(limit: 64 << 10)
        let r = try run(cmd)
        guard r.exit == .exited(0) else {
            let why = r.stderrText.split(separator: "\n").first.map(String.init) ?? r.exit.description
            throw ToolError.failed("\(executable): \(why)")
        }
        return r.stdoutText
    }
}

/// Monotonic seconds.
func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

/// Creates a pipe whose both ends are close-on-exec.
public func makePipe() throws -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    guard GNUCalls.pipe2(&fds, O_CLOEXEC) == 0 else {
        throw ToolError(.software, "pipe: \(errnoText())")
    }
    return (fds[0], fds[1])
}

private struct Runner {
    let command: ProcessCommand
    var outFd: Int32 = -1, errFd: Int32 = -1, inFd: Int32 = -1
    var wake: (read: Int32, write: Int32) = (-1, -1)
    /// Where signals for the child go: its pid, or its process group (-pid).
    var target: pid_t = 0
    var result = ProcessResult(exit: .exited(0))
    var partial: [[UInt8]] = [[], []]

    init(command: ProcessCommand) { self.command = command }

    mutating func closeAll() {
        for fd in [outFd, errFd, inFd, wake.read, wake.write] where fd >= 0 { close(fd) }
        outFd = -1; errFd = -1; inFd = -1; wake = (-1, -1)
    }

    mutating func run() throws -> ProcessResult {
        var childSide: [Int32] = []
        defer { for fd in childSide { close(fd) } }
        var stdinBytes: [UInt8] = []
        var slots: [ChildDescriptor] = []

        switch command.stdin {
        case .inherit: slots.append(.inherit)
        case .null: slots.append(.null)
        case .file(let path):
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw ToolError(.noInput, "\(path): \(errnoText())") }
            childSide.append(fd)
            slots.append(.fd(fd))
        case .fd(let fd): slots.append(.fd(fd))
        case .bytes(let b):
            let p = try makePipe()
            childSide.append(p.read)
            inFd = p.write
            stdinBytes = b
            slots.append(.fd(p.read))
        }
        for (target, mode) in [(Int32(1), command.stdout), (Int32(2), command.stderr)] {
            switch mode {
            case .inherit: slots.append(.inherit)
            case .null: slots.append(.null)
            case .fd(let fd): slots.append(.fd(fd))
            case .capture, .lines, .chunks:
                let p = try makePipe()
                childSide.append(p.write)
                if target == 1 { outFd = p.read } else { errFd = p.read }
                slots.append(.fd(p.write))
            }
        }
        wake = try makePipe()
        _ = fcntl(wake.read, F_SETFL, O_NONBLOCK)
        _ = fcntl(wake.write, F_SETFL, O_NONBLOCK)

        var ownGroup = SignalForwarding.hangupIgnoredAtStart
        if ownGroup, case .inherit = command.stdin { ownGroup = isatty(0) != 1 }
        // The registry lock is held across spawn so a signal cannot slip between spawn and
        // registration.
        let pid: pid_t
        do {
            SignalForwarding.state.lock.lock()
            defer { SignalForwarding.state.lock.unlock() }
            pid = try Subprocess.spawn([command.executable] + command.arguments, environment: command.environment,
                                       stdin: slots[0], stdout: slots[1], stderr: slots[2],
                                       newProcessGroup: ownGroup, keepHangupIgnored: SignalForwarding.hangupIgnoredAtStart)
            target = ownGroup ? -pid : pid
            SignalForwarding.state.children[target] = wake.write
            if let sig = SignalForwarding.state.received { kill(target, sig) }
        }
        for fd in childSide { close(fd) }
        childSide = []
        defer {
            SignalForwarding.state.lock.lock()
            SignalForwarding.state.children[target] = nil
            SignalForwarding.state.lock.unlock()
        }
        for fd in [outFd, errFd, inFd] where fd >= 0 { _ = fcntl(fd, F_SETFL, O_NONBLOCK) }
        if inFd >= 0 && stdinBytes.isEmpty { close(inFd); inFd = -1 }
        try pump(pid: pid, stdinBytes: stdinBytes)
        return result
    }

    /// Moves bytes until the child is reaped and its pipes are drained.
    mutating func pump(pid: pid_t, stdinBytes: [UInt8]) throws {
        let start = monotonicSeconds()
        let deadline = command.timeout.map { start + $0 }
        var killAt: Double?
        var reapedAt: Double?
        var inOffset = 0
        var buffer = [UInt8](repeating: 0, count: 65536)

        while true {
            if reapedAt == nil {
                var status: Int32 = 0
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid {
                    result.exit = ProcessExit(waitStatus: status)
                    reapedAt = monotonicSeconds()
                } else if r < 0 && errno != EINTR {
                    reapedAt = monotonicSeconds()  // not our child any more; nothing to wait for
                }
            }
            let now = monotonicSeconds()
            if let reapedAt {
                if outFd < 0 && errFd < 0 { break }
                // A background grandchild may hold the pipes open; stop reading shortly after.
                if now - reapedAt > 0.25 {
                    flushPartial(); break
                }
            }
            if reapedAt == nil, let deadline, now >= deadline {
                if !result.timedOut {
                    result.timedOut = true
                    kill(target, SIGTERM)
                    killAt = now + command.killGrace
                } else if let k = killAt, now >= k {
                    kill(target, SIGKILL)
                    killAt = nil
                }
            }
            var fds: [pollfd] = []
            for fd in [outFd, errFd] where fd >= 0 { fds.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0)) }
            if inFd >= 0 { fds.append(pollfd(fd: inFd, events: Int16(POLLOUT), revents: 0)) }
            fds.append(pollfd(fd: wake.read, events: Int16(POLLIN), revents: 0))
            var waitMs: Int32 = reapedAt == nil ? 200 : 20
            if let deadline, reapedAt == nil {
                let next = killAt ?? (result.timedOut ? now + 0.2 : deadline)
                waitMs = max(1, min(waitMs, Int32((next - now) * 1000) + 1))
            }
            let n = poll(&fds, nfds_t(fds.count), waitMs)
            if n < 0 && errno != EINTR { throw ToolError(.software, "poll: \(errnoText())") }
            if n <= 0 { continue }
            for p in fds where p.revents != 0 {
                if p.fd == wake.read {
                    while read(wake.read, &buffer, buffer.count) > 0 {}
                } else if p.fd == inFd {
                    let remaining = stdinBytes.count - inOffset
                    let w = stdinBytes.withUnsafeBytes { raw in write(inFd, raw.baseAddress! + inOffset, remaining) }
                    if w > 0 { inOffset += w }
                    if inOffset >= stdinBytes.count || (w < 0 && errno != EAGAIN && errno != EINTR) {
                        close(inFd); inFd = -1
                    }
                } else {
                    let r = read(p.fd, &buffer, buffer.count)
                    if r > 0 {
                        deliver(Array(buffer[0..<r]), stream: p.fd == outFd ? 1 : 2)
                    } else if r == 0 || (errno != EAGAIN && errno != EINTR) {
                        let stream = p.fd == outFd ? 1 : 2
                        finish(stream: stream)
                        close(p.fd)
                        if stream == 1 { outFd = -1 } else { errFd = -1 }
                    }
                }
            }
        }
        if reapedAt == nil { _ = Subprocess.wait(pid) }
    }

    mutating func deliver(_ bytes: [UInt8], stream: Int) {
        switch stream == 1 ? command.stdout : command.stderr {
        case .capture(let limit):
            let room = max(0, limit - (stream == 1 ? result.stdout.count : result.stderr.count))
            if bytes.count > room {
                if stream == 1 { result.stdoutTruncated = true } else { result.stderrTruncated = true }
            }
            let kept = bytes.prefix(room)
            if stream == 1 { result.stdout += kept } else { result.stderr += kept }
        case .chunks(let handler):
            handler(bytes)
        case .lines(let handler):
            var start = 0
            for i in bytes.indices where bytes[i] == 10 {
                if partial[stream - 1].isEmpty {
                    handler(Array(bytes[start..<i]))
                } else {
                    handler(partial[stream - 1] + bytes[start..<i])
                    partial[stream - 1] = []
                }
                start = i + 1
            }
            if start < bytes.count { partial[stream - 1] += bytes[start...] }
        default: break
        }
    }

    mutating func finish(stream: Int) {
        if case .lines(let handler) = stream == 1 ? command.stdout : command.stderr, !partial[stream - 1].isEmpty {
            handler(partial[stream - 1])
            partial[stream - 1] = []
        }
    }

    mutating func flushPartial() {
        if outFd >= 0 { finish(stream: 1) }
        if errFd >= 0 { finish(stream: 2) }
    }
}

/// glibc calls that Swift's Glibc module hides (they need _GNU_SOURCE), found at run time.
enum GNUCalls {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    nonisolated(unsafe) static let handle = dlopen(nil, RTLD_NOW)
    static let pipe2Fn: Pipe2? = dlsym(handle, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    static let closeFromFn: CloseFrom? =
        dlsym(handle, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }

    /// pipe2(2); without it, pipe(2) and FD_CLOEXEC (racy only against foreign fork()s).
    static func pipe2(_ fds: UnsafeMutablePointer<Int32>, _ flags: Int32) -> Int32 {
        if let f = pipe2Fn { return f(fds, flags) }
        guard pipe(fds) == 0 else { return -1 }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return 0
    }

    /// Closes every descriptor from `from` up in the child: glibc's closefrom action (2.34+),
    /// else a close action for each descriptor open now (/proc/self/fd).
    static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) {
        if let f = closeFromFn, f(actions, from) == 0 { return }
        guard let dir = opendir("/proc/self/fd") else { return }
        defer { closedir(dir) }
        let own = dirfd(dir)
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if let fd = Int32(name), fd >= from, fd != own { posix_spawn_file_actions_addclose(actions, fd) }
        }
    }
}

/// A child's descriptor 0, 1 or 2 at spawn.
public enum ChildDescriptor: Sendable {
    /// The parent's own.
    case inherit
    /// `/dev/null` (read-only as stdin, write-only as stdout/stderr).
    case null
    /// A descriptor of the parent's (the caller keeps owning and closes it).
    case fd(Int32)
}

extension ProcessExit {
    /// How a child ended, from a waitpid(2) status.
    public init(waitStatus status: Int32) {
        let sig = status & 0x7f
        self = sig == 0 ? .exited((status >> 8) & 0xff) : .killed(sig)
    }
}

extension Subprocess {
    /// Starts `argv` (argv[0] a path, or a bare name looked up in PATH) and returns its pid;
    /// the caller reaps it (`wait`). The child gets descriptors 0, 1 and 2 as asked and no
    /// other, every signal at its default disposition and none blocked; `environment` is
    /// its whole environment (nil: the parent's). With `newProcessGroup` it leads a process
    /// group of its own, so `kill(-pid, sig)` reaches everything it starts. With
    /// `keepHangupIgnored` SIGHUP stays ignored in the child (the tool started under nohup).
    /// Throws `ToolError` (69) when it cannot be started. The one posix_spawn of the toolkit.
    public static func spawn(_ argv: [String], environment: [String: String]?,
                             stdin: ChildDescriptor = .null, stdout: ChildDescriptor = .inherit,
                             stderr: ChildDescriptor = .inherit, newProcessGroup: Bool = false,
                             keepHangupIgnored: Bool = false) throws -> pid_t {
        precondition(!argv.isEmpty, "spawn: empty argv")
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (target, slot) in [(Int32(0), stdin), (1, stdout), (2, stderr)] {
            switch slot {
            case .inherit: break
            case .null: posix_spawn_file_actions_addopen(&actions, target, "/dev/null", target == 0 ? O_RDONLY : O_WRONLY, 0)
            case .fd(let fd): posix_spawn_file_actions_adddup2(&actions, fd, target)
            }
        }
        // Nothing but 0, 1, 2 reaches the child, whatever the parent has open without CLOEXEC
        // (ecs-sim's listening sockets must not live on in a long-lived sshd).
        GNUCalls.addCloseFrom(&actions, 3)

        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        if keepHangupIgnored { sigdelset(&defaults, SIGHUP) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attr, 0)
        }
        posix_spawnattr_setflags(&attr, Int16(flags))

        let executable = argv[0]
        var pid: pid_t = 0
        let rc: Int32 = withCStrings(argv) { argvPtr in
            func call(_ envp: UnsafePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
                executable.contains("/")
                    ? posix_spawn(&pid, executable, &actions, &attr, argvPtr, envp)
                    : posix_spawnp(&pid, executable, &actions, &attr, argvPtr, envp)
            }
            guard let environment else { return call(UnsafePointer(environ)) }
            return withCStrings(environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }) { call(UnsafePointer($0)) }
        }
        guard rc == 0 else {
            throw ToolError(.unavailable, "\(executable): cannot run: \(errnoText(rc))")
        }
        return pid
    }

    /// Waits for a spawned child to end (EINTR retried); nil when `pid` is not a child of ours.
    public static func wait(_ pid: pid_t) -> ProcessExit? {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return nil }
        }
        return ProcessExit(waitStatus: status)
    }
}

/// Calls `body` with a NULL-terminated C array of copies of `strings`.
func withCStrings<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}

/// Carries a value to another thread when the caller guarantees exclusive use.
final class Handoff<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}

extension Subprocess {
    /// Runs `producer | consumer`: the producer's stdout feeds the consumer's stdin (their
    /// own settings for those streams are replaced). Both are waited for; a consumer that
    /// stops early makes the producer see EPIPE.
    public static func pipeline(_ producer: ProcessCommand, _ consumer: ProcessCommand) throws -> (ProcessResult, ProcessResult) {
        let p = try makePipe()
        var first = producer
        first.stdout = .fd(p.write)
        var second = consumer
        second.stdin = .fd(p.read)
        let box = Handoff<(ProcessCommand, Result<ProcessResult, Error>?)>((first, nil))
        let done = DispatchSemaphore(value: 0)
        let writeEnd = p.write
        startThread {
            box.value.1 = Result { try Subprocess.run(box.value.0) }
            close(writeEnd)  // the consumer sees EOF once the producer is gone
            done.signal()
        }
        let secondResult = Result { try Subprocess.run(second) }
        close(p.read)  // a producer still writing now gets EPIPE instead of blocking
        done.wait()
        let firstResult = try box.value.1!.get()
        return (firstResult, try secondResult.get())
    }
}
