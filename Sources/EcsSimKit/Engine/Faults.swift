import FoundationEssentials
import AlicloudKit

/// A small deterministic random generator (SplitMix64), so `--seed` replays the same faults.
public struct SeededRandom: Sendable {
    private var state: UInt64

    /// A generator from a seed.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// A uniform integer in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// The fault-injection plan given by `--faults SPEC`.
///
/// Grammar (comma-separated rules):
/// - `ACTION:CODE:RATE` — answer ACTION (or `*` for every action) with error CODE: an error
///   code (`Throttling.User`, `IncorrectInstanceStatus`, `ServiceUnavailable`, ...) or an
///   HTTP status 500/502/503/504. RATE is a probability (`0.3`) or `Nx` (the first N calls:
///   a burst).
/// - `ACTION:drop:RATE` — perform ACTION, then close the connection without answering.
/// - `ACTION:delay:MS` or `ACTION:delay:MIN-MAX` — add latency (uniform jitter, milliseconds).
/// - `ssh-refuse:SECONDS` — an instance's SSH port refuses connections for SECONDS after each start.
/// - `ACTION:budget:N` — a request budget shared by every client: beyond N calls of ACTION (or of
///   all actions with `*`) in one wall-clock second, answer `Throttling.User`.
/// - `ACTION:slow:SECONDS` — the snapshots ACTION starts (CreateSnapshot, or an image's from
///   CreateImage/CopyImage) take SECONDS longer to be accomplished.
/// - `ACTION:corrupt:RATE` — perform ACTION, then mangle its answer: a missing field, a field of the
///   wrong type, truncated JSON, or an HTML 502 page (chosen by the seeded generator).
public struct FaultPlan: Sendable {
    /// What a rule does.
    public enum Effect: Sendable, Equatable {
        case error(code: String, status: Int)
        case drop
        case delay(minMs: Int, maxMs: Int)
        case budget(perSecond: Int)
        case slow(seconds: Double)
        case corrupt
    }

    /// How often a rule fires.
    public enum Rate: Sendable, Equatable {
        case probability(Double)
        case firstCalls(Int)
    }

    /// One rule.
    public struct Rule: Sendable, Equatable {
        public var action: String
        public var effect: Effect
        public var rate: Rate
    }

    /// The rules, in order.
    public var rules: [Rule] = []
    /// Seconds an instance's SSH refuses connections after each start.
    public var sshRefuseSeconds: Double = 0

    /// No faults.
    public init() {}

    /// Parses SPEC; a malformed rule is a usage error naming it.
    public init(spec: String) throws {
        for raw in spec.split(separator: ",").map({ $0.trimmingBlanks() }) where !raw.isEmpty {
            let parts = raw.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            func bad(_ why: String) -> Error { FaultSpecError(message: "--faults: \(raw): \(why)") }
            if parts[0] == "ssh-refuse" {
                guard parts.count == 2, let s = Double(parts[1]), s >= 0 else { throw bad("expected ssh-refuse:SECONDS") }
                sshRefuseSeconds = s
                continue
            }
            guard parts.count == 3, !parts[0].isEmpty else { throw bad("expected ACTION:CODE:RATE, ACTION:drop:RATE or ACTION:delay:MS[-MS]") }
            let action = parts[0]
            if parts[1] == "budget" {
                guard let n = Int(parts[2]), n >= 0 else { throw bad("budget must be a number of calls per second") }
                rules.append(Rule(action: action, effect: .budget(perSecond: n), rate: .probability(1)))
                continue
            }
            if parts[1] == "slow" {
                guard let s = Double(parts[2]), s >= 0, s.isFinite else { throw bad("slow must be a number of seconds") }
                rules.append(Rule(action: action, effect: .slow(seconds: s), rate: .probability(1)))
                continue
            }
            if parts[1] == "delay" {
                let bounds = parts[2].split(separator: "-").map { Int($0) }
                guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0 != nil && $0! >= 0 }) else { throw bad("delay must be MS or MIN-MAX") }
                let lo = bounds[0]!, hi = bounds.count == 2 ? bounds[1]! : bounds[0]!
                guard lo <= hi else { throw bad("delay MIN must not exceed MAX") }
                rules.append(Rule(action: action, effect: .delay(minMs: lo, maxMs: hi), rate: .probability(1)))
                continue
            }
            let rate: Rate
            if parts[2].hasSuffix("x"), let n = Int(parts[2].dropLast()), n >= 0 {
                rate = .firstCalls(n)
            } else if let p = Double(parts[2]), p >= 0, p <= 1 {
                rate = .probability(p)
            } else {
                throw bad("RATE must be a probability 0..1 or Nx")
            }
            if parts[1] == "drop" || parts[1] == "corrupt" {
                rules.append(Rule(action: action, effect: parts[1] == "drop" ? .drop : .corrupt, rate: rate))
                continue
            }
            guard let effect = FaultPlan.errorEffect(parts[1]) else { throw bad("unknown error code \(parts[1])") }
            rules.append(Rule(action: action, effect: effect, rate: rate))
        }
    }

    /// The error a CODE names, with the status the real endpoint uses for it.
    static func errorEffect(_ code: String) -> Effect? {
        if let status = Int(code) {
            switch status {
            case 500: return .error(code: "InternalError", status: 500)
            case 502: return .error(code: "ServiceUnavailable", status: 502)
            case 503: return .error(code: "ServiceUnavailable", status: 503)
            case 504: return .error(code: "ServiceUnavailable", status: 504)
            default: return nil
            }
        }
        guard code.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" }), code.first?.isUppercase == true else { return nil }
        switch code {
        case "InternalError", "UnknownError": return .error(code: code, status: 500)
        case "ServiceUnavailable": return .error(code: code, status: 503)
        case _ where code.hasPrefix("IncorrectInstanceStatus"), _ where code.hasPrefix("Forbidden"): return .error(code: code, status: 403)
        default: return .error(code: code, status: 400)
        }
    }
}

