import AlicloudKit
import Dispatch
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The result of a helper program run to completion.
struct HostProcessResult {
    /// How the program ended: its exit code, or 128+signal when a signal killed it.
    var status: Int32
    var stdout: Data
    var stderr: Data

    /// The last non-empty line of stderr, for error messages.
    var lastErrorLine: String {
        let text = String(decoding: stderr, as: UTF8.self)
        return text.split(separator: "\n").last.map(String.init) ?? "exit status \(status)"
    }
}

/// Host programs started through `Subprocess.spawn`: a fixed small environment (never the
/// emulator's, which holds credentials), default signal dispositions, and no inherited
/// descriptors besides 0-2 (the emulator's listening socket must not leak into a long-lived sshd).
enum HostProcess {
    /// The environment every helper program gets.
    static let environment = ["PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C"]

    /// Runs `argv` to completion, feeding `input` on stdin, capturing stdout and stderr.
    static func run(_ argv: [String], input: Data? = nil) throws -> HostProcessResult {
        let inPipe = try makePipe(), outPipe = try makePipe()
        let errPipe: (read: Int32, write: Int32)
        do { errPipe = try makePipe() } catch {
            for fd in [inPipe.read, inPipe.write, outPipe.read, outPipe.write] { close(fd) }
            throw error
        }
        let pid: pid_t
        do {
            pid = try spawn(argv, stdin: inPipe.read, stdout: outPipe.write, stderr: errPipe.write, newProcessGroup: false)
        } catch {
            for fd in [inPipe.read, inPipe.write, outPipe.read, outPipe.write, errPipe.read, errPipe.write] { close(fd) }
            throw error
        }
        close(inPipe.read); close(outPipe.write); close(errPipe.write)
        // Feed stdin and drain both outputs concurrently so no pipe buffer can deadlock.
        let writeFD = inPipe.write
        signal(SIGPIPE, SIG_IGN)
        startThread {
            if let input {
                input.withUnsafeBytes { raw in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(writeFD, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 { if errno == EINTR { continue }; break }
                        offset += n
                    }
                }
            }
            close(writeFD)
        }
        let done = DispatchSemaphore(value: 0)
        let errBox = DataBox()
        let errFD = errPipe.read
        startThread {
            errBox.data = Data((try? readAll(fd: errFD)) ?? [])
            done.signal()
        }
        let out = Data((try? readAll(fd: outPipe.read)) ?? [])
        done.wait()
        close(outPipe.read); close(errPipe.read)
        return HostProcessResult(status: waitForExit(pid), stdout: out, stderr: errBox.data)
    }

    /// Runs `argv` and throws a `ToolError` naming `context` unless it exits 0.
    @discardableResult
    static func check(_ argv: [String], input: Data? = nil, context: String) throws -> Data {
        let result = try run(argv, input: input)
        guard result.status == 0 else {
            throw ToolError(.failed, "\(context): \(argv[0]): \(result.lastErrorLine)")
        }
        return result.stdout
    }

    /// Starts `argv` with the given descriptors as 0, 1, 2 and returns its pid; the caller reaps it.
    static func spawn(_ argv: [String], stdin: Int32, stdout: Int32, stderr: Int32,
                      newProcessGroup: Bool) throws -> pid_t {
        try Subprocess.spawn(argv, environment: environment, stdin: .fd(stdin), stdout: .fd(stdout), stderr: .fd(stderr),
                             newProcessGroup: newProcessGroup)
    }

    /// Waits for `pid` to end and returns its exit code (128+n after signal n; -1 when not a child).
    static func waitForExit(_ pid: pid_t) -> Int32 {
        Subprocess.wait(pid)?.code ?? -1
    }
}

/// A mutable byte buffer handed between a reader thread and its waiter.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
