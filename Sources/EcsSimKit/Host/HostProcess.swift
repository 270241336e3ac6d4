import AlicloudKit
import Foundation

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

/// Spawns host programs with posix_spawn: a fixed small environment (never the emulator's,
/// which holds credentials), default signal dispositions, and no inherited descriptors
/// besides 0-2 (the emulator's listening socket must not leak into a long-lived sshd).
enum HostProcess {
    /// The environment every helper program gets.
    static let environment = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"]

    /// Runs `argv` to completion, feeding `input` on stdin, capturing stdout and stderr.
    static func run(_ argv: [String], input: Data? = nil) throws -> HostProcessResult {
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        var errPipe: [Int32] = [-1, -1]
        guard makePipe(&inPipe), makePipe(&outPipe), makePipe(&errPipe) else {
            throw ToolError(.software, "\(argv[0]): pipe: \(errnoText())")
        }
        let pid: pid_t
        do {
            pid = try spawn(argv, stdin: inPipe[0], stdout: outPipe[1], stderr: errPipe[1], newProcessGroup: false)
        } catch {
            for fd in inPipe + outPipe + errPipe { close(fd) }
            throw error
        }
        close(inPipe[0]); close(outPipe[1]); close(errPipe[1])
        // Feed stdin and drain both outputs concurrently so no pipe buffer can deadlock.
        let writeFD = inPipe[1]
        let feeder = Thread {
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
        let errFD = errPipe[0]
        let errReader = Thread {
            errBox.data = readAll(errFD)
            done.signal()
        }
        signal(SIGPIPE, SIG_IGN)
        feeder.start()
        errReader.start()
        let out = readAll(outPipe[0])
        done.wait()
        close(outPipe[0]); close(errPipe[0])
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
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin, 0)
        posix_spawn_file_actions_adddup2(&actions, stdout, 1)
        posix_spawn_file_actions_adddup2(&actions, stderr, 2)
        closeFrom3(&actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigfillset(&defaults)
        sigdelset(&defaults, SIGKILL)
        sigdelset(&defaults, SIGSTOP)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var empty = sigset_t()
        sigemptyset(&empty)
        posix_spawnattr_setsigmask(&attributes, &empty)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let cArgs = argv.map { strdup($0) } + [nil]
        let cEnv = environment.map { strdup($0) } + [nil]
        defer { for p in cArgs + cEnv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, &attributes, cArgs, cEnv)
        guard rc == 0 else {
            throw ToolError(.unavailable, "\(argv[0]): cannot start: \(String(cString: strerror(rc)))")
        }
        return pid
    }

    /// Waits for `pid` to end and returns its exit code (128+n after signal n).
    static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return -1 }
        }
        return decode(status)
    }

    /// Turns a waitpid status into an exit code (128+n after signal n).
    static func decode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    private static func readAll(_ fd: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            data.append(buffer, count: n)
        }
        return data
    }

    /// Closes every descriptor from 3 up in the child: glibc's closefrom action when the C
    /// library has it (2.34+; Swift's Glibc module does not import it), else each open one.
    private static func closeFrom3(_ actions: inout posix_spawn_file_actions_t) {
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
        if let symbol = closeFromSymbol {
            let closeFrom = unsafeBitCast(symbol, to: CloseFrom.self)
            if closeFrom(&actions, 3) == 0 { return }
        }
        let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in open.compactMap(Int32.init) where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
    }

    nonisolated(unsafe) private static let closeFromSymbol: UnsafeMutableRawPointer? =
        dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")
}

/// A mutable byte buffer handed between a reader thread and its waiter.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}

/// pipe(2) with both ends close-on-exec (Swift's Glibc module does not import pipe2).
func makePipe(_ fds: inout [Int32]) -> Bool {
    guard pipe(&fds) == 0 else { return false }
    _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    return true
}

/// The current errno as text.
func errnoText() -> String { String(cString: strerror(errno)) }
