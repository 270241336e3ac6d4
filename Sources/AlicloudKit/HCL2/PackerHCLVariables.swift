import FoundationEssentials

/// A declared `variable` block, decoded.
struct DeclaredVariable {
    var name: String
    var type: HCLType = .dynamic
    /// The optional attributes of its object types, and their defaults.
    var optional: HCLOptionalAttributes = .none
    var defaultValue: HCLValue?
    var sensitive = false
    var nullable = true
    var block: HCLBlock
    var value: HCLValue?
    var valueRange: HCLRange?

    /// `value` with its left-out optional attributes filled, converted to the variable's type.
    func converted(_ value: HCLValue) throws(HCLConversionError) -> HCLValue {
        try optional.filled(value).converted(to: type)
    }
}

/// Where a type constraint lets a value leave attributes out (`optional(type)` or
/// `optional(type, default)` around an attribute's type in `object({...})`), and the defaults
/// that fill them. They apply to a value before it is converted, as hcl's typeexpr does:
/// a left-out or null optional attribute takes its default, or null without one.
indirect enum HCLOptionalAttributes: Sendable {
    /// No optional attribute anywhere in the type.
    case none
    /// An object type: its optional attributes, their defaults (already of the attribute's
    /// type), and what applies inside each attribute.
    case object(optional: Set<String>, defaults: [String: HCLValue], inner: [String: HCLOptionalAttributes])
    /// A list, set or map type: what applies to every element.
    case elements(HCLOptionalAttributes)
    /// A tuple type: what applies to each element.
    case tuple([HCLOptionalAttributes])

    var isNone: Bool { if case .none = self { return true }; return false }

    /// `value` with the optional attributes it leaves out (or sets to null) filled in.
    func filled(_ value: HCLValue) -> HCLValue {
        if value.isNull { return value }
        switch self {
        case .none:
            return value
        case .object(let optional, let defaults, let inner):
            guard var members = value.members else { return value }
            for (name, rule) in inner { if let v = members[name] { members[name] = rule.filled(v) } }
            for name in optional where members[name]?.isNull ?? true { members[name] = defaults[name] ?? .nullValue }
            return .object(members)
        case .elements(let rule):
            if let items = value.elements { return .tuple(items.map(rule.filled)) }
            if let members = value.members { return .object(members.mapValues(rule.filled)) }
            return value
        case .tuple(let rules):
            guard let items = value.elements, items.count == rules.count else { return value }
            return .tuple(zip(items, rules).map { $1.filled($0) })
        }
    }
}

/// A type constraint: the type, and the optional attributes of its object types.
struct HCLTypeConstraint {
    var type: HCLType
    var optional: HCLOptionalAttributes = .none

    /// `value` with its left-out optional attributes filled, converted to the type.
    func converted(_ value: HCLValue) throws(HCLConversionError) -> HCLValue {
        try optional.filled(value).converted(to: type)
    }
}