/// A malformed `--faults` SPEC.
public struct FaultSpecError: Error, Sendable {
    public var message: String
}

/// What the fault plan decided for one request.
public struct FaultDecision: Sendable, Equatable {
    /// Answer with this error instead of performing the action.
    public var error: CloudError?
    /// Perform the action, then drop the response.
    public var drop = false
    /// Extra latency in seconds.
    public var delay: Double = 0
    /// Extra seconds for the snapshots the action starts.
    public var slow: Double = 0
    /// Perform the action, then answer with this mangled response.
    public var corrupt: Corruption?
}

/// How a `corrupt` fault mangles a successful answer.
public enum Corruption: Int, Sendable, CaseIterable {
    case missingField, wrongType, truncated, htmlError

    /// The response that replaces `body` (a successful answer whose RequestId is `requestId`).
    public func response(for body: JSONValue, requestId: String) -> ServerResponse {
        // The first field other than RequestId, in key order (the one a caller most likely reads).
        let victim = body.objectValue.flatMap { o in o.keys.sorted().first { $0 != "RequestId" } }
        switch self {
        case .missingField:
            guard var o = body.objectValue, let k = victim else { return Corruption.truncated.response(for: body, requestId: requestId) }
            o[k] = nil
            return .json(200, JSONValue.object(o).serialized(pretty: false))
        case .wrongType:
            guard var o = body.objectValue, let k = victim else { return Corruption.truncated.response(for: body, requestId: requestId) }
            switch o[k]! {
            case .string, .null, .bool: o[k] = .array([.int(1), .object([:])])
            case .number, .array: o[k] = .string("corrupt")
            case .object: o[k] = .int(42)
            }
            return .json(200, JSONValue.object(o).serialized(pretty: false))
        case .truncated:
            let text = body.serialized(pretty: false)
            return .json(200, String(text.prefix(max(1, text.count / 2))))
        case .htmlError:
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>Tengine</center>\r\n</body>\r\n</html>\r\n"
            return ServerResponse(status: 502, headers: [("Content-Type", "text/html")], body: Array(page.utf8))
        }
    }
}

/// The fault plan's state: its random generator and per-rule call counts.
struct FaultInjector: Sendable {
    var plan: FaultPlan
    var random: SeededRandom
    var counts: [Int: Int] = [:]
    /// Per budget rule: the wall-clock second being counted and the calls seen in it.
    var windows: [Int: (second: Int, calls: Int)] = [:]

    mutating func decide(action: String, now: Double = Date().timeIntervalSince1970) -> FaultDecision {
        var decision = FaultDecision()
        for (i, rule) in plan.rules.enumerated() where rule.action == "*" || rule.action == action {
            if case .budget(let n) = rule.effect {
                let second = Int(now.rounded(.down))
                var w = windows[i] ?? (second, 0)
                if w.second != second { w = (second, 0) }
                w.calls += 1
                windows[i] = w
                if w.calls > n, decision.error == nil {
                    decision.error = CloudError("Throttling.User", "Request was denied due to user flow control.", status: 400)
                }
                continue
            }
            let fires: Bool
            switch rule.rate {
            case .firstCalls(let n):
                let seen = counts[i, default: 0]
                counts[i] = seen + 1
                fires = seen < n
            case .probability(let p):
                fires = p >= 1 || random.unit() < p
            }
            guard fires else { continue }
            switch rule.effect {
            case .error(let code, let status):
                if decision.error == nil {
                    let message = status >= 500 ? "The request processing has failed due to some unknown error, exception or failure." :
                        code.hasPrefix("Throttling") ? "Request was denied due to request throttling." :
                        "The current status of the resource does not support this operation (injected fault)."
                    decision.error = CloudError(code, message, status: status)
                }
            case .drop:
                decision.drop = true
            case .delay(let lo, let hi):
                decision.delay += Double(lo == hi ? lo : random.int(in: lo...hi)) / 1000
            case .slow(let s):
                decision.slow += s
            case .corrupt:
                if decision.corrupt == nil { decision.corrupt = Corruption.allCases[random.int(in: 0...(Corruption.allCases.count - 1))] }
            case .budget:
                break
            }
        }
        return decision
    }
}

extension Engine {
    /// A `slow` fault: the snapshots a successful answer names (SnapshotId, or the mappings of
    /// ImageId) are accomplished `seconds` later than planned. Called under the lock.
    func slowDown(_ body: JSONValue, by seconds: Double) {
        guard seconds > 0 else { return }
        var ids: [String] = []
        if let sid = body["SnapshotId"]?.stringValue { ids.append(sid) }
        if let iid = body["ImageId"]?.stringValue, let img = state.images[iid] { ids += img.mappings.map(\.snapshotId) }
        for id in ids {
            guard var s = state.snapshots[id], s.status == "progressing" else { continue }
            s.doneAt += seconds
            state.snapshots[id] = s
            dirty = true
        }
    }
}
