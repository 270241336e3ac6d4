import FoundationEssentials

/// What an expression can see: its root names (`var`, `local`, `path`, iterators ...) and
/// what functions may read.
public struct HCLScope: Sendable {
    /// Root names to values.
    public var names: [String: HCLValue]
    /// The functions' context.
    public var functions: HCLFunctionContext
    /// Names that are known but refused here, with why (`source` outside a build).
    public var refused: [String: String] = [:]

    /// Makes a scope.
    public init(names: [String: HCLValue], functions: HCLFunctionContext) {
        self.names = names
        self.functions = functions
    }
}

/// Evaluates HCL expressions over `HCLValue` with HCL's semantics (hclsyntax/spec.md):
/// operators convert their operands, conditionals need a bool, templates need strings,
/// splats and for expressions work on tuples, lists, sets, maps and objects.
public enum HCLEvaluator {
    /// Functions the evaluator implements itself: they need unevaluated expressions.
    public static let ownFunctions = ["can", "try", "templatefile", "convert"]

    /// The value of `expression` in `scope`.
    public static func evaluate(_ expression: HCLExpression, _ scope: HCLScope) throws(HCLDiagnostic) -> HCLValue {
        try evaluate(expression, scope, splatItem: nil)
    }

    static func evaluate(_ e: HCLExpression, _ scope: HCLScope, splatItem: HCLValue?) throws(HCLDiagnostic) -> HCLValue {
        func eval(_ x: HCLExpression) throws(HCLDiagnostic) -> HCLValue { try evaluate(x, scope, splatItem: splatItem) }
        switch e {
        case .literal(let v, _):
            return v
        case .template(let parts, let r):
            if parts.count == 1, case .interpolation(let only) = parts[0] { return try eval(only) }
            return .string(try render(parts, scope, r))
        case .variable(let name, let r):
            if let v = scope.names[name] { return v }
            if let why = scope.refused[name] { throw HCLDiagnostic(r, why) }
            var message = "unknown variable \"\(name)\": there is no variable named \"\(name)\""
            if let s = Suggest.closest(name, in: Array(scope.names.keys)) { message += " (did you mean \"\(s)\"?)" }
            throw HCLDiagnostic(r, message)
        case .traversal(let base, let step):
            let value = try eval(base)
            switch step {
            case .attribute(let name, let r):
                return try attribute(value, name, r, root: rootName(base))
            case .index(let keyExpression, let r):
                return try index(value, try eval(keyExpression), r)
            }
        case .splat(let source, let body, _):
            let value = try eval(source)
            if value.isNull { return .tuple([]) }
            let items: [HCLValue]
            switch value {
            case .list(let e, _), .set(let e, _), .tuple(let e): items = e
            default:
                return .tuple([try evaluate(body, scope, splatItem: value)])
            }
            var out: [HCLValue] = []
            for item in items { out.append(try evaluate(body, scope, splatItem: item)) }
            if case .list = value, let (unified, t) = try? HCLValue.unified(out) { return .list(unified, t) }
            return .tuple(out)
        case .splatItem(let r):
            guard let splatItem else { throw HCLDiagnostic(r, "a splat item outside a splat") }
            return splatItem
        case .call(let name, let args, let expand, let r):
            return try call(name, args, expand: expand, r, scope, splatItem: splatItem)
        case .tuple(let items, _):
            var out: [HCLValue] = []
            for item in items { out.append(try eval(item)) }
            return .tuple(out)
        case .object(let items, _):
            var out: [String: HCLValue] = [:]
            for (k, v) in items {
                let key = try eval(k)
                guard let s = try? key.converted(to: .string), case .string(let text) = s else {
                    throw HCLDiagnostic(k.range, key.isNull ? "incorrect key type: can't use a null value as a key" : "incorrect key type: can't use this value as a key: string required")
                }
                out[text] = try eval(v)
            }
            return .object(out)
        case .not(let operand, let r):
            let v = try eval(operand)
            guard case .bool(let b)? = try? v.converted(to: .bool) else { throw HCLDiagnostic(r, "invalid operand: unsuitable value for unary operand: bool required") }
            return .bool(!b)
        case .negate(let operand, let r):
            let v = try eval(operand)
            guard case .number(let n)? = try? v.converted(to: .number) else { throw HCLDiagnostic(r, "invalid operand: unsuitable value for unary operand: a number is required") }
            return .number(-n)
        case .binary(let op, let left, let right, let r):
            return try binary(op, try eval(left), try eval(right), left.range, right.range, r)
        case .conditional(let condition, let yes, let no, _):
            let c = try eval(condition)
            if c.isNull { throw HCLDiagnostic(condition.range, "null condition: the condition value is null; conditions must either be true or false") }
            guard case .bool(let b)? = try? c.converted(to: .bool) else {
                throw HCLDiagnostic(condition.range, "incorrect condition type: the condition expression must be of type bool")
            }
            let a = try eval(yes)
            let z = try eval(no)
            // cty unifies the two results' types: mixed primitives become strings.
            if a.type != z.type, !a.isNull, !z.isNull, a.type.isPrimitive, z.type.isPrimitive {
                return (try? (b ? a : z).converted(to: .string)) ?? (b ? a : z)
            }
            return b ? a : z
        case .forExpression(let f):
            return try forExpression(f, scope, splatItem: splatItem)
        case .parenthesized(let inner, _):
            return try eval(inner)
        }
    }

