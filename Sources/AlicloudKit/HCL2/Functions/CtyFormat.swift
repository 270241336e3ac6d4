/// cty's `format` and `formatlist`: Go's fmt verbs over HCL values, where `%v` prints
/// strings and numbers as they are and anything else as JSON, `%#v` is always JSON, `%q`
/// is a JSON string, arguments convert to the verb's type (`%d` of "12" is 12), and
/// `%[n]` picks an argument. Width and precision count characters (grapheme clusters).
enum CtyFormat {
    /// One `%` verb as parsed from the format string.
    struct Verb {
        var raw = "%"
        var offset = 0
        var minus = false, plus = false, zero = false, space = false, sharp = false
        var width: Int?
        var precision: Int?
        var argNumber = 0
        var mode: Character = "v"
    }

    /// `format(spec, args...)`.
    static func format(_ spec: String, _ args: [HCLValue]) throws(HCLFunctionError) -> String {
        var highest = 0
        let out = try render(spec, args, highest: &highest)
        if highest < args.count {
            let firstBad = highest + 1
            if highest == 0 { throw HCLFunctionError(argument: firstBad, "too many arguments; no verbs in format string") }
            throw HCLFunctionError(argument: firstBad, "too many arguments; only \(highest) used by format string")
        }
        return out
    }

    /// `formatlist(spec, args...)`: lists and tuples are iterated together (all of one
    /// length), other arguments repeat; the result is a list of strings.
    static func formatList(_ spec: String, _ args: [HCLValue]) throws(HCLFunctionError) -> HCLValue {
        var length = -1, chooser = -1
        for (i, arg) in args.enumerated() {
            switch arg {
            case .list(let e, _), .set(let e, _), .tuple(let e):
                // cty counts the format string as argument 1.
                if length == -1 { length = e.count; chooser = i } else if e.count != length {
                    throw HCLFunctionError(argument: i + 1, "argument \(i + 2) has length \(e.count), which is inconsistent with argument \(chooser + 2) of length \(length)")
                }
            default: break
            }
        }
        if length == 0 { return .list([], .string) }
        var out: [HCLValue] = []
        for k in 0..<max(length, 1) {
            let row = args.map { arg -> HCLValue in
                switch arg {
                case .list(let e, _), .set(let e, _), .tuple(let e): return e[k]
                default: return arg
                }
            }
            var highest = 0
            do { out.append(.string(try render(spec, row, highest: &highest))) } catch {
                throw HCLFunctionError("error on format iteration \(k): \(error.message)")
            }
        }
        return .list(out, .string)
    }

