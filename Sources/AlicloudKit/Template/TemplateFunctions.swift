/// Packer's template functions and the Go builtins, each with the phases it is allowed in.
enum TemplateFunctions {
    /// Every function name the engine knows (for "not defined" and suggestions).
    static let packerNames = [
        "user", "env", "timestamp", "isotime", "strftime", "uuid", "build_name", "build_type", "template_dir", "pwd",
        "split", "replace", "replace_all", "lower", "upper", "clean_resource_name", "packer_version", "build", "sed",
        "consul_key", "vault", "aws_secretsmanager",
    ]
    static let builtinNames = [
        "and", "or", "not", "len", "index", "slice", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        "html", "js", "urlquery", "call",
    ]

    static func call(_ name: String, _ args: [TemplateValue], _ scope: TemplateScope) throws(TemplateFailure) -> TemplateValue {
        func want(_ n: Int) throws(TemplateFailure) {
            if args.count != n { throw TemplateFailure("wrong number of arguments for \(name): want \(n), got \(args.count)") }
        }
        func string(_ k: Int) throws(TemplateFailure) -> String {
            guard case .string(let s) = args[k] else {
                throw TemplateFailure("\(name): argument \(k + 1) must be a string, got \(args[k].typeName) \(args[k].text)")
            }
            return s
        }
        func int(_ k: Int) throws(TemplateFailure) -> Int {
            guard case .int(let n) = args[k] else {
                throw TemplateFailure("\(name): argument \(k + 1) must be an integer, got \(args[k].typeName) \(args[k].text)")
            }
            return n
        }
        func pluginOnly() throws(TemplateFailure) {
            switch scope.phase {
            case .builder, .provisioner, .postProcessor: return
            default: throw TemplateFailure("\(name) is not available in \(scope.phase.name)")
            }
        }
        switch name {
        case "user":
            try want(1)
            return .string(try scope.user(try string(0)))
        case "env":
            try want(1)
            guard scope.phase == .variables else {
                throw TemplateFailure("env is only allowed in the \"variables\" section (give the value to a variable and use {{user `name`}})")
            }
            return .string(scope.environment[try string(0)] ?? "")
        case "timestamp":
            try want(0)
            return .string(scope.clock.issue(String(scope.clock.seconds)))
        case "isotime":
            if args.count > 1 { throw TemplateFailure("isotime takes at most one layout, got \(args.count) arguments") }
            let layout = args.isEmpty ? "2006-01-02T15:04:05Z07:00" : try string(0)
            return .string(scope.clock.issue(TimeFormat.goLayout(layout, scope.clock.utc)))
        case "strftime":
            try want(1)
            return .string(scope.clock.issue(try TimeFormat.strftime(try string(0), scope.clock.utc)))
        case "uuid":
            try want(0)
            return .string(scope.clock.uuid())
        case "build_name":
            try want(0)
            try pluginOnly()
            return .string(scope.buildName ?? "")
        case "build_type":
            try want(0)
            try pluginOnly()
            return .string(scope.buildType ?? "")
        case "packer_version":
            try want(0)
            try pluginOnly()
            return .string(emulatedPackerVersion)
        case "template_dir":
            try want(0)
            return .string(scope.templateDir)
        case "pwd":
            try want(0)
            return .string(scope.pwd)
        case "split":
            try want(3)
            let s = try string(0), sep = try string(1), n = try int(2)
            let parts = goSplit(s, sep)
            guard n >= 0, n < parts.count else {
                throw TemplateFailure("split: there is no part \(n) of \"\(s)\" split at \"\(sep)\" (only \(parts.count) parts)")
            }
            return .string(parts[n])
        case "replace":
            try want(4)
            return .string(goReplace(try string(3), try string(0), try string(1), try int(2)))
        case "replace_all":
            try want(3)
            return .string(goReplace(try string(2), try string(0), try string(1), -1))
        case "lower":
            try want(1)
            return .string(simpleCase(try string(0), upper: false))
        case "upper":
            try want(1)
            return .string(simpleCase(try string(0), upper: true))
        case "clean_resource_name":
            try want(1)
            guard scope.phase == .builder else { throw TemplateFailure("function \"clean_resource_name\" not defined in \(scope.phase.name) (only in builder settings)") }
            return .string(cleanResourceName(try string(0)))
        case "build":
            try want(1)
            let key = try string(0)
            switch scope.phase {
            case .provisioner, .postProcessor:
                guard TemplateEngine.buildDataNames.contains(key) else {
                    throw TemplateFailure("build: unknown build value \"\(key)\" (known: \(TemplateEngine.buildDataNames.sorted().joined(separator: ", ")))")
                }
                return .string("{{.\(key)}}")
            default:
                throw TemplateFailure("build values are only available in provisioner and post-processor settings, not in \(scope.phase.name)")
            }
        case "sed":
            throw TemplateFailure("sed is deprecated (as in Packer): use replace or replace_all")
        case "consul_key", "vault", "aws_secretsmanager":
            throw TemplateFailure("\(name) is not supported: tmpl-render never calls external services; pass the value with -var or -var-file")
        default:
            return try builtin(name, args)
        }
    }

