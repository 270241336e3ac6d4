extension HCLFunctions {
    /// formatdate, legacy_isotime, legacy_strftime, rfc3339_parse, timeadd, timestamp,
    /// unix_timestamp_parse. "Now" is the render's one clock (`TMPL_RENDER_NOW`,
    /// `SOURCE_DATE_EPOCH`), always UTC.
    static let dateTime: [String: HCLFunction] = [
        "timestamp": HCLFunction([]) { _, c in .string(RFC3339Time(seconds: c.clock.seconds).text) },
        "formatdate": HCLFunction([HCLParameter("format", .string), HCLParameter("time", .string)]) { a, _ throws(HCLFunctionError) in
            let t = try RFC3339Time.parse(a[1].argString, argument: 1)
            return .string(try t.format(a[0].argString))
        },
        "timeadd": HCLFunction([HCLParameter("timestamp", .string), HCLParameter("duration", .string)]) { a, _ throws(HCLFunctionError) in
            var t = try RFC3339Time.parse(a[0].argString, argument: 0)
            guard let d = parseGoDuration(a[1].argString) else {
                throw HCLFunctionError(argument: 1, RFC3339Time.durationProblem(a[1].argString))
            }
            let whole = d.rounded(.down)
            t.seconds += Int64(whole)
            t.nanoseconds += Int64(((d - whole) * 1e9).rounded())
            if t.nanoseconds >= 1_000_000_000 { t.seconds += 1; t.nanoseconds -= 1_000_000_000 }
            t.nanoseconds = 0  // RFC 3339 without fraction, as Go's time.RFC3339 layout prints
            return .string(t.text)
        },
        "legacy_isotime": HCLFunction([], variadic: HCLParameter("format", .string)) { a, c throws(HCLFunctionError) in
            guard a.count <= 1 else { throw HCLFunctionError("too many values, 1 needed: \(a.map(\.debugText))") }
            return .string(TimeFormat.goLayout(a.first?.argString ?? "2006-01-02T15:04:05Z07:00", c.clock.utc))
        },
        "legacy_strftime": HCLFunction([], variadic: HCLParameter("format", .string)) { a, c throws(HCLFunctionError) in
            guard a.count <= 1 else { throw HCLFunctionError("too many values, 1 needed: \(a.map(\.debugText))") }
            guard let format = a.first?.argString else { return .string(RFC3339Time(seconds: c.clock.seconds).text) }
            do throws(TemplateFailure) { return .string(try TimeFormat.strftime(format, c.clock.utc)) } catch {
                throw HCLFunctionError(argument: 0, "\(error)")
            }
        },
        "rfc3339_parse": HCLFunction([HCLParameter("timestamp", .string)]) { a, _ throws(HCLFunctionError) in
            guard let t = try? RFC3339Time.parse(a[0].argString, argument: 0, allowSpace: true) else {
                throw .invalid(0, "timestamp", "\(GoFormat.quote(a[0].argString)) is not a valid RFC3339 timestamp")
            }
            return t.fields(withRFC3339: false)
        },
        "unix_timestamp_parse": HCLFunction([HCLParameter("unix_timestamp", .number)]) { a, _ throws(HCLFunctionError) in
            let d = a[0].argNumber
            guard d.isFinite, d == d.rounded(), abs(d) < 9.2e18 else {
                throw .invalid(0, "unix_timestamp", "unix_timestamp must be a whole number of seconds representable as a 64-bit integer: value must be a whole number")
            }
            return RFC3339Time(seconds: Int64(d)).fields(withRFC3339: true)
        },
    ]
}

/// An instant with the UTC offset it was written in, as RFC 3339 text carries it.
struct RFC3339Time {
    var seconds: Int64
    var nanoseconds: Int64 = 0
    /// Seconds east of UTC.
    var offset: Int = 0

    /// The wall-clock fields in the timestamp's own offset.
    var local: CivilTime { CivilTime(seconds: seconds + Int64(offset), nanoseconds: nanoseconds) }

    /// Go's `time.RFC3339` text: `2006-01-02T15:04:05Z07:00`.
    var text: String {
        let t = local
        return "\(TimeFormat.pad(t.year, 4))-\(TimeFormat.pad(t.month, 2))-\(TimeFormat.pad(t.day, 2))T\(TimeFormat.pad(t.hour, 2)):\(TimeFormat.pad(t.minute, 2)):\(TimeFormat.pad(t.second, 2))" + zone(colon: true, z: true)
    }

    /// `Z` (when `z` and UTC) or `+hh:mm` / `+hhmm`.
    func zone(colon: Bool, z: Bool) -> String {
        if offset == 0, z { return "Z" }
        let a = abs(offset)
        return (offset < 0 ? "-" : "+") + TimeFormat.pad(a / 3600, 2) + (colon ? ":" : "") + TimeFormat.pad(a % 3600 / 60, 2)
    }

