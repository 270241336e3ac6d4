/// A type of HCL's type system (go-cty's): primitives, collections of one element type,
/// structural types, and `any`.
public indirect enum HCLType: Hashable, Sendable, CustomStringConvertible {
    case string
    case number
    case bool
    /// An ordered sequence of one element type.
    case list(HCLType)
    /// An unordered collection of distinct values of one element type.
    case set(HCLType)
    /// String keys to values of one element type.
    case map(HCLType)
    /// Named attributes, each of its own type.
    case object([String: HCLType])
    /// A fixed sequence, each element of its own type.
    case tuple([HCLType])
    /// `any`: the type is decided by the value (cty's DynamicPseudoType).
    case dynamic

    /// The type as HCL's type-constraint syntax writes it: `list(string)`, `object({a=number})`.
    public var description: String {
        switch self {
        case .string: return "string"
        case .number: return "number"
        case .bool: return "bool"
        case .list(let e): return "list(\(e))"
        case .set(let e): return "set(\(e))"
        case .map(let e): return "map(\(e))"
        case .object(let a): return "object({" + a.keys.sorted().map { "\($0)=\(a[$0]!)" }.joined(separator: ",") + "})"
        case .tuple(let t): return "tuple([" + t.map(\.description).joined(separator: ",") + "])"
        case .dynamic: return "any"
        }
    }

    /// The type as cty's messages name it ("string", "list of string", "object").
    public var friendlyName: String {
        switch self {
        case .string, .number, .bool: return description
        case .list(let e): return e == .dynamic ? "list" : "list of \(e.friendlyName)"
        case .set(let e): return e == .dynamic ? "set" : "set of \(e.friendlyName)"
        case .map(let e): return e == .dynamic ? "map" : "map of \(e.friendlyName)"
        case .object: return "object"
        case .tuple: return "tuple"
        case .dynamic: return "dynamic value"
        }
    }

    /// Whether this is string, number or bool.
    public var isPrimitive: Bool {
        switch self {
        case .string, .number, .bool: return true
        default: return false
        }
    }

    /// The element type of a list, set or map.
    public var elementType: HCLType? {
        switch self {
        case .list(let e), .set(let e), .map(let e): return e
        default: return nil
        }
    }

    /// Whether `any` appears anywhere in the type (a constraint, not a concrete type).
    public var hasDynamic: Bool {
        switch self {
        case .dynamic: return true
        case .list(let e), .set(let e), .map(let e): return e.hasDynamic
        case .object(let a): return a.values.contains { $0.hasDynamic }
        case .tuple(let t): return t.contains { $0.hasDynamic }
        default: return false
        }
    }
}

/// A value of an HCL expression, as go-cty models it. Numbers are Doubles (enough for
/// templates; integral values print without a fraction). Collections carry their element
/// type so that empty ones stay typed; sets keep their elements distinct and sorted.
public enum HCLValue: Hashable, Sendable {
    /// A null of the given type (`null` itself is a null of `any`).
    case null(HCLType)
    case bool(Bool)
    case number(Double)
    case string(String)
    /// Elements, and their one type.
    case list([HCLValue], HCLType)
    /// Distinct elements (see `HCLValue.set(_:of:)`), and their one type.
    case set([HCLValue], HCLType)
    /// String keys to values of one type.
    case map([String: HCLValue], HCLType)
    /// A fixed sequence of values of any types (`[a, b]` in HCL).
    case tuple([HCLValue])
    /// Named attributes of any types (`{a = 1}` in HCL).
    case object([String: HCLValue])

    /// The `null` literal.
    public static let nullValue = HCLValue.null(.dynamic)

    /// A set of `elements` (duplicates removed, sorted as cty orders sets).
    public static func set(_ elements: [HCLValue], of type: HCLType) -> HCLValue {
        var seen: [HCLValue] = []
        for e in elements where !seen.contains(e) { seen.append(e) }
        return .set(seen.sorted(by: HCLValue.setOrder), type)
    }

    /// cty's set order: strings and numbers by value, other values by their text.
    static func setOrder(_ a: HCLValue, _ b: HCLValue) -> Bool {
        switch (a, b) {
        case (.number(let x), .number(let y)): return x < y
        case (.string(let x), .string(let y)): return x < y
        case (.bool(let x), .bool(let y)): return !x && y
        default: return a.debugText < b.debugText
        }
    }

