import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

extension HCLFunctions {
    /// abs, ceil, floor, log, max, min, parseint, pow, signum (cty's stdlib).
    static let numeric: [String: HCLFunction] = [
        "abs": HCLFunction([HCLParameter("num", .number)]) { a, _ in .number(abs(a[0].argNumber)) },
        "ceil": HCLFunction([HCLParameter("num", .number)]) { a, _ in .number(a[0].argNumber.rounded(.up)) },
        "floor": HCLFunction([HCLParameter("num", .number)]) { a, _ in .number(a[0].argNumber.rounded(.down)) },
        "log": HCLFunction([HCLParameter("num", .number), HCLParameter("base", .number)]) { a, _ in
            .number(Glibc.log(a[0].argNumber) / Glibc.log(a[1].argNumber))
        },
        "pow": HCLFunction([HCLParameter("num", .number), HCLParameter("power", .number)]) { a, _ in
            .number(Glibc.pow(a[0].argNumber, a[1].argNumber))
        },
        "signum": HCLFunction([HCLParameter("num", .number)]) { a, _ in
            let d = a[0].argNumber
            return .number(d > 0 ? 1 : (d < 0 ? -1 : 0))
        },
        "max": HCLFunction([], variadic: HCLParameter("numbers", .number)) { a, _ throws(HCLFunctionError) in
            guard !a.isEmpty else { throw HCLFunctionError("must pass at least one number") }
            return .number(a.map(\.argNumber).max()!)
        },
        "min": HCLFunction([], variadic: HCLParameter("numbers", .number)) { a, _ throws(HCLFunctionError) in
            guard !a.isEmpty else { throw HCLFunctionError("must pass at least one number") }
            return .number(a.map(\.argNumber).min()!)
        },
        "parseint": HCLFunction([HCLParameter("number", .dynamic), HCLParameter("base", .number)]) { a, _ throws(HCLFunctionError) in
            guard case .string(let text) = a[0] else {
                throw .invalid(0, "number", "first argument must be a string, not \(a[0].type.friendlyName)")
            }
            let base = try HCLArgs.whole(a[1], 1, "base")
            guard (2...62).contains(base) else { throw .invalid(1, "base", "base must be a whole number between 2 and 62 inclusive") }
            guard let n = parseInteger(text, base: base) else {
                throw .invalid(0, "number", "cannot parse \(GoFormat.quote(text)) as a base \(base) integer")
            }
            return .number(n)
        },
    ]

    /// Go's `big.Int.SetString(s, base)`: an optional sign, then digits 0-9, a-z, A-Z (for
    /// bases up to 36 letters are case-insensitive; above, upper case is 36-61); `_` is not
    /// allowed with an explicit base.
    static func parseInteger(_ text: String, base: Int) -> Double? {
        var s = Substring(text)
        var negative = false
        if let f = s.first, f == "+" || f == "-" { negative = f == "-"; s = s.dropFirst() }
        guard !s.isEmpty else { return nil }
        var value = 0.0
        for u in s.unicodeScalars {
            let v: Int
            switch u {
            case "0"..."9": v = Int(u.value) - 48
            case "a"..."z": v = Int(u.value) - 97 + 10
            case "A"..."Z": v = base <= 36 ? Int(u.value) - 65 + 10 : Int(u.value) - 65 + 36
            default: return nil
            }
            guard v < base else { return nil }
            value = value * Double(base) + Double(v)
        }
        return negative ? -value : value
    }
}
