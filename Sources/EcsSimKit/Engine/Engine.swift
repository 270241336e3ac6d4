#if canImport(Glibc)
import Glibc
#endif
import AlicloudKit
import Dispatch
import FoundationEssentials

/// How an engine is set up.
public struct EngineConfig: Sendable {
    /// Transition timings.
    public var profile: LatencyProfile = .fast
    /// Where state, the request log and host files live (nil: nothing persisted).
    public var stateDirectory: URL?
    /// Faults to inject.
    public var faults = FaultPlan()
    /// Seed of the fault generator.
    public var seed: UInt64 = 1
    /// Seed of the resource and request ID generator; nil: a random one per engine, so two
    /// runs never hand out the same IDs and a client that reaches the wrong emulator gets
    /// NotFound instead of acting on another run's resources.
    public var idSeed: UInt64?
    /// Port of instance sshds.
    public var sshPort = 22
    /// Ports of Windows instances' WinRM endpoints (HTTP; HTTPS, nil for none).
    public var winrmPort = 5985
    public var winrmHTTPSPort: Int? = 5986
    /// Serve only the listed public images (`--catalog strict`), not every well-formed ID
    /// of a known family.
    public var strictCatalog = false

    /// Makes a config.
    public init() {}
}

/// The emulated cloud: every resource, its life cycle and the API actions on it. Thread-safe:
/// every entry point takes the engine's lock; host work (disk trees, sshd) runs on a serial
/// queue and reports back under the lock.
public final class Engine: @unchecked Sendable {
    let lock = Lock()
    var state: SimState
    let config: EngineConfig
    let host: InstanceHosting
    /// The OSS side (buckets and objects ImportImage reads), when the emulator serves OSS.
    public let objectStore: OSSService?
    let hostQueue = DispatchQueue(label: "ecs-sim.host")
    var ids: SeededRandom
    /// The seed `ids` started from (`config.idSeed`, or the random one drawn for this run).
    public let idSeed: UInt64
    var addressRandom: SeededRandom
    var faults: FaultInjector
    /// Instance passwords: kept in memory only, never written anywhere.
    var passwords: [String: String] = [:]
    /// Host operations still running, by resource id.
    var busy: [String: Int] = [:]
    /// The clock (seconds since 1970); tests replace it.
    var clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
    var dirty = false
    var lastPoweroffCheck = 0.0
    /// Instances whose guest is booting at the end of Starting (sshd being started), with
    /// the time their Running transition was due: they turn Running once that host work is
    /// done (a stop or a new start in between makes a new transition, so a new boot).
    var booting: [String: Double] = [:]

    /// An engine over `host`, loading the state directory's state when there is one;
    /// ImportImage reads disks from `objectStore`.
    public init(config: EngineConfig, host: InstanceHosting, objectStore: OSSService? = nil) throws {
        self.config = config
        self.host = host
        self.objectStore = objectStore
        idSeed = config.idSeed ?? UInt64.random(in: 0...UInt64.max)
        ids = SeededRandom(seed: idSeed &* 0x2545_F491_4F6C_DD1D &+ 17)
        // Addresses must not collide with another ecs-sim on the same machine: not seeded.
        addressRandom = SeededRandom(seed: UInt64(UInt32(truncatingIfNeeded: getpid())) << 32 ^ UInt64(Date().timeIntervalSince1970 * 1e6))
        faults = FaultInjector(plan: config.faults, random: SeededRandom(seed: config.seed))
        state = SimState()
        if let dir = config.stateDirectory {
            let file = dir.appendingPathComponent("state.json")
            if let data = try? Data(contentsOf: file) {
                do {
                    state = try JSONDecoder().decode(SimState.self, from: data)
                } catch {
                    throw ToolError(.dataError, "\(file.path): unreadable state: \(error)")
                }
            }
        }
    }

    var now: Double { clock() }

    // MARK: persistence

