#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Something `snap-wait` can wait for, and how to read its state from the API.
public enum WaitTarget: Sendable, Equatable {
    /// An image until `Available` (fails on `CreateFailed`/`UnAvailable`), with every
    /// snapshot of it at 100%.
    case image(String)
    /// Snapshots until each is `accomplished` at 100% (fails on `failed`).
    case snapshots([String])
    /// An instance until it has `status` (`Deleted` = until it no longer exists).
    case instance(String, status: String)
    /// A VPC until it has `status`.
    case vpc(String, status: String)
    /// A VSwitch until it has `status`.
    case vswitch(String, status: String)
    /// An EIP (by AllocationId) until it has `status`.
    case eip(String, status: String)

    /// What a person calls it in messages: `image m-abc`.
    public var label: String {
        switch self {
        case .image(let id): return "image \(id)"
        case .snapshots(let ids): return ids.count == 1 ? "snapshot \(ids[0])" : "snapshots \(ids.joined(separator: ","))"
        case .instance(let id, _): return "instance \(id)"
        case .vpc(let id, _): return "vpc \(id)"
        case .vswitch(let id, _): return "vswitch \(id)"
        case .eip(let id, _): return "eip \(id)"
        }
    }

    /// The describe call that reads the target's state: product, action, parameters.
    public func describeCall(region: String) -> (product: String, action: String, params: [String: String]) {
        func jsonArray(_ ids: [String]) -> String {
            JSONValue.array(ids.map { .string($0) }).serialized(pretty: false)
        }
        switch self {
        case .image(let id):
            return ("ecs", "DescribeImages", ["RegionId": region, "ImageId": id,
                "Status": "Creating,Waiting,Available,UnAvailable,CreateFailed"])
        case .snapshots(let ids):
            return ("ecs", "DescribeSnapshots", ["RegionId": region, "SnapshotIds": jsonArray(ids), "PageSize": "100"])
        case .instance(let id, _):
            return ("ecs", "DescribeInstances", ["RegionId": region, "InstanceIds": jsonArray([id])])
        case .vpc(let id, _):
            return ("vpc", "DescribeVpcs", ["RegionId": region, "VpcId": id])
        case .vswitch(let id, _):
            return ("vpc", "DescribeVSwitches", ["RegionId": region, "VSwitchId": id])
        case .eip(let id, _):
            return ("vpc", "DescribeEipAddresses", ["RegionId": region, "AllocationId": id])
        }
    }

    /// Reads one describe response: the state now.
    public func evaluate(_ response: JSONValue) -> WaitState {
        func list(_ outer: String, _ inner: String) -> [JSONValue] { response[outer]?[inner]?.arrayValue ?? [] }
        func percent(_ v: JSONValue?) -> Int? {
            guard let s = v?.stringValue ?? v?.rawText, !s.isEmpty else { return nil }
            return Int(s.replacingText("%", with: ""))
        }
        switch self {
        case .image(let id):
            guard let image = list("Images", "Image").first(where: { $0["ImageId"]?.stringValue == id }) else { return .missing }
            let status = image["Status"]?.stringValue ?? ""
            let progress = percent(image["Progress"])
            let mappings = image["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue ?? []
            switch status {
            case "Available" where progress == nil || progress == 100: return .done(image, status: status)
            case "CreateFailed", "UnAvailable": return .failed(image, status: status)
            default: return .pending(status: status, progress: progress, remain: WaitTarget.remainTime(mappings))
            }
        case .snapshots(let ids):
            let found = list("Snapshots", "Snapshot")
            var pending: [String] = []
            var lowest = 100
            for id in ids {
                guard let snap = found.first(where: { $0["SnapshotId"]?.stringValue == id }) else { return .missing }
                let status = snap["Status"]?.stringValue ?? ""
                if status == "failed" { return .failed(snap, status: "failed") }
                let p = percent(snap["Progress"]) ?? 0
                lowest = min(lowest, p)
                if status != "accomplished" || p < 100 { pending.append(status) }
            }
            let mine = found.filter { ids.contains($0["SnapshotId"]?.stringValue ?? "") }
            if pending.isEmpty { return .done(["Snapshots": .array(mine)], status: "accomplished") }
            return .pending(status: pending.first ?? "progressing", progress: lowest, remain: WaitTarget.remainTime(mine))
        case .instance(let id, let want):
            guard let inst = list("Instances", "Instance").first(where: { $0["InstanceId"]?.stringValue == id }) else {
                return want == "Deleted" ? .done(["InstanceId": .string(id), "Status": "Deleted"], status: "Deleted") : .missing
            }
            let status = inst["Status"]?.stringValue ?? ""
            return status == want ? .done(inst, status: status) : .pending(status: status, progress: nil)
        case .vpc(let id, let want), .vswitch(let id, let want), .eip(let id, let want):
            let (outer, inner, key): (String, String, String) = {
                switch self {
                case .vpc: return ("Vpcs", "Vpc", "VpcId")
                case .vswitch: return ("VSwitches", "VSwitch", "VSwitchId")
                default: return ("EipAddresses", "EipAddress", "AllocationId")
                }
            }()
            guard let item = list(outer, inner).first(where: { $0[key]?.stringValue == id }) else {
                return want == "Deleted" ? .done([key: .string(id), "Status": "Deleted"], status: "Deleted") : .missing
            }
            let status = item["Status"]?.stringValue ?? ""
            return status == want ? .done(item, status: status) : .pending(status: status, progress: nil)
        }
    }
}

extension WaitTarget {
    /// The API's own estimate of the seconds left (`RemainTime` of snapshots or of an
    /// image's disk mappings): the longest one, or nil when none is given or all say 0.
    static func remainTime(_ items: [JSONValue]) -> Double? {
        let remains = items.compactMap { $0["RemainTime"]?.doubleValue }.filter { $0 > 0 }
        return remains.max()
    }
}

/// The state of a wait target at one poll.
public enum WaitState: Sendable, Equatable {
    /// Reached: the resource as last described.
    case done(JSONValue, status: String)
    /// Not yet; `progress` in percent where the API reports it.
    case pending(status: String, progress: Int?, remain: Double? = nil)
    /// A terminal failure state.
    case failed(JSONValue, status: String)
    /// The resource does not (yet) exist.
    case missing
}

/// Adaptive polling: every half second at first, then half the time waited so far, up to a
/// cap — a short wait ends within a second of readiness, a long one costs few calls (each
/// poll is at most a third of the whole wait late). Where the API estimates the time left
/// (`RemainTime` of snapshots and images), the next poll is made when it says, up to
/// `hintCap`.
public struct PollSchedule: Sendable {
    /// The pause before the first poll, in seconds: a resource that was just asked to
    /// change is never there at once, so the caller may skip a poll that cannot succeed.
    public var delay: Double = 0
    /// The first interval, in seconds.
    public var first: Double = 0.5
    /// The longest interval without an estimate, in seconds.
    public var cap: Double = 10
    /// The longest interval when the API estimates the time left, in seconds.
    public var hintCap: Double = 60
    /// Makes a schedule.
    public init(delay: Double = 0, first: Double = 0.5, cap: Double = 10, hintCap: Double = 60) {
        self.delay = delay
        self.first = first
        self.cap = cap
        self.hintCap = hintCap
    }
    /// The pause before the next poll, after `elapsed` seconds of waiting, given the API's
    /// estimate of the seconds left, if any.
    public func interval(afterWaiting elapsed: Double, remain: Double? = nil) -> Double {
        if let remain, remain > 0 { return min(hintCap, max(first, remain)) }
        return min(cap, max(first, elapsed / 2))
    }
}

/// Polls a target until it is done, failed, or the timeout passes.
public struct Waiter {
    /// Reads the target's state once (one API call).
    public typealias Describe = (_ product: String, _ action: String, _ params: [String: String]) throws -> JSONValue