extension PackerHCLLoader {
    /// A type constraint expression: `string`, `list(string)`, `object({a = number})`, `any`,
    /// with `optional(type)` around an object attribute's type. `defaults` is the scope in
    /// which `optional(type, default)` evaluates its default (a variable's type); without
    /// it (`convert`), a default is refused.
    static func typeConstraint(_ e: HCLExpression, defaults: HCLScope? = nil) throws(HCLDiagnostic) -> HCLTypeConstraint {
        func plain(_ t: HCLType) -> HCLTypeConstraint { HCLTypeConstraint(type: t) }
        switch e {
        case .template(let parts, let r):
            // The JSON syntax writes the type as a string: "list(string)".
            guard let text = literalString(e), parts.count == 1 else {
                throw HCLDiagnostic(r, "invalid type specification: a type such as string, number, bool, list(string) or object({...}) is required here")
            }
            return try typeConstraint(try HCLParser.parseExpression(text, file: r.file, origin: r.start), defaults: defaults)
        case .variable(let name, let r):
            switch name {
            case "string": return plain(.string)
            case "number": return plain(.number)
            case "bool": return plain(.bool)
            case "any": return plain(.dynamic)
            case "list", "set", "map": return plain(name == "list" ? .list(.dynamic) : name == "set" ? .set(.dynamic) : .map(.dynamic))
            default: throw HCLDiagnostic(r, "invalid type specification: the keyword \"\(name)\" is not a valid type specification (string, number, bool, any, list(...), set(...), map(...), object({...}), tuple([...]))")
            }
        case .call("optional", _, _, let r):
            throw HCLDiagnostic(r, "invalid type specification: optional(...) is only allowed around the type of an attribute in object({...})")
        case .call(let name, let args, _, let r):
            guard args.count == 1 else { throw HCLDiagnostic(r, "invalid type specification: \(name)(...) takes exactly one argument") }
            switch name {
            case "list", "set", "map":
                let element = try typeConstraint(args[0], defaults: defaults)
                let type: HCLType = name == "list" ? .list(element.type) : name == "set" ? .set(element.type) : .map(element.type)
                return HCLTypeConstraint(type: type, optional: element.optional.isNone ? .none : .elements(element.optional))
            case "object":
                guard case .object(let items, _) = args[0] else { throw HCLDiagnostic(args[0].range, "invalid type specification: object(...) takes an object of attribute types, such as object({name = string})") }
                var attrs: [String: HCLType] = [:]
                var optional = Set<String>()
                var values: [String: HCLValue] = [:]
                var inner: [String: HCLOptionalAttributes] = [:]
                for (k, v) in items {
                    guard let key = literalString(k) else { throw HCLDiagnostic(k.range, "invalid type specification: an object type's attribute name must be a name") }
                    guard case .call("optional", let optionalArgs, _, let r) = v else {
                        let c = try typeConstraint(v, defaults: defaults)
                        attrs[key] = c.type
                        if !c.optional.isNone { inner[key] = c.optional }
                        continue
                    }
                    guard let typeArgument = optionalArgs.first else {
                        throw HCLDiagnostic(r, "invalid type specification: optional(...) needs the attribute's type as its first argument")
                    }
                    if optionalArgs.count > 1 && defaults == nil {
                        throw HCLDiagnostic(optionalArgs[1].range, "invalid type specification: optional(...) takes only the attribute's type here; a default value is allowed only in a variable's type")
                    }
                    if optionalArgs.count > 2 {
                        throw HCLDiagnostic(optionalArgs[2].range, "invalid type specification: optional(...) takes the attribute's type and at most one default value")
                    }
                    let c = try typeConstraint(typeArgument, defaults: defaults)
                    attrs[key] = c.type
                    optional.insert(key)
                    if !c.optional.isNone { inner[key] = c.optional }
                    if optionalArgs.count == 2, let scope = defaults {
                        let given = try HCLEvaluator.evaluate(optionalArgs[1], scope)
                        do { values[key] = try c.converted(given) } catch {
                            throw HCLDiagnostic(optionalArgs[1].range, "invalid default value for optional attribute \"\(key)\": this default value is not compatible with the attribute's type constraint: \(error)")
                        }
                    }
                }
                let rule: HCLOptionalAttributes = optional.isEmpty && inner.isEmpty ? .none : .object(optional: optional, defaults: values, inner: inner)
                return HCLTypeConstraint(type: .object(attrs), optional: rule)
            case "tuple":
                guard case .tuple(let items, _) = args[0] else { throw HCLDiagnostic(args[0].range, "invalid type specification: tuple(...) takes a list of element types, such as tuple([string, number])") }
                var elements: [HCLTypeConstraint] = []
                for i in items { elements.append(try typeConstraint(i, defaults: defaults)) }
                let rules = elements.map(\.optional)
                return HCLTypeConstraint(type: .tuple(elements.map(\.type)), optional: rules.allSatisfy(\.isNone) ? .none : .tuple(rules))
            default:
                throw HCLDiagnostic(r, "invalid type specification: \"\(name)\" is not a valid type constructor (list, set, map, object, tuple)")
            }
        default:
            throw HCLDiagnostic(e.range, "invalid type specification: a type such as string, number, bool, list(string) or object({...}) is required here")
        }
    }