    static func rootName(_ e: HCLExpression) -> String? {
        if case .variable(let n, _) = e { return n }
        return nil
    }

    static func typeName(_ v: HCLValue) -> String {
        if v.isNull { return "null" }
        return v.type.friendlyName
    }

    /// `value.name`.
    static func attribute(_ value: HCLValue, _ name: String, _ r: HCLRange, root: String?) throws(HCLDiagnostic) -> HCLValue {
        switch value {
        case .object(let attrs):
            if let v = attrs[name] { return v }
            var message: String
            switch root {
            case "var": message = "undefined variable \"var.\(name)\": no variable \"\(name)\" is declared"
            case "local": message = "undefined local \"local.\(name)\": no local value \"\(name)\" is defined"
            default: message = "unsupported attribute: this object does not have an attribute named \"\(name)\""
            }
            if let s = Suggest.closest(name, in: Array(attrs.keys)) { message += " (did you mean \"\(s)\"?)" }
            throw HCLDiagnostic(r, message)
        case .map(let m, _):
            if let v = m[name] { return v }
            throw HCLDiagnostic(r, "missing map element: this map does not have an element with the key \"\(name)\"")
        case .null:
            throw HCLDiagnostic(r, "attempt to get attribute from null value: this value is null, so it does not have any attributes")
        case .list, .set, .tuple:
            throw HCLDiagnostic(r, "unsupported attribute: can't access attributes on a \(value.type.friendlyName); did you mean to access an attribute for each element of the collection? If so, use the splat syntax [*]")
        default:
            throw HCLDiagnostic(r, "unsupported attribute: can't access attributes on a primitive-typed value (\(value.type.friendlyName))")
        }
    }

    /// `value[key]`.
    static func index(_ value: HCLValue, _ key: HCLValue, _ r: HCLRange) throws(HCLDiagnostic) -> HCLValue {
        if key.isNull { throw HCLDiagnostic(r, "invalid index: can't use a null value as an indexing key") }
        switch value {
        case .list(let items, _), .tuple(let items):
            guard case .number(let n)? = try? key.converted(to: .number), n == n.rounded() else {
                throw HCLDiagnostic(r, "invalid index: the given key does not identify an element in this collection value: a number is required")
            }
            guard n >= 0, Int(n) < items.count else {
                throw HCLDiagnostic(r, "invalid index: the given key does not identify an element in this collection value")
            }
            return items[Int(n)]
        case .map(let m, _), .object(let m):
            guard case .string(let s)? = try? key.converted(to: .string) else {
                throw HCLDiagnostic(r, "invalid index: the given key does not identify an element in this collection value: string required")
            }
            guard let v = m[s] else {
                throw HCLDiagnostic(r, "invalid index: the given key does not identify an element in this collection value")
            }
            return v
        case .set:
            throw HCLDiagnostic(r, "invalid index: elements of a set are identified only by their value and don't have any separate index or key to select with, so it's only possible to perform operations across all elements of the set")
        case .null:
            throw HCLDiagnostic(r, "attempt to index null value: this value is null, so it does not have any indices")
        default:
            throw HCLDiagnostic(r, "invalid index: this value does not have any indices")
        }
    }