    /// Renders the format string; `highest` is the highest argument number used.
    static func render(_ spec: String, _ args: [HCLValue], highest: inout Int) throws(HCLFunctionError) -> String {
        let chars = Array(spec)
        var byteOffsets: [Int] = []
        var o = 0
        for c in chars { byteOffsets.append(o); o += c.utf8.count }
        var out = ""
        var i = 0
        var nextArg = 1
        while i < chars.count {
            let c = chars[i]
            guard c == "%" else { out.append(c); i += 1; continue }
            if i + 1 < chars.count, chars[i + 1] == "%" { out += "%"; i += 2; continue }
            var v = Verb()
            v.offset = byteOffsets[i]
            i += 1
            func take() -> Character? {
                guard i < chars.count else { return nil }
                v.raw.append(chars[i]); i += 1
                return chars[i - 1]
            }
            func number() -> Int? {
                var d = ""
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { d.append(chars[i]); v.raw.append(chars[i]); i += 1 }
                return d.isEmpty ? nil : Int(d)
            }
            while i < chars.count, "-+0 #".contains(chars[i]) {
                switch take()! {
                case "-": v.minus = true
                case "+": v.plus = true
                case "0": v.zero = true
                case " ": v.space = true
                default: v.sharp = true
                }
            }
            v.width = number()
            if i < chars.count, chars[i] == "." { _ = take(); v.precision = number() ?? 0 }
            var argNumber = nextArg
            if i < chars.count, chars[i] == "[" {
                _ = take()
                guard let n = number(), i < chars.count, chars[i] == "]" else {
                    throw HCLFunctionError(argument: 0, "invalid value for \"format\" parameter: invalid format string starting at offset \(v.offset)")
                }
                _ = take()
                argNumber = n
            }
            guard let mode = take() else {
                throw HCLFunctionError(argument: 0, "invalid value for \"format\" parameter: invalid format string starting at offset \(v.offset)")
            }
            guard mode.isLetter else {
                throw HCLFunctionError(argument: 0, "invalid value for \"format\" parameter: unrecognized format character \(GoFormat.quote(String(mode)).replacingText("\"", with: "'")) at offset \(byteOffsets[i - 1])")
            }
            v.mode = mode
            v.argNumber = argNumber
            nextArg = argNumber + 1
            highest = max(highest, argNumber)
            out += try append(v, args)
        }
        return out
    }

    /// cty's "unsupported value" error for a verb.
    static func fail(_ v: Verb, _ why: String) -> HCLFunctionError {
        HCLFunctionError("unsupported value for \(GoFormat.quote(v.raw)) at \(v.offset): \(why)")
    }

    /// One verb's text.
    static func append(_ v: Verb, _ args: [HCLValue]) throws(HCLFunctionError) -> String {
        guard v.argNumber >= 1, v.argNumber <= args.count else {
            throw HCLFunctionError("not enough arguments for \(GoFormat.quote(v.raw)) at \(v.offset): need index \(v.argNumber) but have \(args.count) total")
        }
        let arg = args[v.argNumber - 1]
        if v.mode != "v", arg.isNull { throw fail(v, "null value cannot be formatted") }
        // Go's fmt directive without cty's argument index, for the numeric verbs.
        var goDirective = "%"
        if v.minus { goDirective += "-" }
        if v.plus { goDirective += "+" }
        if v.zero { goDirective += "0" }
        if v.space { goDirective += " " }
        if v.sharp { goDirective += "#" }
        if let w = v.width { goDirective += String(w) }
        if let p = v.precision { goDirective += "." + String(p) }
        goDirective.append(v.mode)
        switch v.mode {
        case "v":
            if !v.sharp {
                if case .string(let s) = arg { return pad(v, s) }
                if case .number(let d) = arg { return pad(v, TemplateValue.goFloat(d)) }
            }
            return pad(v, arg.ctyJSON)
        case "t":
            guard case .bool(let b) = try convert(v, arg, .bool) else { return "" }
            return b ? "true" : "false"
        case "b", "d", "o", "x", "X":
            let d = try convert(v, arg, .number).argNumber
            guard d.isFinite, d == d.rounded(), abs(d) < 9.0e18 else { throw fail(v, "an integer is required") }
            return GoFormat.sprintf(goDirective, [.int(Int(d))])
        case "e", "E", "f", "g", "G":
            let text = GoFormat.sprintf(goDirective, [.float(try convert(v, arg, .number).argNumber)])
            // Go's %G writes its exponent as E (the shared formatter's shortest form does not).
            return v.mode == "G" ? text.replacingText("e", with: "E") : text
        case "s", "q":
            var s = try convert(v, arg, .string).argString
            if let p = v.precision, p > 0 { s = String(s.prefix(p)) }
            return pad(v, v.mode == "s" ? s : HCLValue.string(s).ctyJSON)
        default:
            throw HCLFunctionError("unsupported format verb \(GoFormat.quote(String(v.mode)).replacingText("\"", with: "'")) in \(GoFormat.quote(v.raw)) at offset \(v.offset)")
        }
    }

    /// The argument converted to the verb's type, or the verb's error.
    static func convert(_ v: Verb, _ arg: HCLValue, _ type: HCLType) throws(HCLFunctionError) -> HCLValue {
        do { return try arg.converted(to: type) } catch { throw fail(v, error.description) }
    }

    /// Pads to the verb's width with spaces (zeros with `0`), on the right with `-`.
    static func pad(_ v: Verb, _ s: String) -> String {
        guard let w = v.width, s.count < w else { return s }
        let fill = String(repeating: v.zero ? "0" : " ", count: w - s.count)
        return v.minus ? s + fill : fill + s
    }
}
