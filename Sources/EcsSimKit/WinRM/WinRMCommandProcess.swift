#if canImport(Glibc)
import Glibc
#endif
import AlicloudKit
import Dispatch
import FoundationEssentials

/// One running child of a WinRM shell: its own process group (so a Signal reaches the
/// whole tree), a stdin pipe fed by Send, and stdout/stderr collected for Receive.
final class WinRMCommandProcess: @unchecked Sendable {
    let pid: pid_t
    private var stdinFd: Int32
    private let cond = Condition()
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
        var pipes: [(read: Int32, write: Int32)] = []
        let pid: pid_t
        do {
            for _ in 0..<3 { pipes.append(try makePipe()) }
            pid = try Subprocess.spawn(argv, environment: environment, stdin: .fd(pipes[0].read), stdout: .fd(pipes[1].write),
                                       stderr: .fd(pipes[2].write), newProcessGroup: true)
        } catch {
            for p in pipes { close(p.read); close(p.write) }
            throw error
        }
        close(pipes[0].read); close(pipes[1].write); close(pipes[2].write)
        let p = WinRMCommandProcess(pid: pid, stdinFd: pipes[0].write)
        for (i, fd) in [pipes[1].read, pipes[2].read].enumerated() {
            startThread { p.pump(fd, index: i) }
        }
        startThread { p.reap() }
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
        let exit = Subprocess.wait(pid)
        cond.lock()
        exitCode = exit == .killed(SIGUSR1) ? 9009 : exit?.code ?? -1
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
            cond.wait(seconds: max(0.001, wait - now))
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