    static func builtin(_ name: String, _ args: [TemplateValue]) throws(TemplateFailure) -> TemplateValue {
        switch name {
        case "and":
            guard !args.isEmpty else { throw TemplateFailure("and needs at least one argument") }
            return args.first { !$0.truth } ?? args.last!
        case "or":
            guard !args.isEmpty else { throw TemplateFailure("or needs at least one argument") }
            return args.first { $0.truth } ?? args.last!
        case "not":
            guard args.count == 1 else { throw TemplateFailure("wrong number of arguments for not: want 1, got \(args.count)") }
            return .bool(!args[0].truth)
        case "len":
            guard args.count == 1 else { throw TemplateFailure("wrong number of arguments for len: want 1, got \(args.count)") }
            guard case .string(let s) = args[0] else { throw TemplateFailure("len of type \(args[0].typeName)") }
            return .int(s.utf8.count)
        case "index":
            guard let first = args.first else { throw TemplateFailure("index needs at least one argument") }
            if args.count == 1 { return first }
            guard case .string(let s) = first else { throw TemplateFailure("can't index item of type \(first.typeName)") }
            guard args.count == 2, case .int(let k) = args[1] else { throw TemplateFailure("index of a string takes one integer index") }
            let bytes = Array(s.utf8)
            guard k >= 0, k < bytes.count else { throw TemplateFailure("index out of range: \(k)") }
            return .int(Int(bytes[k]))
        case "slice":
            guard case .string(let s)? = args.first else { throw TemplateFailure("slice needs a string") }
            let bytes = Array(s.utf8)
            var bounds: [Int] = []
            for a in args.dropFirst() {
                guard case .int(let k) = a else { throw TemplateFailure("slice indexes must be integers") }
                bounds.append(k)
            }
            guard bounds.count <= 2 else { throw TemplateFailure("too many slice indexes: \(bounds.count)") }
            let lo = bounds.first ?? 0, hi = bounds.count > 1 ? bounds[1] : bytes.count
            guard lo >= 0, hi <= bytes.count, lo <= hi else { throw TemplateFailure("slice indexes out of range: \(lo):\(hi)") }
            return .string(String(decoding: bytes[lo..<hi], as: UTF8.self))
        case "print":
            var out = ""
            for (k, a) in args.enumerated() {
                if k > 0, !a.isString, !args[k - 1].isString { out += " " }
                out += a.text
            }
            return .string(out)
        case "println":
            return .string(args.map(\.text).joined(separator: " ") + "\n")
        case "printf":
            guard case .string(let format)? = args.first else { throw TemplateFailure("printf needs a format string") }
            return .string(GoFormat.sprintf(format, Array(args.dropFirst())))
        case "eq", "ne", "lt", "le", "gt", "ge":
            guard args.count >= 2 else { throw TemplateFailure("\(name) needs two arguments") }
            if name == "eq" {
                for other in args.dropFirst() where try compare(args[0], other) == 0 { return .bool(true) }
                return .bool(false)
            }
            guard args.count == 2 else { throw TemplateFailure("\(name) takes two arguments") }
            let c = try compare(args[0], args[1])
            switch name {
            case "ne": return .bool(c != 0)
            case "lt": return .bool(c < 0)
            case "le": return .bool(c <= 0)
            case "gt": return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case "html":
            var out = ""
            for ch in args.map(\.text).joined().unicodeScalars {
                switch ch {
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "&": out += "&amp;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                case "\u{0}": out += "\u{FFFD}"
                default: out.unicodeScalars.append(ch)
                }
            }
            return .string(out)
        case "js":
            var out = ""
            for ch in args.map(\.text).joined().unicodeScalars {
                switch ch {
                case "\\": out += "\\\\"
                case "'": out += "\\'"
                case "\"": out += "\\\""
                case "<": out += "\\u003C"
                case ">": out += "\\u003E"
                case "&": out += "\\u0026"
                case "=": out += "\\u003D"
                default:
                    if ch.value < 0x20 {
                        let hex = String(ch.value, radix: 16, uppercase: true)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    } else {
                        out.unicodeScalars.append(ch)
                    }
                }
            }
            return .string(out)
        case "urlquery":
            var out = ""
            for b in args.map(\.text).joined().utf8 {
                switch b {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                    UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                    out.unicodeScalars.append(UnicodeScalar(b))
                case UInt8(ascii: " "): out += "+"
                default:
                    let hex = String(b, radix: 16, uppercase: true)
                    out += "%" + (hex.count == 1 ? "0" : "") + hex
                }
            }
            return .string(out)
        case "call":
            throw TemplateFailure("call is not supported (there are no function values)")
        default:
            var message = "function \"\(name)\" not defined"
            if let s = Suggest.closest(name, in: packerNames + builtinNames) { message += " (did you mean \"\(s)\"?)" }
            throw TemplateFailure(message)
        }
    }

    static func compare(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateFailure) -> Int {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y ? 0 : (Array(x.utf8).lexicographicallyPrecedes(Array(y.utf8)) ? -1 : 1)
        case (.int(let x), .int(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.float(let x), .float(let y)): return x == y ? 0 : (x < y ? -1 : 1)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : 1
        default: throw TemplateFailure("incompatible types for comparison: \(a.typeName) and \(b.typeName)")
        }
    }

    /// Go's `strings.Split`, byte for byte: an empty separator splits into code points, and
    /// "\n" splits "\r\n" (which Swift holds as one Character) as Go does.
    static func goSplit(_ s: String, _ sep: String) -> [String] {
        if sep.isEmpty { return s.unicodeScalars.map { String($0) } }
        let bytes = Array(s.utf8), pattern = Array(sep.utf8)
        var parts: [String] = []
        var start = 0, i = 0
        while i + pattern.count <= bytes.count {
            if bytes[i..<(i + pattern.count)].elementsEqual(pattern) {
                parts.append(String(decoding: bytes[start..<i], as: UTF8.self))
                i += pattern.count
                start = i
            } else {
                i += 1
            }
        }
        parts.append(String(decoding: bytes[start...], as: UTF8.self))
        return parts
    }

    /// Go's `strings.Replace(s, old, new, n)`; n < 0 replaces all.
    static func goReplace(_ s: String, _ old: String, _ new: String, _ n: Int) -> String {
        if n == 0 || old == new { return s }
        var out = ""
        var count = 0
        if old.isEmpty {
            // Inserts `new` before each character and at the end, up to n times.
            for ch in s {
                if n < 0 || count < n { out += new; count += 1 }
                out.append(ch)
            }
            if n < 0 || count < n { out += new }
            return out
        }
        var rest = Substring(s)
        while n < 0 || count < n, let r = rest.rangeOfText(old) {
            out += rest[..<r.lowerBound]
            out += new
            rest = rest[r.upperBound...]
            count += 1
        }
        return out + rest
    }

    /// Go's per-rune `unicode.ToUpper`/`ToLower`: a character whose full mapping is longer
    /// than one scalar (ß → SS) is kept as it is.
    static func simpleCase(_ s: String, upper: Bool) -> String {
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            if scalar.isASCII {
                let v = scalar.value
                if upper, (0x61...0x7A).contains(v) { out.append(UnicodeScalar(v - 32)!); continue }
                if !upper, (0x41...0x5A).contains(v) { out.append(UnicodeScalar(v + 32)!); continue }
                out.append(scalar)
                continue
            }
            let mapped = upper ? scalar.properties.uppercaseMapping : scalar.properties.lowercaseMapping
            let scalars = mapped.unicodeScalars
            if scalars.count == 1 { out.append(scalars.first!) } else { out.append(scalar) }
        }
        return String(out)
    }

