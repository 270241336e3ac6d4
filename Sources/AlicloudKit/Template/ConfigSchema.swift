import FoundationEssentials

/// The type of one configuration key, and how Packer's weak decoding converts into it.
indirect enum FieldKind: Sendable {
    /// A string (numbers and booleans are converted, as Packer does: `true` → "1").
    case string
    /// A boolean (`"true"`, `"1"`, `"false"`... as Go's ParseBool; numbers: non-zero).
    case bool
    /// A boolean that may also be unset (null).
    case trilean
    /// An integer (`"5985"` is converted).
    case int
    /// A Go duration (`"5m"`), output as seconds.
    case duration
    /// A list of strings (a string is split at commas).
    case stringList
    /// A list of integers (`"0,3"` is split at commas).
    case intList
    /// An object of string values.
    case stringMap
    /// A string from a fixed set.
    case choice([String])
    /// A nested object.
    case object(ConfigSchema)
    /// A list of nested objects.
    case objectList(ConfigSchema)
    /// A local file path, output absolute (relative paths are from the current directory).
    case localPath
    /// A list of local file paths.
    case localPathList
}

/// One key of a builder, provisioner or post-processor configuration.
struct ConfigField: Sendable {
    var name: String
    var kind: FieldKind
    /// The value when the key is absent (null when nil).
    var defaultValue: JSONValue?
    /// Environment variables consulted, in order, when the key is absent or empty.
    var env: [String] = []
    /// A credential or password: its plan path is listed in "sensitive".
    var sensitive = false
    /// When set, the key is accepted but does nothing, as in Packer: this warning is printed if it is given.
    var ignored: String?
    /// When set, Packer acts on the key but this toolkit does not: a warning (or, with
    /// `refused`, an error) saying so is printed if it is given.
    var unsupported: String?
    /// An unsupported key whose absence would change where or how the build connects: an error.
    var refused = false
    /// Keys Packer leaves unrendered at prepare time (rendered at run time).
    var rendered = true

    init(_ name: String, _ kind: FieldKind, _ defaultValue: JSONValue? = nil, env: [String] = [], sensitive: Bool = false,
         ignored: String? = nil, unsupported: String? = nil, refused: Bool = false, rendered: Bool = true) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.env = env
        self.sensitive = sensitive
        self.ignored = ignored
        self.unsupported = unsupported
        self.refused = refused
        self.rendered = rendered
    }
}

/// The keys of one configuration object.
struct ConfigSchema: Sendable {
    let fields: [String: ConfigField]
    let order: [String]

    init(_ list: [ConfigField]) {
        var fields: [String: ConfigField] = [:]
        for f in list { fields[f.name] = f }
        self.fields = fields
        self.order = list.map(\.name)
    }

    func merging(_ other: ConfigSchema) -> ConfigSchema {
        ConfigSchema(order.map { fields[$0]! } + other.order.filter { fields[$0] == nil }.map { other.fields[$0]! })
    }

    var sensitiveKeys: Set<String> { Set(fields.values.filter(\.sensitive).map(\.name)) }
    var unrenderedKeys: Set<String> { Set(fields.values.filter { !$0.rendered }.map(\.name)) }
}

/// Converts rendered JSON into the final types of a schema, reporting every problem.
struct ConfigDecoder {
    let sink: DiagnosticSink
    let environment: [String: String]
    let pwd: String