    static func literalString(_ e: HCLExpression) -> String? {
        switch e {
        case .literal(.string(let s), _): return s
        case .template(let parts, _):
            guard parts.count <= 1 else { return nil }
            if parts.isEmpty { return "" }
            if case .literal(let s) = parts[0] { return s }
            return nil
        case .variable(let n, _): return n
        default: return nil
        }
    }

    mutating func decodeVariables(autoVarFiles: [(String, String)]) throws {
        var declared: [String: DeclaredVariable] = [:]
        for b in variableBlocks {
            let name = b.labels[0]
            checkBody(b.body, "a variable block", attributes: ["default", "description", "nullable", "sensitive", "type"], blocks: ["validation"])
            var v = DeclaredVariable(name: name, block: b)
            if let t = b.body.attribute("type") {
                do {
                    let c = try PackerHCLLoader.typeConstraint(t.expression, defaults: HCLScope(names: [:], functions: functionContext()))
                    v.type = c.type
                    v.optional = c.optional
                } catch {
                    fail(error)
                    failedNames.insert("var.\(name)")
                }
            }
            let plain = HCLScope(names: [:], functions: functionContext())
            for key in ["sensitive", "nullable"] {
                guard let a = b.body.attribute(key) else { continue }
                if let value = evaluate(a.expression, plain) {
                    guard case .bool(let flag)? = try? value.converted(to: .bool), !value.isNull else {
                        fail(a.expression.range, "invalid value for \(key): a bool is required")
                        continue
                    }
                    if key == "sensitive" { v.sensitive = flag } else { v.nullable = flag }
                }
            }
            if let d = b.body.attribute("description"), let value = evaluate(d.expression, plain), value.stringValue == nil {
                fail(d.expression.range, "invalid value for description: a string is required")
            }
            if let d = b.body.attribute("default") {
                // Packer allows env() in variable defaults only.
                let s = HCLScope(names: [:], functions: functionContext(envAllowed: true))
                if let value = evaluate(d.expression, s) {
                    // A `variables { name = default }` entry takes its default's type.
                    if b.type == "variables" { v.type = value.type }
                    do {
                        v.defaultValue = try v.converted(value)
                        v.valueRange = d.expression.range
                    } catch {
                        fail(d.expression.range, "invalid default value for variable \"\(name)\": this default value is not compatible with the variable's type constraint: \(error)")
                        failedNames.insert("var.\(name)")
                    }
                } else {
                    failedNames.insert("var.\(name)")
                }
            }
            v.value = v.defaultValue
            declared[name] = v
        }

        // Packer's precedence: defaults < PKR_VAR_ < auto var files < -var / -var-file in order.
        func assign(_ name: String, _ value: HCLValue, _ r: HCLRange, raw: Bool) {
            guard var v = declared[name] else { return }
            var value = value
            if raw, case .string(let text) = value, v.type != .string, v.type != .dynamic {
                // Not a string type: the text is an HCL expression (`["a", "b"]`, `40`); one that
                // does not parse or evaluate is converted as the text it is, for cty's message.
                if let e = try? HCLParser.parseExpression(text, file: r.file),
                   let v = try? HCLEvaluator.evaluate(e, HCLScope(names: [:], functions: functionContext())) {
                    value = v
                }
            }
            do {
                v.value = try v.converted(value)
                v.valueRange = r
                declared[name] = v
            } catch {
                fail(r, "invalid value for variable \"\(name)\": the value is not compatible with the variable's type constraint: \(error)")
                failedNames.insert("var.\(name)")
            }
        }
        for key in request.environment.keys.sorted() where key.hasPrefix("PKR_VAR_") {
            let name = String(key.dropFirst(8))
            assign(name, .string(request.environment[key]!), HCLRange(file: "environment variable \(key)", line: 0, column: 0), raw: true)
        }
        func applyFile(_ shown: String, _ full: String) throws {
            let bytes = try RenderState.read(full)
            for (name, value, r) in readVarFile(bytes, shown) {
                if declared[name] == nil {
                    warn(r, "undefined variable: a \"\(name)\" variable was set but was not declared; declare it with a variable \"\(name)\" {} block")
                    continue
                }
                assign(name, value, r, raw: false)
            }
        }
        for (shown, full) in autoVarFiles { try applyFile(shown, full) }
        // Var files, then -var, each in command-line order, as Packer's binaries apply them.
        for input in request.inPrecedenceOrder {
            switch input {
            case .file(let path):
                try applyFile(path, ConfigDecoder.absolute(path, pwd: request.pwd))
            case .assignment(let name, let text):
                let r = HCLRange(file: "-var \(name)", line: 0, column: 0)
                guard declared[name] != nil else {
                    var message = "undefined -var variable: a \"\(name)\" variable was passed in but was not declared"
                    if let s = Suggest.closest(name, in: Array(declared.keys)) { message += " (did you mean \"\(s)\"?)" }
                    out.diagnostics.append(TemplateDiagnostic(file: "command line", position: nil, path: "-var \(name)", message: message))
                    continue
                }
                assign(name, .string(text), r, raw: true)
            }
        }

        for name in declared.keys.sorted() {
            let v = declared[name]!
            if failedNames.contains("var.\(name)") { continue }
            guard let value = v.value else {
                fail(v.block.labelRanges[0], "unset variable \"\(name)\": a used variable must be set or have a default value (give it with -var \(name)=VALUE, a var file or PKR_VAR_\(name))")
                failedNames.insert("var.\(name)")
                continue
            }
            if value.isNull && !v.nullable {
                fail(v.valueRange ?? v.block.range, "invalid value for variable \"\(name)\": the variable is not nullable (nullable = false) and its value is null")
                failedNames.insert("var.\(name)")
                continue
            }
            variables[name] = value
            if v.sensitive { out.sensitiveValues += PackerHCLLoader.leaves(value) }
        }
        // Validations see the variable itself.
        for name in declared.keys.sorted() where variables[name] != nil {
            let v = declared[name]!
            for rule in v.block.body.blocks where rule.type == "validation" {
                checkBody(rule.body, "a validation block", attributes: ["condition", "error_message"], blocks: [])
                guard let c = rule.body.attribute("condition") else {
                    fail(rule.range, "missing required argument: the argument \"condition\" is required in a validation block")
                    continue
                }
                guard let m = rule.body.attribute("error_message") else {
                    fail(rule.range, "missing required argument: the argument \"error_message\" is required in a validation block")
                    continue
                }
                for ref in c.expression.references() where !(ref.root == "var" && ref.attribute == name) && ref.root != "each" {
                    if ref.root == "var" || ref.root == "local" {
                        fail(ref.range, "invalid reference in variable validation: the condition for variable \"\(name)\" can only refer to the variable itself, using var.\(name)")
                    }
                }
                let s = HCLScope(names: ["var": .object([name: variables[name]!])], functions: functionContext())
                guard let ok = evaluate(c.expression, s) else { continue }
                guard case .bool(let passed)? = try? ok.converted(to: .bool), !ok.isNull else {
                    fail(c.expression.range, "invalid validation result: the validation condition must return a bool")
                    continue
                }
                if !passed {
                    let message = evaluate(m.expression, s)?.stringValue ?? "validation failed"
                    fail(v.valueRange ?? c.expression.range, "invalid value for variable \"\(name)\": \(message) (this was checked by the validation rule at \(c.range))")
                    variables[name] = nil
                    failedNames.insert("var.\(name)")
                }
            }
        }
    }