    let target: WaitTarget
    let region: String
    let timeout: Double
    let schedule: PollSchedule
    /// How long a resource may be missing before that is an error (eventual consistency).
    let missingGrace: Double
    let describe: Describe
    let progress: ((String) -> Void)?
    let clock: () -> Double
    let sleep: (Double) -> Void

    /// Makes a waiter; `clock` and `sleep` are injectable for tests.
    public init(target: WaitTarget, region: String, timeout: Double, schedule: PollSchedule = PollSchedule(),
                missingGrace: Double = 30, describe: @escaping Describe, progress: ((String) -> Void)? = nil,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 },
                sleep: @escaping (Double) -> Void = { sleepSeconds($0) }) {
        self.target = target
        self.region = region
        self.timeout = timeout
        self.schedule = schedule
        self.missingGrace = missingGrace
        self.describe = describe
        self.progress = progress
        self.clock = clock
        self.sleep = sleep
    }

    /// Waits; returns the final description. Timeout: exit 75 naming the last state; a
    /// failure state: exit 1; throttling after the client's own retries only slows polling.
    public func run() throws -> (value: JSONValue, polls: Int) {
        let start = clock()
        let call = target.describeCall(region: region)
        var polls = 0
        var last = "unknown"
        var missingSince: Double?
        var slowdown = 1.0
        var hint: Double?
        if schedule.delay > 0 { sleep(min(schedule.delay, timeout)) }
        while true {
            polls += 1
            var state: WaitState?
            do {
                state = target.evaluate(try describe(call.product, call.action, call.params))
                slowdown = 1
            } catch let error as ToolError where error.status == .tempFail {
                slowdown = min(slowdown * 2, 8)
                last = "throttled"
            }
            let now = clock() - start
            switch state {
            case .done(let value, _)?:
                return (value, polls)
            case .failed(_, let status)?:
                throw ToolError.failed("\(target.label): \(status)")
            case .missing?:
                if missingSince == nil { missingSince = now }
                if now - missingSince! >= missingGrace {
                    throw ToolError.failed("\(target.label): not found")
                }
                last = "not found"
            case .pending(let status, let pct, let remain)?:
                missingSince = nil
                hint = remain
                last = pct.map { "\(status) \($0)%" } ?? status
            case nil:
                break
            }
            progress?("\(target.label): \(last) (\(Int(now))s)")
            if now >= timeout {
                throw ToolError(.tempFail, "\(target.label): timed out after \(Int(timeout))s (last: \(last))")
            }
            let pause = min(schedule.interval(afterWaiting: now, remain: hint) * slowdown, max(0, timeout - now))
            hint = nil
            sleep(pause)
        }
    }
}