    /// Writes the state atomically (temp file + rename) when something changed.
    func saveIfDirty() {
        guard dirty, let dir = config.stateDirectory else { dirty = false; return }
        dirty = false
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(state) else { return }
        let file = dir.appendingPathComponent("state.json")
        let tmp = dir.appendingPathComponent(".state.json.\(getpid()).tmp")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { return }
        data.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { break }
                off += n
            }
        }
        fsync(fd)
        close(fd)
        rename(tmp.path, file.path)
    }

    // MARK: IDs and addresses

    /// A new resource ID in the real format: prefix, the region's code, random characters;
    /// never one the state already holds (a pinned seed replays its IDs over a kept state).
    func newId(_ prefix: String, region: String) -> String {
        let code = Catalog.region(region)?.idCode ?? "xx0"
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        while true {
            var s = prefix + "-" + code
            for _ in 0..<17 { s.append(alphabet[Int(ids.next() % UInt64(alphabet.count))]) }
            if !idInUse(s) { return s }
        }
    }

    /// Whether a resource of the state has `id`.
    func idInUse(_ id: String) -> Bool {
        state.vpcs[id] != nil || state.vswitches[id] != nil || state.securityGroups[id] != nil || state.instances[id] != nil
            || state.disks[id] != nil || state.snapshots[id] != nil || state.images[id] != nil || state.eips[id] != nil
            || state.tasks[id] != nil || state.vpcs.values.contains { $0.routeTableId == id }
            || state.keyPairs.values.contains { $0.id == id }
    }

    /// A RequestId in the real format (upper-case UUID).
    public func newRequestId() -> String {
        lock.lock()
        defer { lock.unlock() }
        return requestIdLocked()
    }

    func requestIdLocked() -> String {
        let a = ids.next(), b = ids.next()
        let hex = cFormat("%016llX%016llX", a, b)
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-\(String(c[12..<16]))-\(String(c[16..<20]))-\(String(c[20..<32]))"
    }

    /// A free loopback address (127.x.y.z, outside 127.0.0.0/24) for `owner`. When every
    /// address drawn has the SSH port taken (a listener on all addresses that came after
    /// ecs-sim's start-up check), the last one is given anyway: the instance's sshd then fails
    /// to start and says why, where looping on would hang the emulator.
    func allocateAddress(owner: String) -> String {
        var ip = ""
        for _ in 0..<1000 {
            let a = addressRandom.int(in: 1...254), b = addressRandom.int(in: 0...255), c = addressRandom.int(in: 2...254)
            let drawn = "127.\(a).\(b).\(c)"
            if state.addresses[drawn] != nil { continue }  // never another resource's address
            ip = drawn
            if !Engine.portInUse(drawn, port: config.sshPort) { break }
        }
        state.addresses[ip] = owner
        return ip
    }

    /// Whether another process holds `port` on every address (0.0.0.0 or [::], as a machine's
    /// own sshd does on 22): then no instance's sshd can listen on it. Probed with an address
    /// instances are never given (127.255.255.254).
    public static func portTakenOnEveryAddress(_ port: Int) -> Bool {
        portInUse("127.255.255.254", port: port)
    }

    func releaseAddress(_ ip: String?) {
        if let ip { state.addresses[ip] = nil }
    }

    /// Whether something already listens on `ip:port` (another ecs-sim's instance).
    static func portInUse(_ ip: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = UInt16(port).bigEndian
        inet_pton(AF_INET, ip, &sin.sin_addr)
        let r = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return r != 0 && errno == EADDRINUSE
    }

    // MARK: host work

    /// Runs host work for `resource` on the host queue; `done` runs under the lock after it.
    func hostWork(_ resource: String, _ work: @escaping @Sendable () throws -> Void, done: (@Sendable (Engine, Error?) -> Void)? = nil) {
        busy[resource, default: 0] += 1
        hostQueue.async { [self] in
            var failure: Error?
            do { try work() } catch { failure = error }
            if let failure { StandardStream.err("ecs-sim: host: \(resource): \(failure)\n") }
            lock.lock()
            busy[resource, default: 1] -= 1
            if busy[resource] == 0 { busy[resource] = nil }
            done?(self, failure)
            settleLocked()
            saveIfDirty()
            lock.unlock()
        }
    }

    func isBusy(_ id: String) -> Bool { (busy[id] ?? 0) > 0 }

    /// Waits until queued host work has finished (tests, shutdown).
    public func drainHostWork() {
        hostQueue.sync {}
    }

    // MARK: the public entry points

    /// Advances every time-driven transition; called by a timer and before each request.
    public func tick() {
        lock.lock()
        settleLocked()
        saveIfDirty()
        lock.unlock()
    }

    /// Performs one call: fault plan, ClientToken replay, the action, persistence. Returns the
    /// response object (with RequestId) or the error, and whether to drop the response.
    public func perform(_ call: RPCCall, requestId: String) -> (result: Result<JSONValue, CloudError>, drop: Bool, delay: Double, corrupt: Corruption?) {
        lock.lock()
        defer { lock.unlock() }
        state.requestCounts[call.action, default: 0] += 1
        settleLocked()
        let decision = faults.decide(action: call.action, now: now)
        if let e = decision.error { return (.failure(e), false, decision.delay, nil) }
        let result: Result<JSONValue, CloudError>
        do {
            var body = try performWithToken(call)
            if case .object(var o) = body {
                o["RequestId"] = .string(requestId)
                body = .object(o)
            }
            result = .success(body)
            slowDown(body, by: decision.slow)
        } catch let e as CloudError {
            result = .failure(e)
        } catch {
            result = .failure(CloudError("InternalError", "The request processing has failed due to some unknown error.", status: 500))
        }
        if !RetryPolicy.isReadOnly(call.action) { dirty = true }
        saveIfDirty()
        return (result, decision.drop, decision.delay, decision.corrupt)
    }

    /// Parameters that do not take part in the ClientToken comparison.
    static let unsignedForToken: Set<String> = [
        "Signature", "SignatureNonce", "Timestamp", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureType", "Format",
        "SecurityToken", "Password", "Version", "Action",
    ]

    func performWithToken(_ call: RPCCall) throws -> JSONValue {
        guard RetryPolicy.clientTokenActions.contains(call.action), let token = call.params["ClientToken"] else {
            return try dispatch(call)
        }
        guard token.count <= 64, token.allSatisfy({ $0.isASCII }) else { throw CloudError.invalid("ClientToken", "It must be at most 64 ASCII characters.") }
        let key = "\(call.params["RegionId"] ?? "")|\(call.action)|\(token)"
        let digest = Engine.digest(call.params.values.filter { !Engine.unsignedForToken.contains($0.key) && $0.key != "ClientToken" })
        if let stored = state.tokens[key] {
            guard stored.digest == digest else {
                throw CloudError("IdempotentParameterMismatch", "The request uses the same client token as a previous, but non-identical request.")
            }
            return (try? JSONParser.parse(stored.response)) ?? .object([:])
        }
        let result = try dispatch(call)
        state.tokens[key] = StoredToken(digest: digest, response: result.serialized(pretty: false))
        return result
    }

    /// A short non-cryptographic digest of parameters (FNV-1a), to detect a reused ClientToken.
    static func digest(_ params: [String: String]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for k in params.keys.sorted() {
            for b in (k + "=" + params[k]! + "&").utf8 {
                h ^= UInt64(b)
                h = h &* 0x100_0000_01b3
            }
        }
        return String(h, radix: 16)
    }

    /// Stops every sshd and WinRM endpoint and writes the state; called on SIGTERM/SIGINT.
    public func shutdown() {
        lock.lock()
        saveIfDirty()
        lock.unlock()
        hostQueue.sync { host.stopAll() }
    }

    /// Gives Running instances their sshd (or WinRM endpoint) back after a restart.
    public func resumeHosts() {
        lock.lock()
        for inst in state.instances.values where inst.status == "Running" {
            startHostSSH(inst.id)
        }
        lock.unlock()
    }
}