    /// The name/value pairs of a `.pkrvars.hcl` or `.json` var file.
    mutating func readVarFile(_ bytes: [UInt8], _ file: String) -> [(String, HCLValue, HCLRange)] {
        if file.hasSuffix(".json") {
            let document: JSONDocument
            do { document = try JSONParser.parseDocument(bytes) } catch {
                out.diagnostics.append(RenderState.syntaxDiagnostic(file, error))
                return []
            }
            guard case .object(let values) = document.value else {
                out.diagnostics.append(TemplateDiagnostic(file: file, position: nil, path: "", message: "a var file must be a JSON object of variable values, not \(describe(document.value))"))
                return []
            }
            return values.keys.sorted().map { key in
                let p = document.positions[key] ?? SourcePosition(line: 1, column: 1)
                return (key, HCLValue(json: values[key]!), HCLRange(file: file, line: p.line, column: p.column))
            }
        }
        let body: HCLBody
        do { body = try HCLParser.parse(bytes, file: file) } catch {
            fail(error)
            return []
        }
        for b in body.blocks { fail(b.range, "unexpected block: a var file holds only variable assignments (name = value), not \(b.type) blocks") }
        var result: [(String, HCLValue, HCLRange)] = []
        let s = HCLScope(names: [:], functions: functionContext())
        for a in body.attributes {
            if let ref = a.expression.references().first {
                fail(ref.range, "variables not allowed: variables may not be used here (a var file's values are constants)")
                continue
            }
            if let v = evaluate(a.expression, s) { result.append((a.name, v, a.expression.range)) }
        }
        return result
    }

