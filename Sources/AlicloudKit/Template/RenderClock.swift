#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// The one instant a render uses for `timestamp`, `isotime`, `strftime` and the time part
/// of `uuid`, plus the random source for `uuid` and Packer's random file names. With
/// `TMPL_RENDER_NOW` or `SOURCE_DATE_EPOCH` set, both are deterministic.
public final class RenderClock: @unchecked Sendable {
    /// Whole seconds since the Unix epoch (UTC).
    public let seconds: Int64
    /// Nanoseconds within the second.
    public let nanoseconds: Int64
    private var random: SplitMix64?
    /// Every value the clock handed out (see `issue`), in order.
    public private(set) var issued: [String] = []
    private var issuedSet: Set<String> = []

    /// A clock at a fixed instant; `seed` makes random values reproducible.
    public init(seconds: Int64, nanoseconds: Int64 = 0, seed: UInt64? = nil) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
        self.random = seed.map(SplitMix64.init)
    }

    /// The clock from the environment: `TMPL_RENDER_NOW` (seconds since the epoch, a
    /// fraction allowed), else `SOURCE_DATE_EPOCH` (integer seconds), else the real time.
    /// A fixed instant also seeds the random source from it.
    public static func fromEnvironment(_ environment: [String: String]) throws -> RenderClock {
        for name in ["TMPL_RENDER_NOW", "SOURCE_DATE_EPOCH"] {
            guard let raw = environment[name], !raw.isEmpty else { continue }
            guard let (s, ns) = parseEpoch(raw, allowFraction: name == "TMPL_RENDER_NOW") else {
                throw ToolError.usage("\(name): not a number of seconds since 1970: \(raw)")
            }
            return RenderClock(seconds: s, nanoseconds: ns, seed: UInt64(bitPattern: s) &* 0x9E37_79B9 &+ UInt64(ns))
        }
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return RenderClock(seconds: Int64(ts.tv_sec), nanoseconds: Int64(ts.tv_nsec))
    }

    static func parseEpoch(_ raw: String, allowFraction: Bool) -> (Int64, Int64)? {
        let parts = raw.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= (allowFraction ? 2 : 1), let s = Int64(parts[0]), s >= 0 else { return nil }
        var ns: Int64 = 0
        if parts.count == 2 {
            let frac = parts[1]
            guard !frac.isEmpty, frac.count <= 9, frac.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            ns = Int64(frac + String(repeating: "0", count: 9 - frac.count))!
        }
        return (s, ns)
    }

    /// Records a value made from this clock or its random source (`timestamp`, `isotime`,
    /// `strftime`, `uuid`, Packer's random remote file names) and returns it: such values
    /// change on every render by design, and the input digest masks them in names and
    /// descriptions (InputDigest).
    @discardableResult
    public func issue(_ value: String) -> String {
        if !value.isEmpty && issuedSet.insert(value).inserted { issued.append(value) }
        return value
    }

    /// A random 64-bit value (seeded when the clock is fixed).
    public func next() -> UInt64 {
        if random != nil { return random!.next() }
        var g = SystemRandomNumberGenerator()
        return g.next()
    }

    /// A random integer in 0..<bound.
    public func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }

    /// Packer's time-ordered "uuid": 8 hex digits of Unix time, then 24 random hex digits,
    /// formatted `%08x-%04x-%04x-%04x-%04x%08x` (not RFC 4122).
    public func uuid() -> String {
        let a = next(), b = next()
        func hex(_ v: UInt64, _ width: Int) -> String {
            let s = String(v, radix: 16)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let t = UInt64(UInt32(truncatingIfNeeded: seconds))
        return issue("\(hex(t, 8))-\(hex(a & 0xFFFF, 4))-\(hex((a >> 16) & 0xFFFF, 4))-\(hex((a >> 32) & 0xFFFF, 4))-\(hex((a >> 48) & 0xFFFF, 4))\(hex(b & 0xFFFF_FFFF, 8))")
    }

    /// The broken-down UTC time of the clock.
    public var utc: CivilTime { CivilTime(seconds: seconds, nanoseconds: nanoseconds) }
}

/// A small, fast, seedable generator (Steele et al.'s SplitMix64).
struct SplitMix64 {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A UTC date and time broken into fields, computed without the locale machinery.
public struct CivilTime: Sendable, Equatable {
    public var year: Int, month: Int, day: Int
    public var hour: Int, minute: Int, second: Int, nanosecond: Int
    /// 0 = Sunday.
    public var weekday: Int
    /// 1-based day of the year.
    public var yearDay: Int

    /// Breaks down a Unix time (days-from-civil, after H. Hinnant).
    public init(seconds: Int64, nanoseconds: Int64) {
        let days = Int(seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400)
        let rem = Int(seconds - Int64(days) * 86400)
        hour = rem / 3600
        minute = rem % 3600 / 60
        second = rem % 60
        nanosecond = Int(nanoseconds)
        weekday = ((days % 7) + 11) % 7  // 1970-01-01 was a Thursday
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let before = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334][month - 1]
        yearDay = before + day + (leap && month > 2 ? 1 : 0)
    }
}

/// Go's `time.ParseDuration`, returning seconds; nil when malformed.
public func parseGoDuration(_ text: String) -> Double? {
    var s = Substring(text)
    var negative = false
    if let f = s.first, f == "-" || f == "+" { negative = f == "-"; s = s.dropFirst() }
    if s == "0" { return 0 }
    if s.isEmpty { return nil }
    var total = 0.0
    let units: [(String, Double)] = [("ns", 1e-9), ("us", 1e-6), ("µs", 1e-6), ("μs", 1e-6), ("ms", 1e-3), ("s", 1), ("m", 60), ("h", 3600)]
    while !s.isEmpty {
        var number = ""
        while let c = s.first, c.isASCII, c.isNumber || c == "." { number.append(c); s = s.dropFirst() }
        guard !number.isEmpty, number != ".", number.filter({ $0 == "." }).count <= 1, let value = Double(number.hasPrefix(".") ? "0" + number : number) else { return nil }
        var unit = ""
        while let c = s.first, !(c.isASCII && (c.isNumber || c == ".")) { unit.append(c); s = s.dropFirst() }
        guard let scale = units.first(where: { $0.0 == unit })?.1 else { return nil }
        total += value * scale
    }
    return negative ? -total : total
}