// MARK: - time formatting

enum SimTime {
    /// `yyyy-MM-ddTHH:mm:ssZ` in UTC.
    static func iso(_ t: Double) -> String {
        var tt = time_t(t)
        var tmv = tm()
        gmtime_r(&tt, &tmv)
        return cFormat("%04d-%02d-%02dT%02d:%02d:%02dZ", Int(tmv.tm_year) + 1900, Int(tmv.tm_mon) + 1, Int(tmv.tm_mday), Int(tmv.tm_hour), Int(tmv.tm_min), Int(tmv.tm_sec))
    }

    /// `yyyy-MM-ddTHH:mmZ` in UTC (ECS instance CreationTime).
    static func isoMinutes(_ t: Double) -> String {
        let s = iso(t)
        return String(s.prefix(16)) + "Z"
    }

    /// Parses `yyyy-MM-ddTHH:mm:ssZ`.
    static func parse(_ s: String) -> Double? {
        let b = Array(s.utf8)
        guard b.count == 20, b[4] == 45, b[7] == 45, b[10] == 84, b[13] == 58, b[16] == 58, b[19] == 90 else { return nil }
        func num(_ r: Range<Int>) -> Int? { Int(String(decoding: b[r], as: UTF8.self)) }
        guard let y = num(0..<4), let mo = num(5..<7), let d = num(8..<10), let h = num(11..<13), let mi = num(14..<16), let se = num(17..<19),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        var tmv = tm()
        tmv.tm_year = Int32(y - 1900)
        tmv.tm_mon = Int32(mo - 1)
        tmv.tm_mday = Int32(d)
        tmv.tm_hour = Int32(h)
        tmv.tm_min = Int32(mi)
        tmv.tm_sec = Int32(se)
        return Double(timegm(&tmv))
    }
}