    static func binary(_ op: HCLBinaryOperator, _ a: HCLValue, _ b: HCLValue, _ ra: HCLRange, _ rb: HCLRange, _ r: HCLRange) throws(HCLDiagnostic) -> HCLValue {
        switch op {
        case .equal: return .bool(equal(a, b))
        case .notEqual: return .bool(!equal(a, b))
        case .and, .or:
            guard case .bool(let x)? = try? a.converted(to: .bool), !a.isNull else { throw HCLDiagnostic(ra, "invalid operand: unsuitable value for left operand: bool required") }
            guard case .bool(let y)? = try? b.converted(to: .bool), !b.isNull else { throw HCLDiagnostic(rb, "invalid operand: unsuitable value for right operand: bool required") }
            return .bool(op == .and ? x && y : x || y)
        default:
            guard case .number(let x)? = try? a.converted(to: .number), !a.isNull else { throw HCLDiagnostic(ra, "invalid operand: unsuitable value for left operand: a number is required") }
            guard case .number(let y)? = try? b.converted(to: .number), !b.isNull else { throw HCLDiagnostic(rb, "invalid operand: unsuitable value for right operand: a number is required") }
            switch op {
            // As cty's big floats: x/0 is an infinity, but no operation gives NaN.
            case .add:
                if x.isInfinite, y.isInfinite, x.sign != y.sign { throw HCLDiagnostic(r, "operation failed: error during addition: can't compute sum of opposing infinities") }
                return .number(x + y)
            case .subtract:
                if x.isInfinite, y.isInfinite, x.sign == y.sign { throw HCLDiagnostic(r, "operation failed: error during subtraction: can't subtract infinity from itself") }
                return .number(x - y)
            case .multiply:
                if (x.isInfinite && y == 0) || (y.isInfinite && x == 0) { throw HCLDiagnostic(r, "operation failed: error during multiplication: can't multiply zero by infinity") }
                return .number(x * y)
            case .divide:
                if (x == 0 && y == 0) || (x.isInfinite && y.isInfinite) { throw HCLDiagnostic(r, "operation failed: error during division: can't divide zero by zero or infinity by infinity") }
                return .number(x / y)
            case .modulo:
                if y == 0 { throw HCLDiagnostic(r, "operation failed: error during modulo: can't divide by zero") }
                return .number(x.truncatingRemainder(dividingBy: y))
            case .less: return .bool(x < y)
            case .lessOrEqual: return .bool(x <= y)
            case .greater: return .bool(x > y)
            case .greaterOrEqual: return .bool(x >= y)
            default: return .nullValue
            }
        }
    }