    /// Every primitive leaf of a value as text (the strings a sensitive value hides).
    static func leaves(_ v: HCLValue) -> [String] {
        switch v {
        case .null: return []
        case .string(let s): return s.isEmpty ? [] : [s]
        case .number, .bool: return (try? v.converted(to: .string))?.stringValue.map { [$0] } ?? []
        default:
            let members = v.members ?? [:]
            return (v.elements ?? []).flatMap(leaves) + members.keys.sorted().flatMap { leaves(members[$0]!) }
        }
    }

    // MARK: Locals

    mutating func decodeLocals(_ bodies: [HCLBody]) {
        var definitions: [String: (expression: HCLExpression, range: HCLRange, sensitive: Bool)] = [:]
        var order: [String] = []
        for body in bodies {
            for b in body.blocks where b.type == "locals" || b.type == "local" {
                var items: [(String, HCLExpression, HCLRange, Bool)] = []
                if b.type == "locals" {
                    guard labels(b, 0) else { continue }
                    for inner in b.body.blocks { fail(inner.range, "unsupported block type: a locals block holds only attributes (name = expression)") }
                    items = b.body.attributes.map { ($0.name, $0.expression, $0.range, false) }
                } else {
                    guard labels(b, 1) else { continue }
                    checkBody(b.body, "a local block", attributes: ["expression", "sensitive"], blocks: [])
                    guard let e = b.body.attribute("expression") else {
                        fail(b.range, "missing required argument: the argument \"expression\" is required in a local block")
                        continue
                    }
                    var sensitive = false
                    if let s = b.body.attribute("sensitive"), case .bool(let flag)? = evaluate(s.expression, HCLScope(names: [:], functions: functionContext())) { sensitive = flag }
                    items = [(b.labels[0], e.expression, b.labelRanges[0], sensitive)]
                }
                for (name, e, r, sensitive) in items {
                    if let other = definitions[name] {
                        fail(r, "duplicate local: a local value named \"\(name)\" was already defined at \(other.range)")
                        continue
                    }
                    definitions[name] = (e, r, sensitive)
                    order.append(name)
                }
            }
        }
        // Depth-first in dependency order; a cycle is named once.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        func visit(_ name: String, _ loader: inout PackerHCLLoader) {
            if state[name] == 2 { return }
            guard let d = definitions[name] else { return }
            if state[name] == 1 {
                let cycle = stack[stack.firstIndex(of: name)!...] + [name]
                loader.fail(d.range, "local values refer to each other in a cycle: " + cycle.map { "local.\($0)" }.joined(separator: " -> "))
                for n in cycle { loader.failedNames.insert("local.\(n)") }
                return
            }
            state[name] = 1
            stack.append(name)
            for ref in d.expression.references() where ref.root == "local" {
                if let a = ref.attribute { visit(a, &loader) }
            }
            stack.removeLast()
            state[name] = 2
            if loader.failedNames.contains("local.\(name)") { return }
            if let v = loader.evaluate(d.expression, loader.scope()) {
                loader.locals[name] = v
                if d.sensitive { loader.out.sensitiveValues += PackerHCLLoader.leaves(v) }
            } else {
                loader.failedNames.insert("local.\(name)")
            }
        }
        for name in order { visit(name, &self) }
    }
}