    /// Parses RFC 3339 (`T` or, for `rfc3339_parse`, a space between date and time) with
    /// cty's messages.
    static func parse(_ s: String, argument: Int, allowSpace: Bool = false) throws(HCLFunctionError) -> RFC3339Time {
        let c = Array(s.utf8)
        var i = 0
        func fail(_ why: String) -> HCLFunctionError { HCLFunctionError(argument: argument, "not a valid RFC3339 timestamp: \(why)") }
        func number(_ width: Int, _ what: String) throws(HCLFunctionError) -> Int {
            guard i < c.count else { throw fail("end of string before \(what)") }
            var v = 0
            for k in 0..<width {
                guard i + k < c.count, (48...57).contains(c[i + k]) else {
                    let end = min(c.count, i + width)
                    throw fail("cannot use \(GoFormat.quote(String(decoding: c[i..<end], as: UTF8.self))) as \(what)")
                }
                v = v * 10 + Int(c[i + k]) - 48
            }
            i += width
            return v
        }
        func literal(_ l: UInt8) throws(HCLFunctionError) {
            let ls = String(UnicodeScalar(l))
            guard i < c.count else { throw fail("end of string where \(GoFormat.quote(ls)) is expected") }
            guard c[i] == l else { throw fail("found \(GoFormat.quote(String(decoding: c[i...], as: UTF8.self))) where \(GoFormat.quote(ls)) is expected") }
            i += 1
        }
        let year = try number(4, "year")
        try literal(UInt8(ascii: "-"))
        let month = try number(2, "month")
        try literal(UInt8(ascii: "-"))
        let day = try number(2, "day of month")
        guard i < c.count, c[i] == UInt8(ascii: "T") || (allowSpace && c[i] == UInt8(ascii: " ")) else {
            throw fail("missing required time introducer 'T'")
        }
        i += 1
        let hour = try number(2, "hour")
        try literal(UInt8(ascii: ":"))
        let minute = try number(2, "minute")
        try literal(UInt8(ascii: ":"))
        let second = try number(2, "second")
        var nanos: Int64 = 0
        if i < c.count, c[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < c.count, (48...57).contains(c[i]) {
                if digits < 9 { nanos = nanos * 10 + Int64(c[i] - 48) }
                digits += 1; i += 1
            }
            for _ in digits..<max(digits, 9) { nanos *= 10 }
        }
        var offset = 0
        guard i < c.count else { throw fail("end of string before UTC offset") }
        if c[i] == UInt8(ascii: "Z") {
            i += 1
        } else if c[i] == UInt8(ascii: "+") || c[i] == UInt8(ascii: "-") {
            let sign = c[i] == UInt8(ascii: "-") ? -1 : 1
            i += 1
            let oh = try number(2, "UTC offset")
            try literal(UInt8(ascii: ":"))
            let om = try number(2, "UTC offset")
            offset = sign * (oh * 3600 + om * 60)
        } else {
            throw fail("cannot use \(GoFormat.quote(String(decoding: c[i...], as: UTF8.self))) as UTC offset")
        }
        guard i == c.count else { throw fail("extra text: \(GoFormat.quote(String(decoding: c[i...], as: UTF8.self)))") }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month) else { throw fail("month out of range") }
        guard day >= 1, day <= monthDays[month - 1] else { throw fail("day out of range") }
        guard hour < 24 else { throw fail("hour must be between 0 and 23 inclusive") }
        guard minute < 60 else { throw fail("minute out of range") }
        guard second < 60 else { throw fail("second out of range") }
        let local = Int64(daysFromCivil(year, month, day)) * 86400 + Int64(hour * 3600 + minute * 60 + second)
        return RFC3339Time(seconds: local - Int64(offset), nanoseconds: nanos, offset: offset)
    }

    /// Go's `time.ParseDuration` message for text it rejects.
    static func durationProblem(_ text: String) -> String {
        let quoted = GoFormat.quote(text)
        var s = Substring(text)
        if let f = s.first, f == "-" || f == "+" { s = s.dropFirst() }
        if s.isEmpty { return "time: invalid duration \(quoted)" }
        while !s.isEmpty {
            let digits = s.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            if digits.isEmpty || digits == "." || digits.filter({ $0 == "." }).count > 1 { return "time: invalid duration \(quoted)" }
            s = s.dropFirst(digits.count)
            let unit = s.prefix { !($0.isASCII && ($0.isNumber || $0 == ".")) }
            if unit.isEmpty { return "time: missing unit in duration \(quoted)" }
            if !["ns", "us", "µs", "μs", "ms", "s", "m", "h"].contains(String(unit)) {
                return "time: unknown unit \(GoFormat.quote(String(unit))) in duration \(quoted)"
            }
            s = s.dropFirst(unit.count)
        }
        return "time: invalid duration \(quoted)"
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Terraform's `formatdate` specification: letter runs are verbs (YYYY, MMM, DD, EEEE,
    /// hh, HH, mm, ss, aa, ZZZZZ ...), `'…'` is literal text, `''` a quote.
    func format(_ spec: String) throws(HCLFunctionError) -> String {
        let t = local
        let c = Array(spec)
        var out = ""
        var i = 0
        func bad(_ tok: String, _ why: String? = nil) -> HCLFunctionError {
            .invalid(0, "format", "invalid date format verb \(GoFormat.quote(tok))" + (why.map { ": " + $0 } ?? ""))
        }
        while i < c.count {
            let ch = c[i]
            if ch == "'" {
                if i + 1 < c.count, c[i + 1] == "'" { out += "'"; i += 2; continue }
                var j = i + 1
                var lit = ""
                var closed = false
                while j < c.count {
                    if c[j] == "'" {
                        if j + 1 < c.count, c[j + 1] == "'" { lit += "'"; j += 2; continue }
                        closed = true
                        break
                    }
                    lit.append(c[j]); j += 1
                }
                guard closed else { throw .invalid(0, "format", "unterminated literal '") }
                out += lit
                i = j + 1
                continue
            }
            guard ch.isASCII, ch.isLetter else { out.append(ch); i += 1; continue }
            var j = i
            while j < c.count, c[j] == ch { j += 1 }
            let tok = String(c[i..<j])
            let n = j - i
            i = j
            let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
            switch (ch, n) {
            case ("Y", 2): out += TimeFormat.pad(t.year % 100, 2)
            case ("Y", 4): out += TimeFormat.pad(t.year, 4)
            case ("Y", _): throw bad(tok, "year must either be \"YY\" or \"YYYY\"")
            case ("M", 1): out += String(t.month)
            case ("M", 2): out += TimeFormat.pad(t.month, 2)
            case ("M", 3): out += TimeFormat.longMonths[t.month - 1].prefix(3)
            case ("M", 4): out += TimeFormat.longMonths[t.month - 1]
            case ("M", _): throw bad(tok, "month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"")
            case ("D", 1): out += String(t.day)
            case ("D", 2): out += TimeFormat.pad(t.day, 2)
            case ("D", _): throw bad(tok, "day of month must either be \"D\" or \"DD\"")
            case ("E", 3): out += TimeFormat.longDays[t.weekday].prefix(3)
            case ("E", 4): out += TimeFormat.longDays[t.weekday]
            case ("E", _): throw bad(tok, "day of week must either be \"EEE\" or \"EEEE\"")
            case ("h", 1): out += String(t.hour)
            case ("h", 2): out += TimeFormat.pad(t.hour, 2)
            case ("h", _): throw bad(tok, "24-hour must either be \"h\" or \"hh\"")
            case ("H", 1): out += String(hour12)
            case ("H", 2): out += TimeFormat.pad(hour12, 2)
            case ("H", _): throw bad(tok, "12-hour must either be \"H\" or \"HH\"")
            case ("A", 2): out += t.hour >= 12 ? "PM" : "AM"
            case ("a", 2): out += t.hour >= 12 ? "pm" : "am"
            case ("A", _), ("a", _): throw bad(tok, "must be \"\(ch)\(ch)\"")
            case ("m", 1): out += String(t.minute)
            case ("m", 2): out += TimeFormat.pad(t.minute, 2)
            case ("m", _): throw bad(tok, "minute must either be \"m\" or \"mm\"")
            case ("s", 1): out += String(t.second)
            case ("s", 2): out += TimeFormat.pad(t.second, 2)
            case ("s", _): throw bad(tok, "second must either be \"s\" or \"ss\"")
            case ("Z", 1): out += zone(colon: true, z: true)
            case ("Z", 3): out += offset == 0 ? "UTC" : zone(colon: false, z: false)
            case ("Z", 4): out += zone(colon: false, z: false)
            case ("Z", 5): out += zone(colon: true, z: false)
            case ("Z", _): throw bad(tok, "timezone must be Z, ZZZZ, or ZZZZZ")
            default: throw bad(tok)
            }
        }
        return out
    }

    /// The object `rfc3339_parse` and `unix_timestamp_parse` return.
    func fields(withRFC3339: Bool) -> HCLValue {
        let t = local
        var o: [String: HCLValue] = [
            "year": .number(Double(t.year)), "year_day": .number(Double(t.yearDay)), "day": .number(Double(t.day)),
            "month": .number(Double(t.month)), "month_name": .string(TimeFormat.longMonths[t.month - 1]),
            "weekday": .number(Double(t.weekday)), "weekday_name": .string(TimeFormat.longDays[t.weekday]),
            "hour": .number(Double(t.hour)), "minute": .number(Double(t.minute)), "second": .number(Double(t.second)),
            "iso_year": .number(Double(RFC3339Time.isoYear(t))), "iso_week": .number(Double(TimeFormat.isoWeek(t))),
        ]
        if withRFC3339 { o["rfc3339"] = .string(text) } else { o["unix"] = .number(Double(seconds)) }
        return .object(o)
    }

    /// The ISO 8601 week-numbering year.
    static func isoYear(_ t: CivilTime) -> Int {
        let week = TimeFormat.isoWeek(t)
        if week >= 52 && t.month == 1 { return t.year - 1 }
        if week == 1 && t.month == 12 { return t.year + 1 }
        return t.year
    }
}