    /// cty's equality: same type family and same content (a list equals a tuple of equal items).
    static func equal(_ a: HCLValue, _ b: HCLValue) -> Bool {
        if a.isNull || b.isNull { return a.isNull && b.isNull }
        switch (a, b) {
        case (.string(let x), .string(let y)): return x == y
        case (.number(let x), .number(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        default:
            if let x = a.elements, let y = b.elements {
                return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
            }
            if let x = a.members, let y = b.members {
                return x.count == y.count && x.allSatisfy { k, v in y[k].map { equal(v, $0) } ?? false }
            }
            return false
        }
    }

    /// The pairs a for expression or directive iterates: (key, value).
    static func iterate(_ v: HCLValue, _ r: HCLRange) throws(HCLDiagnostic) -> [(HCLValue, HCLValue)] {
        switch v {
        case .list(let e, _), .tuple(let e): return e.enumerated().map { (.number(Double($0)), $1) }
        case .set(let e, _): return e.map { ($0, $0) }
        case .map(let m, _), .object(let m): return m.keys.sorted().map { (.string($0), m[$0]!) }
        case .null: throw HCLDiagnostic(r, "iteration over null value: a null value cannot be used as the collection in a 'for' expression")
        default: throw HCLDiagnostic(r, "iteration over non-iterable value: a value of type \(v.type.friendlyName) cannot be used as the collection in a 'for' expression")
        }
    }

    static func forExpression(_ f: HCLForExpression, _ scope: HCLScope, splatItem: HCLValue?) throws(HCLDiagnostic) -> HCLValue {
        let collection = try evaluate(f.collection, scope, splatItem: splatItem)
        var tuple: [HCLValue] = []
        var object: [String: HCLValue] = [:]
        var groups: [String: [HCLValue]] = [:]
        var order: [String] = []
        for (k, v) in try iterate(collection, f.collection.range) {
            var inner = scope
            inner.names[f.valueName] = v
            if let key = f.keyName { inner.names[key] = k }
            if let condition = f.condition {
                let c = try evaluate(condition, inner, splatItem: splatItem)
                guard case .bool(let keep)? = try? c.converted(to: .bool), !c.isNull else {
                    throw HCLDiagnostic(condition.range, "invalid 'for' condition: the 'if' clause value is invalid: bool required")
                }
                if !keep { continue }
            }
            let value = try evaluate(f.valueExpression, inner, splatItem: splatItem)
            guard let keyExpression = f.keyExpression else {
                tuple.append(value)
                continue
            }
            let key = try evaluate(keyExpression, inner, splatItem: splatItem)
            guard case .string(let text)? = try? key.converted(to: .string), !key.isNull else {
                throw HCLDiagnostic(keyExpression.range, "invalid object key: the key expression produced an invalid result: string required")
            }
            if f.group {
                if groups[text] == nil { order.append(text) }
                groups[text, default: []].append(value)
            } else {
                if object[text] != nil {
                    throw HCLDiagnostic(keyExpression.range, "duplicate object key: two different items produced the key \"\(text)\" in this 'for' expression; if duplicates are expected, use the ellipsis (...) after the value expression to enable grouping by key")
                }
                object[text] = value
            }
        }
        if f.keyExpression == nil { return .tuple(tuple) }
        if f.group { return .object(groups.mapValues { .tuple($0) }) }
        return .object(object)
    }

    // MARK: Templates

    static func render(_ parts: [HCLTemplatePart], _ scope: HCLScope, _ r: HCLRange) throws(HCLDiagnostic) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .literal(let s):
                out += s
            case .interpolation(let e):
                let v = try evaluate(e, scope)
                out += try templateText(v, e.range)
            case .conditional(let c, let yes, let no, let cr):
                let v = try evaluate(c, scope)
                guard case .bool(let b)? = try? v.converted(to: .bool), !v.isNull else {
                    throw HCLDiagnostic(cr, "invalid 'if' condition: the condition value must be of type bool")
                }
                out += try render(b ? yes : no, scope, cr)
            case .loop(let keyName, let valueName, let collection, let body, let lr):
                let v = try evaluate(collection, scope)
                for (k, item) in try iterate(v, lr) {
                    var inner = scope
                    inner.names[valueName] = item
                    if let keyName { inner.names[keyName] = k }
                    out += try render(body, inner, lr)
                }
            }
        }
        return out
    }

    static func templateText(_ v: HCLValue, _ r: HCLRange) throws(HCLDiagnostic) -> String {
        if v.isNull {
            throw HCLDiagnostic(r, "invalid template interpolation value: the expression result is null; cannot include a null value in a string template")
        }
        guard case .string(let s)? = try? v.converted(to: .string) else {
            throw HCLDiagnostic(r, "invalid template interpolation value: cannot include the given value in a string template: string required")
        }
        return s
    }

    // MARK: Calls

    static func call(_ name: String, _ argExpressions: [HCLExpression], expand: Bool, _ r: HCLRange, _ scope: HCLScope,
                     splatItem: HCLValue?) throws(HCLDiagnostic) -> HCLValue {
        switch name {
        case "can":
            guard argExpressions.count == 1, !expand else { throw HCLDiagnostic(r, "invalid function call: function \"can\" expects 1 argument") }
            do {
                _ = try evaluate(argExpressions[0], scope, splatItem: splatItem)
                return .bool(true)
            } catch {
                return .bool(false)
            }
        case "try":
            guard !argExpressions.isEmpty, !expand else { throw HCLDiagnostic(r, "invalid function call: function \"try\" needs at least one argument") }
            var first: HCLDiagnostic?
            for a in argExpressions {
                do { return try evaluate(a, scope, splatItem: splatItem) } catch { first = first ?? error }
            }
            throw HCLDiagnostic(r, "error in function call: call to function \"try\" failed: no expression succeeded: \(first!.message)")
        case "convert":
            // The second argument is a type constraint (`list(string)`), not a value.
            guard argExpressions.count == 2, !expand else {
                throw HCLDiagnostic(r, "error in function call: call to function \"convert\" failed: function \"convert\" expects 2 arguments: a value and a type such as list(string)")
            }
            let value = try evaluate(argExpressions[0], scope, splatItem: splatItem)
            let type = try PackerHCLLoader.typeConstraint(argExpressions[1])
            do { return try type.converted(value) } catch {
                throw HCLDiagnostic(argExpressions[0].range, "error in function call: call to function \"convert\" failed: invalid value for \"value\" parameter: \(error)")
            }
        default:
            break
        }
        var args: [HCLValue] = []
        for a in argExpressions { args.append(try evaluate(a, scope, splatItem: splatItem)) }
        if expand, let last = args.popLast() {
            guard let items = last.elements else {
                throw HCLDiagnostic(argExpressions.last!.range, "invalid expanding argument value: the expanding argument (indicated by ...) must be of a tuple, list, or set type")
            }
            args += items
        }
        if name == "templatefile" { return try templateFile(args, r, argExpressions, scope) }
        guard HCLFunctions.all[name] != nil else {
            var message = "call to unknown function: there is no function named \"\(name)\""
            if let s = Suggest.closest(name, in: Array(HCLFunctions.all.keys) + ownFunctions) { message += " (did you mean \"\(s)\"?)" }
            throw HCLDiagnostic(r, message)
        }
        do {
            return try HCLFunctions.call(name, args, scope.functions)
        } catch {
            let at = error.argument.flatMap { $0 < argExpressions.count ? argExpressions[$0].range : nil } ?? r
            throw HCLDiagnostic(at, "error in function call: call to function \"\(name)\" failed: \(error.message)")
        }
    }

    /// `templatefile(path, vars)`: the file is a template (relative to `path.root`) seeing
    /// only `vars` and the functions.
    static func templateFile(_ args: [HCLValue], _ r: HCLRange, _ expressions: [HCLExpression], _ scope: HCLScope) throws(HCLDiagnostic) -> HCLValue {
        func fail(_ message: String) -> HCLDiagnostic {
            HCLDiagnostic(r, "error in function call: call to function \"templatefile\" failed: \(message)")
        }
        guard args.count == 2 else {
            throw fail(args.count < 2 ? "not enough arguments: function \"templatefile\" expects 2 arguments" : "too many arguments: function \"templatefile\" expects only 2 arguments")
        }
        guard case .string(let path) = args[0] else { throw fail("invalid value for \"path\" parameter: string required") }
        guard let vars = args[1].members else { throw fail("invalid value for \"vars\" parameter: vars must be an object") }
        let full = path.hasPrefix("/") ? path : Paths.join(scope.functions.baseDir, path)
        guard let data = FileManager.default.contents(atPath: full) else { throw fail("no file exists at \"\(path)\"") }
        let parts: [HCLTemplatePart]
        do {
            parts = try HCLParser.parseTemplate([UInt8](data), file: path)
        } catch {
            throw fail("failed to parse \(error)")
        }
        var inner = HCLScope(names: vars, functions: scope.functions)
        inner.refused = [:]
        do {
            if parts.count == 1, case .interpolation(let only) = parts[0] { return try evaluate(only, inner) }
            return .string(try render(parts, inner, HCLRange(file: path, line: 1, column: 1)))
        } catch {
            throw fail(error.description)
        }
    }
}

extension HCLParser {
    /// Parses a whole file as a template (`templatefile`).
    public static func parseTemplate(_ bytes: [UInt8], file: String, origin: SourcePosition? = nil) throws(HCLDiagnostic) -> [HCLTemplatePart] {
        var p = HCLParser(bytes: bytes, file: file)
        p.origin = origin
        let (parts, directive) = try p.templateParts(quoted: false, heredocEnd: bytes.count, indent: 0, terminators: [])
        if let directive { throw p.error("unexpected %{ \(directive) } directive") }
        return parts
    }
}