    /// Decodes `object` (already rendered). `source(key)` gives the JSON path of a key for
    /// messages and positions; `owner` names the object for unknown-key messages.
    func decode(_ object: [String: JSONValue], schema: ConfigSchema, owner: String, source: (String) -> String,
                extraKeys: Set<String> = [], ignoredKeys: [String: String] = [:]) -> [String: JSONValue] {
        var out: [String: JSONValue] = [:]
        for key in object.keys.sorted() where schema.fields[key] == nil && !extraKeys.contains(key) {
            if let why = ignoredKeys[key] {
                sink.warning(source(key), "\"\(key)\" is accepted but ignored: \(why)", context: owner)
                continue
            }
            if key.hasPrefix("packer_") {
                sink.warning(source(key), "\"\(key)\" is set by Packer itself and is ignored here", context: owner)
                continue
            }
            var message = "unknown key \"\(key)\""
            if let s = Suggest.closest(key, in: schema.order) { message += " (did you mean \"\(s)\"?)" }
            sink.error(source(key), message, context: owner)
        }
        for name in schema.order {
            let field = schema.fields[name]!
            let path = source(name)
            var raw = object[name]
            if let r = raw, r.isNull { raw = nil }
            if let why = field.ignored, raw != nil {
                sink.warning(path, "accepted but ignored: \(why)")
            }
            if let why = field.unsupported, raw != nil {
                if field.refused {
                    sink.error(path, "\"\(name)\" is not supported by this toolkit: \(why)")
                } else {
                    sink.warning(path, "\"\(name)\" is not supported by this toolkit and has no effect: \(why)")
                }
            }
            if field.env.isEmpty == false, raw == nil || raw == .string("") {
                if let found = field.env.lazy.compactMap({ environment[$0] }).first(where: { !$0.isEmpty }) {
                    raw = .string(found)
                }
            }
            guard let value = raw else {
                out[name] = field.defaultValue ?? .null
                continue
            }
            if let converted = convert(value, field.kind, path) { out[name] = converted } else { out[name] = field.defaultValue ?? .null }
        }
        return out
    }

    /// Converts one value; reports and returns nil when it cannot.
    func convert(_ value: JSONValue, _ kind: FieldKind, _ path: String) -> JSONValue? {
        func bad(_ expected: String) -> JSONValue? {
            sink.error(path, "expected \(expected), got \(describe(value))")
            return nil
        }
        switch kind {
        case .string:
            guard let s = weakString(value) else { return bad("a string") }
            return .string(s)
        case .bool, .trilean:
            guard let b = weakBool(value) else { return bad("a boolean (true or false)") }
            return .bool(b)
        case .int:
            guard let n = weakInt(value) else { return bad("an integer") }
            return .int(n)
        case .duration:
            if case .number(let n) = value {
                sink.error(path, "expected a duration with a unit such as \"\(n)s\" or \"5m\", got the number \(n) (Packer would read it as \(n) nanoseconds)")
                return nil
            }
            guard case .string(let s) = value else { return bad("a duration such as \"5m\"") }
            guard let seconds = parseGoDuration(s) else { return bad("a duration such as \"30s\", \"5m\" or \"1h30m\"") }
            guard seconds >= 0 else { return bad("a duration that is not negative") }
            return .double(seconds)
        case .stringList:
            guard let list = weakList(value) else { return bad("a list of strings") }
            var out: [JSONValue] = []
            for (k, item) in list.enumerated() {
                guard let s = weakString(item) else {
                    sink.error("\(path)[\(k)]", "expected a string, got \(describe(item))")
                    continue
                }
                out.append(.string(s))
            }
            return .array(out)
        case .intList:
            guard let list = weakList(value) else { return bad("a list of integers") }
            var out: [JSONValue] = []
            for (k, item) in list.enumerated() {
                guard let n = weakInt(item) else {
                    sink.error("\(path)[\(k)]", "expected an integer, got \(describe(item))")
                    continue
                }
                out.append(.int(n))
            }
            return .array(out)
        case .stringMap:
            guard case .object(let o) = value else { return bad("an object of strings") }
            var out: [String: JSONValue] = [:]
            for (k, v) in o {
                if v.isNull { out[k] = .string(""); continue }
                guard let s = weakString(v) else {
                    sink.error("\(path).\(k)", "expected a string, got \(describe(v))")
                    continue
                }
                out[k] = .string(s)
            }
            return .object(out)
        case .choice(let options):
            guard let s = weakString(value) else { return bad("one of \(options.joined(separator: ", "))") }
            guard options.contains(s) else {
                var message = "must be one of \(options.map { "\"\($0)\"" }.joined(separator: ", ")), not \"\(s)\""
                if let near = options.first(where: { $0.lowercased() == s.lowercased() }) ?? Suggest.closest(s, in: options) {
                    message += " (did you mean \"\(near)\"?)"
                }
                sink.error(path, message)
                return nil
            }
            return .string(s)
        case .object(let schema):
            guard case .object(let o) = value else { return bad("an object") }
            return .object(decode(o, schema: schema, owner: path, source: { "\(path).\($0)" }))
        case .objectList(let schema):
            guard case .array(let items) = value else { return bad("a list of objects") }
            var out: [JSONValue] = []
            for (k, item) in items.enumerated() {
                guard case .object(let o) = item else {
                    sink.error("\(path)[\(k)]", "expected an object, got \(describe(item))")
                    continue
                }
                out.append(.object(decode(o, schema: schema, owner: "\(path)[\(k)]", source: { "\(path)[\(k)].\($0)" })))
            }
            return .array(out)
        case .localPath:
            guard let s = weakString(value) else { return bad("a file path") }
            return s.isEmpty ? .null : .string(absolute(s))
        case .localPathList:
            guard let list = weakList(value) else { return bad("a list of file paths") }
            var out: [JSONValue] = []
            for (k, item) in list.enumerated() {
                guard let s = weakString(item) else {
                    sink.error("\(path)[\(k)]", "expected a file path, got \(describe(item))")
                    continue
                }
                out.append(.string(absolute(s)))
            }
            return .array(out)
        }
    }

    /// A path made absolute against the current directory (a trailing slash is kept).
    func absolute(_ path: String) -> String { ConfigDecoder.absolute(path, pwd: pwd) }

    static func absolute(_ path: String, pwd: String) -> String {
        if path.isEmpty { return path }
        let expanded = path.hasPrefix("~/") ? (ProcessEnvironment.value("HOME") ?? "/") + path.dropFirst(1) : path
        let joined = expanded.hasPrefix("/") ? expanded : (pwd.hasSuffix("/") ? pwd : pwd + "/") + expanded
        var parts: [Substring] = []
        for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        var result = "/" + parts.joined(separator: "/")
        if path.hasSuffix("/"), result != "/" { result += "/" }
        return result
    }
}

