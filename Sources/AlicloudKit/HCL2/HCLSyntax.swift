/// Where a piece of HCL source is: its file and the 1-based line and column of its start.
public struct HCLRange: Sendable, Equatable, CustomStringConvertible {
    /// The file as the user named it.
    public var file: String
    /// Where it starts.
    public var start: SourcePosition

    /// Makes a range.
    public init(file: String, line: Int, column: Int) {
        self.file = file
        start = SourcePosition(line: line, column: column)
    }

    /// `file:line:col`.
    public var description: String { "\(file):\(start.line):\(start.column)" }
}

/// A problem found while reading or evaluating HCL: where, and what (lowercase).
public struct HCLDiagnostic: Error, Sendable, Equatable, CustomStringConvertible {
    /// Where the problem is.
    public var range: HCLRange
    /// What is wrong.
    public var message: String

    /// Makes a diagnostic.
    public init(_ range: HCLRange, _ message: String) {
        self.range = range
        self.message = message
    }

    /// `file:line:col: message`.
    public var description: String { "\(range): \(message)" }
}

/// Binary operators, by HCL's names.
public enum HCLBinaryOperator: String, Sendable {
    case or = "||", and = "&&", equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=",
         greater = ">", greaterOrEqual = ">=", add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"

    /// Binding strength: higher binds tighter (hclsyntax/spec.md's table).
    var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .equal, .notEqual: return 3
        case .less, .lessOrEqual, .greater, .greaterOrEqual: return 4
        case .add, .subtract: return 5
        case .multiply, .divide, .modulo: return 6
        }
    }
}

/// One step of a traversal after its root: `.name`, `[key]`, or the legacy `.0`.
public indirect enum HCLTraversalStep: Sendable {
    case attribute(String, HCLRange)
    case index(HCLExpression, HCLRange)
}

/// A part of a string template: literal text, an interpolation, or a directive.
public indirect enum HCLTemplatePart: Sendable {
    case literal(String)
    case interpolation(HCLExpression)
    /// `%{ if cond }then%{ else }else%{ endif }`.
    case conditional(HCLExpression, [HCLTemplatePart], [HCLTemplatePart], HCLRange)
    /// `%{ for k, v in coll }body%{ endfor }` (key name optional).
    case loop(key: String?, value: String, HCLExpression, [HCLTemplatePart], HCLRange)
}