    /// The value's type.
    public var type: HCLType {
        switch self {
        case .null(let t): return t
        case .bool: return .bool
        case .number: return .number
        case .string: return .string
        case .list(_, let e): return .list(e)
        case .set(_, let e): return .set(e)
        case .map(_, let e): return .map(e)
        case .tuple(let items): return .tuple(items.map(\.type))
        case .object(let attrs): return .object(attrs.mapValues(\.type))
        }
    }

    /// Whether this is a null.
    public var isNull: Bool { if case .null = self { return true }; return false }

    /// The string, if this is a string.
    public var stringValue: String? { if case .string(let s) = self { return s }; return nil }

    /// The elements of a list, set or tuple.
    public var elements: [HCLValue]? {
        switch self {
        case .list(let e, _), .set(let e, _), .tuple(let e): return e
        default: return nil
        }
    }

    /// The members of a map or object.
    public var members: [String: HCLValue]? {
        switch self {
        case .map(let m, _), .object(let m): return m
        default: return nil
        }
    }

    /// A number as cty turns it into a string (big.Float's `Text('f', -1)`): plain decimal
    /// digits and never an exponent (`3`, `-0.25`, `1000000000000000000000`, `0.0000001`),
    /// the fewest digits that read back as the same number; infinities are `+Inf` and `-Inf`.
    public static func numberText(_ d: Double) -> String {
        if d.isInfinite { return d < 0 ? "-Inf" : "+Inf" }
        if d.isNaN { return "NaN" }
        if d == d.rounded(), abs(d) < 1e18 { return String(Int64(d)) }
        return plainDecimal(d.description)
    }

    /// Swift's shortest digits (`1.5e-07`, `-2.5e+20`, `0.1`) written out without an exponent.
    static func plainDecimal(_ shortest: String) -> String {
        var text = Substring(shortest)
        var sign = ""
        if text.hasPrefix("-") {
            sign = "-"
            text = text.dropFirst()
        }
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        var digits = text.filter { $0 != "." }
        // Where the decimal point falls in `digits`.
        var point = (text.firstIndex(of: ".").map { text.distance(from: text.startIndex, to: $0) } ?? text.count) + exponent
        while digits.count > 1, digits.hasPrefix("0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.count > max(point, 1), digits.hasSuffix("0") { digits.removeLast() }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        return sign + digits.prefix(point) + "." + digits.dropFirst(point)
    }

    /// A compact HCL-like rendering for messages and set ordering (not for output).
    public var debugText: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return HCLValue.numberText(d)
        case .string(let s): return "\"\(s)\""
        case .list(let e, _), .set(let e, _), .tuple(let e): return "[" + e.map(\.debugText).joined(separator: ", ") + "]"
        case .map(let m, _), .object(let m):
            return "{" + m.keys.sorted().map { "\($0) = \(m[$0]!.debugText)" }.joined(separator: ", ") + "}"
        }
    }

    /// The value as JSON: numbers as numbers, every sequence an array, every map or object
    /// an object, nulls null (the plan builder's input, shared with JSON templates).
    public var json: JSONValue {
        switch self {
        case .null: return .null
        case .bool(let b): return .bool(b)
        // Infinities have no JSON number: their text, for the plan builder to refuse.
        case .number(let d): return d.isFinite ? .double(d) : .string(HCLValue.numberText(d))
        case .string(let s): return .string(s)
        case .list(let e, _), .set(let e, _), .tuple(let e): return .array(e.map(\.json))
        case .map(let m, _), .object(let m): return .object(m.mapValues(\.json))
        }
    }

    /// A JSON value as HCL sees it (`jsondecode`, `.pkr.json` files): arrays are tuples,
    /// objects are objects.
    public init(json: JSONValue) {
        switch json {
        case .null: self = .nullValue
        case .bool(let b): self = .bool(b)
        case .number(let n): self = .number(Double(n) ?? 0)
        case .string(let s): self = .string(s)
        case .array(let a): self = .tuple(a.map { HCLValue(json: $0) })
        case .object(let o): self = .object(o.mapValues { HCLValue(json: $0) })
        }
    }
}
