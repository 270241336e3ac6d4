#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FoundationEssentials

/// SIGINT, SIGTERM and SIGHUP handling for tools that run children: the signal is recorded,
/// forwarded to every live child of `Subprocess`, and turned into `ExitRequest(128+n)` at
/// the next `Subprocess.run` / `SignalForwarding.sleep` / `checkInterrupted`, so cleanup
/// code (defer, catch) still runs before the tool exits 130/143/129.
public enum SignalForwarding {
    final class State: @unchecked Sendable {
        let lock = Lock()
        var installed = false
        var received: Int32?
        /// Live children, by where their signals go (the pid, or -pid for a child leading a
        /// process group of its own), and the wake-pipe of the loop waiting for each.
        var children: [pid_t: Int32] = [:]
        var sources: [DispatchSourceSignal] = []
        let sleeper = DispatchSemaphore(value: 0)
        var sleepers = 0
    }
    static let state = State()
    static let queue = DispatchQueue(label: "alicloudkit.signals")

    /// The signals forwarded to children and mapped to 128+n. SIGHUP only when the tool was
    /// not started with it ignored: under `nohup` (or a build started so) a hangup leaves the
    /// tool and its children running, as it leaves the shell scripts around them (which cannot
    /// trap a signal ignored on entry) and as Packer leaves itself.
    public static let forwarded: [Int32] = hangupIgnoredAtStart ? [SIGINT, SIGTERM] : [SIGINT, SIGTERM, SIGHUP]

    /// Whether SIGHUP was ignored when the tool started (read before `install` changes it).
    /// `Subprocess` then leaves it ignored in children too.
    public static let hangupIgnoredAtStart: Bool = isIgnored(SIGHUP)

    /// Whether `sig`'s disposition is SIG_IGN now.
    public static func isIgnored(_ sig: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(sig, nil, &current) == 0 else { return false }
        let handler = unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self)
        return handler == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// Installs the handlers (idempotent). `Subprocess.run` calls it; tools may call it first
    /// thing so a signal during local work is also deferred to the next check.
    public static func install() {
        state.lock.lock()
        defer { state.lock.unlock() }
        if state.installed { return }
        state.installed = true
        // SIGPIPE: a closed reader must surface as EPIPE, never kill the tool.
        signal(SIGPIPE, SIG_IGN)
        for sig in forwarded {
            // Ignore first: a signal arriving before the source is armed must not kill us.
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { deliver(sig) }
            source.resume()
            state.sources.append(source)
        }
        let child = DispatchSource.makeSignalSource(signal: SIGCHLD, queue: queue)
        child.setEventHandler { wakeAll() }
        child.resume()
        state.sources.append(child)
    }

    static func deliver(_ sig: Int32) {
        state.lock.lock()
        if state.received == nil { state.received = sig }
        for (target, _) in state.children { kill(target, sig) }
        let sleepers = state.sleepers
        state.lock.unlock()
        for _ in 0..<sleepers { state.sleeper.signal() }
        wakeAll()
    }

    static func wakeAll() {
        state.lock.lock()
        let fds = Array(state.children.values)
        state.lock.unlock()
        var byte: UInt8 = 1
        for fd in fds { _ = write(fd, &byte, 1) }
    }

    /// The first forwarded signal received, if any.
    public static var received: Int32? {
        state.lock.lock()
        defer { state.lock.unlock() }
        return state.received
    }

    /// Throws `ExitRequest(128+n)` if a forwarded signal has been received.
    public static func checkInterrupted() throws {
        if let sig = received { throw ExitRequest(ExitStatus.signaled(sig)) }
    }

    /// Sleeps `seconds`, returning early (with `ExitRequest(128+n)`) on a forwarded signal.
    public static func sleep(_ seconds: Double) throws {
        install()
        try checkInterrupted()
        guard seconds > 0 else { return }
        state.lock.lock()
        state.sleepers += 1
        state.lock.unlock()
        _ = state.sleeper.wait(timeout: .now() + seconds)
        state.lock.lock()
        state.sleepers -= 1
        state.lock.unlock()
        try checkInterrupted()
    }
}