    /// `clean_resource_name` for Alibaba Cloud names: every character other than ASCII
    /// letters, digits, `.`, `_`, `-` and `:` becomes `-` (ECS image names allow these).
    static func cleanResourceName(_ s: String) -> String {
        String(String.UnicodeScalarView(s.unicodeScalars.map { c -> UnicodeScalar in
            switch c {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", ":": return c
            default: return "-"
            }
        }))
    }
}

/// A subset of Go's `fmt.Sprintf`: verbs v s q d x X o b c f F e E g G t and %%, with flags,
/// width and precision.
enum GoFormat {
    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var out = ""
        let f = Array(format)
        var i = 0
        var argIndex = 0
        while i < f.count {
            let c = f[i]
            guard c == "%" else { out.append(c); i += 1; continue }
            i += 1
            guard i < f.count else { out += "%!(NOVERB)"; break }
            var minus = false, plus = false, zero = false, space = false, sharp = false
            while i < f.count, "-+0 #".contains(f[i]) {
                switch f[i] {
                case "-": minus = true
                case "+": plus = true
                case "0": zero = true
                case " ": space = true
                default: sharp = true
                }
                i += 1
            }
            var width: Int?
            var precision: Int?
            var digits = ""
            while i < f.count, f[i].isASCII, f[i].isNumber { digits.append(f[i]); i += 1 }
            if !digits.isEmpty { width = Int(digits) }
            if i < f.count, f[i] == "." {
                i += 1
                var p = ""
                while i < f.count, f[i].isASCII, f[i].isNumber { p.append(f[i]); i += 1 }
                precision = Int(p) ?? 0
            }
            guard i < f.count else { out += "%!(NOVERB)"; break }
            let verb = f[i]
            i += 1
            if verb == "%" { out += "%"; continue }
            guard argIndex < args.count else { out += "%!\(verb)(MISSING)"; continue }
            let arg = args[argIndex]
            argIndex += 1
            var body: String
            var numeric = false
            switch (verb, arg) {
            case ("v", _), ("s", .string):
                body = arg.text
                if verb == "s" || arg.isString, let precision { body = String(body.prefix(precision)) }
                if case .int = arg { numeric = true }
                if case .float = arg { numeric = true }
            case ("q", .string(let s)): body = quote(s)
            case ("t", .bool(let b)): body = b ? "true" : "false"
            case ("d", .int(let n)): body = String(abs(n)); numeric = true; body = sign(n < 0, plus, space) + body
            case ("x", .int(let n)), ("X", .int(let n)), ("o", .int(let n)), ("b", .int(let n)):
                let radix = verb == "o" ? 8 : (verb == "b" ? 2 : 16)
                body = String(abs(n), radix: radix, uppercase: verb == "X")
                if sharp { body = (verb == "o" ? "0" : (verb == "b" ? "0b" : (verb == "X" ? "0X" : "0x"))) + body }
                body = sign(n < 0, plus, space) + body
                numeric = true
            case ("x", .string(let s)), ("X", .string(let s)):
                body = s.utf8.map { b in
                    let h = String(b, radix: 16, uppercase: verb == "X")
                    return h.count == 1 ? "0" + h : h
                }.joined()
            case ("c", .int(let n)): body = UnicodeScalar(UInt32(max(0, n))).map { String(Character($0)) } ?? "\u{FFFD}"
            case ("f", _), ("F", _), ("e", _), ("E", _), ("g", _), ("G", _):
                let d: Double
                switch arg {
                case .float(let x): d = x
                default: out += "%!\(verb)(\(arg.typeName)=\(arg.text))"; continue
                }
                body = formatFloat(d, verb: verb, precision: precision, plus: plus, space: space)
                numeric = true
            default:
                out += "%!\(verb)(\(arg.typeName)=\(arg.text))"
                continue
            }
            if let width, body.count < width {
                let padCount = width - body.count
                if minus {
                    body += String(repeating: " ", count: padCount)
                } else if zero && numeric {
                    var signPart = ""
                    if let first = body.first, first == "-" || first == "+" || first == " " { signPart = String(first); body.removeFirst() }
                    body = signPart + String(repeating: "0", count: padCount) + body
                } else {
                    body = String(repeating: " ", count: padCount) + body
                }
            }
            out += body
        }
        if argIndex < args.count {
            out += "%!(EXTRA " + args[argIndex...].map { "\($0.typeName)=\($0.text)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    static func sign(_ negative: Bool, _ plus: Bool, _ space: Bool) -> String {
        negative ? "-" : (plus ? "+" : (space ? " " : ""))
    }

    static func formatFloat(_ d: Double, verb: Character, precision: Int?, plus: Bool, space: Bool) -> String {
        let s: String
        switch verb {
        case "f", "F":
            s = fixed(abs(d), precision ?? 6)
        case "e", "E":
            s = scientific(abs(d), precision ?? 6, upper: verb == "E")
        default:
            s = precision == nil ? TemplateValue.goFloat(abs(d)) : scientific(abs(d), max(0, (precision ?? 1) - 1), upper: verb == "G")
        }
        return sign(d < 0, plus, space) + s
    }

    static func fixed(_ d: Double, _ precision: Int) -> String {
        var scale = 1.0
        for _ in 0..<precision { scale *= 10 }
        let scaled = (d * scale).rounded()
        let whole = (scaled / scale).rounded(.down)
        let fraction = scaled - whole * scale
        if precision == 0 { return String(Int64(scaled)) }
        let f = String(Int64(fraction))
        return "\(Int64(whole)).\(String(repeating: "0", count: max(0, precision - f.count)))\(f)"
    }

    static func scientific(_ d: Double, _ precision: Int, upper: Bool) -> String {
        var exp = 0
        var m = d
        if m != 0 {
            while m >= 10 { m /= 10; exp += 1 }
            while m < 1 { m *= 10; exp -= 1 }
        }
        var mant = fixed(m, precision)
        if mant.hasPrefix("10") { mant = fixed(m / 10, precision); exp += 1 }
        let e = abs(exp) < 10 ? "0\(abs(exp))" : "\(abs(exp))"
        return "\(mant)\(upper ? "E" : "e")\(exp < 0 ? "-" : "+")\(e)"
    }

    /// Go's `strconv.Quote`.
    static func quote(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\u{07}": out += "\\a"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{0B}": out += "\\v"
            default:
                if ch.value < 0x20 || ch.value == 0x7F {
                    let h = String(ch.value, radix: 16)
                    out += "\\x" + (h.count == 1 ? "0" : "") + h
                } else {
                    out.unicodeScalars.append(ch)
                }
            }
        }
        return out + "\""
    }
}

/// "Did you mean" suggestions by edit distance.
public enum Suggest {
    /// The closest candidate within a small edit distance, or nil.
    public static func closest(_ word: String, in candidates: [String]) -> String? {
        let limit = max(1, min(3, word.count / 3))
        var best: (String, Int)?
        for c in candidates.sorted() {
            let d = distance(word, c)
            if d <= limit, best == nil || d < best!.1 { best = (c, d) }
        }
        return best?.0
    }

    /// Levenshtein distance (with adjacent transpositions counted as one edit).
    public static func distance(_ a: String, _ b: String) -> Int {
        let x = Array(a), y = Array(b)
        if x.isEmpty { return y.count }
        if y.isEmpty { return x.count }
        var d = Array(repeating: Array(repeating: 0, count: y.count + 1), count: x.count + 1)
        for i in 0...x.count { d[i][0] = i }
        for j in 0...y.count { d[0][j] = j }
        for i in 1...x.count {
            for j in 1...y.count {
                let cost = x[i - 1] == y[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, x[i - 1] == y[j - 2], x[i - 2] == y[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[x.count][y.count]
    }
}
