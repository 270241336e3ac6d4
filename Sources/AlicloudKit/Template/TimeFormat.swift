/// Time formatting as Packer's `isotime` (Go reference layouts) and `strftime` (C-style,
/// lestrrat-go/strftime) do it, always in UTC.
enum TimeFormat {
    static let longDays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    static let longMonths = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]

    static func pad(_ v: Int, _ width: Int, _ fill: Character = "0") -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: fill, count: width - s.count) + s
    }

    /// Formats `t` with a Go layout such as `2006-01-02T15:04:05Z07:00`.
    static func goLayout(_ layout: String, _ t: CivilTime) -> String {
        let l = Array(layout.utf8)
        var out = ""
        var i = 0
        func has(_ s: String, at j: Int) -> Bool {
            let u = Array(s.utf8)
            return j + u.count <= l.count && Array(l[j..<j + u.count]) == u
        }
        func isDigit(_ j: Int) -> Bool { j < l.count && l[j] >= 0x30 && l[j] <= 0x39 }
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        while i < l.count {
            let c = l[i]
            var emitted: String?
            var width = 0
            switch c {
            case UInt8(ascii: "J"):
                if has("January", at: i) { emitted = longMonths[t.month - 1]; width = 7 }
                else if has("Jan", at: i) { emitted = String(longMonths[t.month - 1].prefix(3)); width = 3 }
            case UInt8(ascii: "M"):
                if has("Monday", at: i) { emitted = longDays[t.weekday]; width = 6 }
                else if has("Mon", at: i) { emitted = String(longDays[t.weekday].prefix(3)); width = 3 }
                else if has("MST", at: i) { emitted = "UTC"; width = 3 }
            case UInt8(ascii: "0"):
                if has("002", at: i) { emitted = pad(t.yearDay, 3); width = 3 }
                else if i + 1 < l.count, (UInt8(ascii: "1")...UInt8(ascii: "6")).contains(l[i + 1]) {
                    width = 2
                    switch l[i + 1] {
                    case UInt8(ascii: "1"): emitted = pad(t.month, 2)
                    case UInt8(ascii: "2"): emitted = pad(t.day, 2)
                    case UInt8(ascii: "3"): emitted = pad(hour12, 2)
                    case UInt8(ascii: "4"): emitted = pad(t.minute, 2)
                    case UInt8(ascii: "5"): emitted = pad(t.second, 2)
                    default: emitted = pad(t.year % 100, 2)
                    }
                }
            case UInt8(ascii: "1"):
                if has("15", at: i) { emitted = pad(t.hour, 2); width = 2 } else { emitted = String(t.month); width = 1 }
            case UInt8(ascii: "2"):
                if has("2006", at: i) { emitted = pad(t.year, 4); width = 4 } else { emitted = String(t.day); width = 1 }
            case UInt8(ascii: "_"):
                if has("_2", at: i) {
                    if has("_2006", at: i) { emitted = "_" + pad(t.year, 4); width = 5 }
                    else { emitted = pad(t.day, 2, " "); width = 2 }
                } else if has("__2", at: i) { emitted = pad(t.yearDay, 3, " "); width = 3 }
            case UInt8(ascii: "3"): emitted = String(hour12); width = 1
            case UInt8(ascii: "4"): emitted = String(t.minute); width = 1
            case UInt8(ascii: "5"): emitted = String(t.second); width = 1
            case UInt8(ascii: "P"): if has("PM", at: i) { emitted = t.hour >= 12 ? "PM" : "AM"; width = 2 }
            case UInt8(ascii: "p"): if has("pm", at: i) { emitted = t.hour >= 12 ? "pm" : "am"; width = 2 }
            case UInt8(ascii: "-"):
                for (form, text) in [("-070000", "+000000"), ("-07:00:00", "+00:00:00"), ("-0700", "+0000"), ("-07:00", "+00:00"), ("-07", "+00")] where has(form, at: i) {
                    emitted = text; width = form.utf8.count; break
                }
            case UInt8(ascii: "Z"):
                for form in ["Z070000", "Z07:00:00", "Z0700", "Z07:00", "Z07"] where has(form, at: i) {
                    emitted = "Z"; width = form.utf8.count; break
                }
            case UInt8(ascii: "."), UInt8(ascii: ","):
                if i + 1 < l.count, l[i + 1] == UInt8(ascii: "0") || l[i + 1] == UInt8(ascii: "9") {
                    let ch = l[i + 1]
                    var j = i + 1
                    while j < l.count, l[j] == ch { j += 1 }
                    if !isDigit(j) {
                        let digits = j - i - 1
                        var frac = pad(t.nanosecond, 9)
                        frac = String(frac.prefix(digits))
                        if ch == UInt8(ascii: "9") {
                            while frac.hasSuffix("0") { frac.removeLast() }
                            emitted = frac.isEmpty ? "" : String(UnicodeScalar(c)) + frac
                        } else {
                            emitted = String(UnicodeScalar(c)) + frac
                        }
                        width = j - i
                    }
                }
            default: break
            }
            if let emitted {
                out += emitted
                i += width
            } else {
                // Copy one UTF-8 character through unchanged.
                var j = i + 1
                while j < l.count, l[j] & 0xC0 == 0x80 { j += 1 }
                out += String(decoding: l[i..<j], as: UTF8.self)
                i = j
            }
        }
        return out
    }

    /// Formats `t` with a C-style format (`%Y-%m-%d %H`); an unknown specifier is an error.
    static func strftime(_ format: String, _ t: CivilTime) throws(TemplateFailure) -> String {
        var out = ""
        var it = format.makeIterator()
        let hour12 = t.hour % 12 == 0 ? 12 : t.hour % 12
        let mondayBased = (t.weekday + 6) % 7
        while let c = it.next() {
            guard c == "%" else { out.append(c); continue }
            guard let spec = it.next() else { throw TemplateFailure("strftime: the format ends with a lone '%'") }
            switch spec {
            case "A": out += longDays[t.weekday]
            case "a": out += longDays[t.weekday].prefix(3)
            case "B": out += longMonths[t.month - 1]
            case "b", "h": out += longMonths[t.month - 1].prefix(3)
            case "C": out += pad(t.year / 100, 2)
            case "c": out += "\(longDays[t.weekday].prefix(3)) \(longMonths[t.month - 1].prefix(3)) \(pad(t.day, 2, " ")) \(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)) \(t.year)"
            case "D": out += "\(pad(t.month, 2))/\(pad(t.day, 2))/\(pad(t.year % 100, 2))"
            case "d": out += pad(t.day, 2)
            case "e": out += pad(t.day, 2, " ")
            case "F": out += "\(pad(t.year, 4))-\(pad(t.month, 2))-\(pad(t.day, 2))"
            case "H": out += pad(t.hour, 2)
            case "I": out += pad(hour12, 2)
            case "j": out += pad(t.yearDay, 3)
            case "k": out += pad(t.hour, 2, " ")
            case "l": out += pad(hour12, 2, " ")
            case "M": out += pad(t.minute, 2)
            case "m": out += pad(t.month, 2)
            case "n": out += "\n"
            case "p": out += t.hour >= 12 ? "PM" : "AM"
            case "R": out += "\(pad(t.hour, 2)):\(pad(t.minute, 2))"
            case "r": out += "\(pad(hour12, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2)) \(t.hour >= 12 ? "PM" : "AM")"
            case "S": out += pad(t.second, 2)
            case "T", "X": out += "\(pad(t.hour, 2)):\(pad(t.minute, 2)):\(pad(t.second, 2))"
            case "t": out += "\t"
            case "U": out += pad((t.yearDay - 1 + 7 - t.weekday) / 7, 2)
            case "u": out += String(mondayBased + 1)
            case "V": out += pad(isoWeek(t), 2)
            case "v": out += "\(pad(t.day, 2, " "))-\(longMonths[t.month - 1].prefix(3))-\(t.year)"
            case "W": out += pad((t.yearDay - 1 + 7 - mondayBased) / 7, 2)
            case "w": out += String(t.weekday)
            case "x": out += "\(pad(t.month, 2))/\(pad(t.day, 2))/\(pad(t.year % 100, 2))"
            case "Y": out += String(t.year)
            case "y": out += pad(t.year % 100, 2)
            case "Z": out += "UTC"
            case "z": out += "+0000"
            case "%": out += "%"
            default: throw TemplateFailure("strftime: unknown specification %\(spec)")
            }
        }
        return out
    }

    /// The ISO 8601 week number.
    static func isoWeek(_ t: CivilTime) -> Int {
        let wd = (t.weekday + 6) % 7 + 1  // 1 = Monday
        let week = (t.yearDay - wd + 10) / 7
        func weeksIn(_ year: Int) -> Int {
            func p(_ y: Int) -> Int { (y + y / 4 - y / 100 + y / 400) % 7 }
            return (p(year) == 4 || p(year - 1) == 3) ? 53 : 52
        }
        if week < 1 { return weeksIn(t.year - 1) }
        if week > weeksIn(t.year) { return 1 }
        return week
    }
}