/// An HCL expression, each node with where it starts.
public indirect enum HCLExpression: Sendable {
    case literal(HCLValue, HCLRange)
    /// A string template (quoted or heredoc); one interpolation alone yields its value as is.
    case template([HCLTemplatePart], HCLRange)
    /// A root name (`var`, `local`, an iterator).
    case variable(String, HCLRange)
    /// An expression followed by one step.
    case traversal(HCLExpression, HCLTraversalStep)
    /// `source[*]` then `body`, where `body` reads each element through `.splatItem`.
    case splat(HCLExpression, HCLExpression, HCLRange)
    /// The element a splat's body is applied to.
    case splatItem(HCLRange)
    /// `f(args)`, the last one expanded with `...` when `expand` is set.
    case call(String, [HCLExpression], expand: Bool, HCLRange)
    case tuple([HCLExpression], HCLRange)
    case object([(key: HCLExpression, value: HCLExpression)], HCLRange)
    case not(HCLExpression, HCLRange)
    case negate(HCLExpression, HCLRange)
    case binary(HCLBinaryOperator, HCLExpression, HCLExpression, HCLRange)
    case conditional(HCLExpression, HCLExpression, HCLExpression, HCLRange)
    /// `[for k, v in coll : value if cond]` (`key == nil` and `valueKey == nil` for a tuple);
    /// `{for ... : k => v... if cond}` for an object (`group` with `...`).
    case forExpression(HCLForExpression)
    case parenthesized(HCLExpression, HCLRange)

    /// Where the expression starts.
    public var range: HCLRange {
        switch self {
        case .literal(_, let r), .template(_, let r), .variable(_, let r), .splat(_, _, let r), .splatItem(let r),
             .call(_, _, _, let r), .tuple(_, let r), .object(_, let r), .not(_, let r), .negate(_, let r),
             .binary(_, _, _, let r), .conditional(_, _, _, let r), .parenthesized(_, let r):
            return r
        case .traversal(let base, _): return base.range
        case .forExpression(let f): return f.range
        }
    }

    /// The root names the expression reads, with the attribute after each (`var.x` gives
    /// ("var", "x")), skipping names bound inside it (for-expression and template iterators).
    public func references(bound: Set<String> = []) -> [(root: String, attribute: String?, range: HCLRange)] {
        var out: [(String, String?, HCLRange)] = []
        func walk(_ e: HCLExpression, _ bound: Set<String>) {
            switch e {
            case .literal, .splatItem: break
            case .template(let parts, _): walkParts(parts, bound)
            case .variable(let name, let r): if !bound.contains(name) { out.append((name, nil, r)) }
            case .traversal(let base, let step):
                if case .variable(let name, let r) = base, case .attribute(let a, _) = step {
                    if !bound.contains(name) { out.append((name, a, r)) }
                } else {
                    walk(base, bound)
                }
                if case .index(let i, _) = step { walk(i, bound) }
            case .splat(let s, let body, _): walk(s, bound); walk(body, bound)
            case .call(_, let args, _, _): for a in args { walk(a, bound) }
            case .tuple(let items, _): for a in items { walk(a, bound) }
            case .object(let items, _): for (k, v) in items { walk(k, bound); walk(v, bound) }
            case .not(let a, _), .negate(let a, _), .parenthesized(let a, _): walk(a, bound)
            case .binary(_, let a, let b, _): walk(a, bound); walk(b, bound)
            case .conditional(let c, let a, let b, _): walk(c, bound); walk(a, bound); walk(b, bound)
            case .forExpression(let f):
                walk(f.collection, bound)
                var inner = bound
                inner.insert(f.valueName)
                if let k = f.keyName { inner.insert(k) }
                if let k = f.keyExpression { walk(k, inner) }
                walk(f.valueExpression, inner)
                if let c = f.condition { walk(c, inner) }
            }
        }
        func walkParts(_ parts: [HCLTemplatePart], _ bound: Set<String>) {
            for p in parts {
                switch p {
                case .literal: break
                case .interpolation(let e): walk(e, bound)
                case .conditional(let c, let a, let b, _): walk(c, bound); walkParts(a, bound); walkParts(b, bound)
                case .loop(let k, let v, let coll, let body, _):
                    walk(coll, bound)
                    var inner = bound
                    inner.insert(v)
                    if let k { inner.insert(k) }
                    walkParts(body, inner)
                }
            }
        }
        walk(self, bound)
        return out
    }
}

/// A `for` expression.
public struct HCLForExpression: Sendable {
    /// The key (or index) iterator's name, if two were given.
    public var keyName: String?
    /// The value iterator's name.
    public var valueName: String
    /// What is iterated.
    public var collection: HCLExpression
    /// The key expression of an object `for` (nil: a tuple `for`).
    public var keyExpression: HCLExpression?
    /// The element (or value) expression.
    public var valueExpression: HCLExpression
    /// Whether values are grouped by key (`...`).
    public var group: Bool
    /// The `if` filter.
    public var condition: HCLExpression?
    /// Where it starts.
    public var range: HCLRange
}

/// An attribute `name = expression`.
public struct HCLAttribute: Sendable {
    /// Its name.
    public var name: String
    /// Its expression.
    public var expression: HCLExpression
    /// Where the name is.
    public var range: HCLRange
}

/// A block `type "label"... { body }`.
public struct HCLBlock: Sendable {
    /// The block type.
    public var type: String
    /// Its labels.
    public var labels: [String]
    /// Its body.
    public var body: HCLBody
    /// Where the type name is.
    public var range: HCLRange
    /// Where each label is.
    public var labelRanges: [HCLRange]
}

/// A body: attributes and blocks, in source order.
public struct HCLBody: Sendable {
    /// The attributes, in source order.
    public var attributes: [HCLAttribute] = []
    /// The blocks, in source order.
    public var blocks: [HCLBlock] = []
    /// Where the body opens.
    public var range: HCLRange

    /// The attribute named `name`.
    public func attribute(_ name: String) -> HCLAttribute? { attributes.first { $0.name == name } }
}