/// Shows a value in a message (strings quoted, long ones shortened).
func describe(_ value: JSONValue) -> String {
    switch value {
    case .string(let s):
        let short = s.count > 60 ? String(s.prefix(57)) + "..." : s
        return "\"\(short)\""
    case .number(let n): return "the number \(n)"
    case .bool(let b): return "the boolean \(b)"
    case .null: return "null"
    case .array: return "an array"
    case .object: return "an object"
    }
}

/// Go's `strconv.ParseBool`.
func parseGoBool(_ s: String) -> Bool? {
    switch s {
    case "1", "t", "T", "TRUE", "true", "True": return true
    case "0", "f", "F", "FALSE", "false", "False": return false
    default: return nil
    }
}

func weakString(_ v: JSONValue) -> String? {
    switch v {
    case .string(let s): return s
    case .number(let n): return n
    case .bool(let b): return b ? "1" : "0"
    default: return nil
    }
}

func weakBool(_ v: JSONValue) -> Bool? {
    switch v {
    case .bool(let b): return b
    case .string(let s): return s.isEmpty ? false : parseGoBool(s)
    case .number: return v.doubleValue.map { $0 != 0 }
    default: return nil
    }
}

func weakInt(_ v: JSONValue) -> Int? {
    switch v {
    case .number: return v.intValue
    case .bool(let b): return b ? 1 : 0
    case .string(let s):
        if s.isEmpty { return 0 }
        var t = Substring(s)
        var negative = false
        if t.hasPrefix("-") { negative = true; t = t.dropFirst() } else if t.hasPrefix("+") { t = t.dropFirst() }
        let n: Int?
        if t.hasPrefix("0x") || t.hasPrefix("0X") { n = Int(t.dropFirst(2), radix: 16) }
        else if t.count > 1, t.hasPrefix("0") { n = Int(t.dropFirst(), radix: 8) }
        else { n = Int(t) }
        return n.map { negative ? -$0 : $0 }
    default: return nil
    }
}

func weakList(_ v: JSONValue) -> [JSONValue]? {
    switch v {
    case .array(let a): return a
    case .string(let s): return s.isEmpty ? [] : s.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0)) }
    case .number, .bool: return [v]
    default: return nil
    }
}
