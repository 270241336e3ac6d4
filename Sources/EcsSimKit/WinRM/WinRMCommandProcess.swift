#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation

/// One running child of a WinRM shell: its own process group (so a Signal reaches the
/// whole tree), a stdin pipe fed by Send, and stdout/stderr collected for Receive.
final class WinRMCommandProcess: @unchecked Sendable {
    let pid: pid_t
    private var stdinFd: Int32
    private let cond = NSCondition()
    private var out: [[UInt8]] = [[], []]
    private var open = [true, true]
    private var exitCode: Int32?
    private var exitedAt: Double?

    private init(pid: pid_t, stdinFd: Int32) {
        self.pid = pid
        self.stdinFd = stdinFd
    }

    /// Starts `argv` with `environment`; the child leads a new process group.
    static func start(_ argv: [String], environment: [String: String]) throws -> WinRMCommandProcess {
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard WinRMCalls.pipe2(&inPipe) == 0, WinRMCalls.pipe2(&outPipe) == 0, WinRMCalls.pipe2(&errPipe) == 0 else {
            throw WinRMServerError("pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        _ = WinRMCalls.addCloseFrom(&actions, 3)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD, SIGUSR1] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attr, &empty)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP))
        let env = environment.keys.sorted().map { "\($0)=\(environment[$0]!)" }
        var pid: pid_t = 0
        let rc = winrmCStringArray(argv) { a in winrmCStringArray(env) { e in posix_spawn(&pid, argv[0], &actions, &attr, a, e) } }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        guard rc == 0 else {
            close(inPipe[1]); close(outPipe[0]); close(errPipe[0])
            throw WinRMServerError("\(argv[0]): cannot run: \(String(cString: strerror(rc)))")
        }
        let p = WinRMCommandProcess(pid: pid, stdinFd: inPipe[1])
        for (i, fd) in [outPipe[0], errPipe[0]].enumerated() {
            Thread.detachNewThread { p.pump(fd, index: i) }
        }
        Thread.detachNewThread { p.reap() }
        return p
    }

    private func pump(_ fd: Int32, index: Int) {
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n < 0 && errno == EINTR { continue }
            cond.lock()
            if n > 0 { out[index] += buf[0..<n] } else { open[index] = false }
            cond.broadcast()
            cond.unlock()
            if n <= 0 { break }
        }
        close(fd)
    }

    private func reap() {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let sig = status & 0x7f
        cond.lock()
        exitCode = sig == 0 ? (status >> 8) & 0xff : sig == SIGUSR1 ? 9009 : 128 + sig
        exitedAt = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
        cond.broadcast()
        cond.unlock()
        // A background grandchild may keep the pipes open: end the group's stragglers.
        kill(-pid, SIGKILL)
    }

    /// Writes to stdin (errors ignored: a child that stopped reading is not a fault).
    func write(_ bytes: [UInt8]) {
        cond.lock()
        let fd = stdinFd
        cond.unlock()
        guard fd >= 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return }
            offset += n
        }
    }

    /// Closes stdin (Send with End="true").
    func closeStdin() {
        cond.lock()
        let fd = stdinFd
        stdinFd = -1
        cond.unlock()
        if fd >= 0 { close(fd) }
    }

    /// Sends a signal to the whole process group.
    func signal(_ sig: Int32) { kill(-pid, sig) }

    /// Waits until output is available, the command has finished, or `deadline` passes;
    /// returns at most `limit` bytes (stdout first) and the exit code once all output is taken.
    func take(limit: Int, deadline: Double) -> (stdout: [UInt8], stderr: [UInt8], exit: Int32?) {
        cond.lock()
        defer { cond.unlock() }
        while true {
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            let drained = exitedAt != nil && (!open[0] && !open[1] || now - exitedAt! > 0.5)
            if !out[0].isEmpty || !out[1].isEmpty || drained || now >= deadline {
                let o = Array(out[0].prefix(limit))
                out[0].removeFirst(o.count)
                let e = Array(out[1].prefix(limit - o.count))
                out[1].removeFirst(e.count)
                let finished = drained && out[0].isEmpty && out[1].isEmpty
                return (o, e, finished ? exitCode : nil)
            }
            let wait = exitedAt != nil ? min(deadline, exitedAt! + 0.5) : deadline
            _ = cond.wait(until: Date(timeIntervalSinceNow: max(0.001, wait - now)))
        }
    }

    /// Collects all output until the child has exited (or `seconds` pass); returns its
    /// exit code (nil on timeout) and stderr.
    func finish(within seconds: Double) -> (exit: Int32?, stderr: [UInt8]) {
        let deadline = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 + seconds
        var err: [UInt8] = []
        while true {
            let got = take(limit: 1 << 20, deadline: deadline)
            err += got.stderr
            if got.exit != nil || Double(DispatchTime.now().uptimeNanoseconds) / 1e9 >= deadline { return (got.exit, err) }
        }
    }

    /// Whether the child has been reaped.
    var hasExited: Bool {
        cond.lock()
        defer { cond.unlock() }
        return exitCode != nil
    }

    deinit { if stdinFd >= 0 { close(stdinFd) } }
}

/// A failure inside the WinRM endpoint (reported as a SOAP fault or a start error).
public struct WinRMServerError: Error, CustomStringConvertible, Sendable {
    /// Lowercase text.
    public var description: String
    init(_ text: String) { description = text }
}

/// glibc calls Swift's Glibc module hides (they need _GNU_SOURCE), found at run time.
enum WinRMCalls {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>?, Int32) -> Int32
    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    nonisolated(unsafe) static let handle = dlopen(nil, RTLD_NOW)
    static let pipe2Fn: Pipe2? = dlsym(handle, "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    static let closeFromFn: CloseFrom? =
        dlsym(handle, "posix_spawn_file_actions_addclosefrom_np").map { unsafeBitCast($0, to: CloseFrom.self) }

    static func pipe2(_ fds: UnsafeMutablePointer<Int32>) -> Int32 {
        if let f = pipe2Fn { return f(fds, O_CLOEXEC) }
        guard pipe(fds) == 0 else { return -1 }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return 0
    }

    static func addCloseFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ from: Int32) -> Int32 {
        closeFromFn.map { $0(actions, from) } ?? 0
    }
}

func winrmCStringArray<R>(_ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for p in pointers { free(p) } }
    return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
}
