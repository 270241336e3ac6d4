/// Why a value could not take a type: cty's message and the path inside the value
/// (`[0]`, `.name`, `["key"]`) where it failed.
public struct HCLConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The path inside the value, empty for the value itself.
    public var path: String
    /// cty's wording: "a number is required", "attribute \"x\" is required".
    public var message: String

    /// Makes an error.
    public init(path: String = "", _ message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`, or the message alone at the top.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }

    func at(_ step: String) -> HCLConversionError { HCLConversionError(path: step + path, message) }
}

extension HCLValue {
    /// The value converted to `type` as go-cty's `convert.Convert` does: primitives to and
    /// from strings ("true", "1.5"), tuples to lists and sets, objects to maps, nulls to typed
    /// nulls, objects to object types (missing attributes are an error, extra ones dropped),
    /// and `any` replaced by the one type the elements unify to.
    public func converted(to type: HCLType) throws(HCLConversionError) -> HCLValue {
        if type == .dynamic { return self }
        if case .null = self { return .null(type) }
        switch type {
        case .dynamic:
            return self
        case .string:
            switch self {
            case .string: return self
            case .number(let d): return .string(HCLValue.numberText(d))
            case .bool(let b): return .string(b ? "true" : "false")
            default: throw HCLConversionError("string required")
            }
        case .number:
            switch self {
            case .number: return self
            case .string(let s):
                guard let d = HCLValue.parseNumber(s) else { throw HCLConversionError("a number is required") }
                return .number(d)
            default: throw HCLConversionError("number required")
            }
        case .bool:
            switch self {
            case .bool: return self
            case .string(let s):
                switch s {
                case "true", "1": return .bool(true)
                case "false", "0": return .bool(false)
                default: throw HCLConversionError("a bool is required")
                }
            default: throw HCLConversionError("bool required")
            }
        case .list(let element), .set(let element):
            guard let items = elements else { throw HCLConversionError("\(type.friendlyName) required") }
            var out: [HCLValue] = []
            for (i, item) in items.enumerated() {
                do { out.append(try item.converted(to: element)) } catch { throw error.at("[\(i)]") }
            }
            var concrete = element
            if element.hasDynamic {
                (out, concrete) = try HCLValue.unified(out)
            }
            if case .set = type { return .set(out, of: concrete) }
            return .list(out, concrete)
        case .map(let element):
            guard let attrs = members else { throw HCLConversionError("\(type.friendlyName) required") }
            var out: [String: HCLValue] = [:]
            for key in attrs.keys.sorted() {
                do { out[key] = try attrs[key]!.converted(to: element) } catch { throw error.at(HCLValue.keyStep(key)) }
            }
            var concrete = element
            if element.hasDynamic {
                let keys = out.keys.sorted()
                let (values, t) = try HCLValue.unified(keys.map { out[$0]! })
                out = Dictionary(uniqueKeysWithValues: zip(keys, values))
                concrete = t
            }
            return .map(out, concrete)
        case .object(let attrTypes):
            guard let attrs = members else { throw HCLConversionError("object required") }
            var out: [String: HCLValue] = [:]
            for key in attrTypes.keys.sorted() {
                guard let v = attrs[key] else { throw HCLConversionError("attribute \"\(key)\" is required") }
                do { out[key] = try v.converted(to: attrTypes[key]!) } catch { throw error.at(".\(key)") }
            }
            return .object(out)
        case .tuple(let types):
            guard let items = elements else { throw HCLConversionError("tuple required") }
            guard items.count == types.count else {
                throw HCLConversionError("tuple required with \(types.count) element\(types.count == 1 ? "" : "s")")
            }
            var out: [HCLValue] = []
            for (i, item) in items.enumerated() {
                do { out.append(try item.converted(to: types[i])) } catch { throw error.at("[\(i)]") }
            }
            return .tuple(out)
        }
    }

    /// Values converted to the one type they can all take (cty's `convert.Unify`): their
    /// common type if they share one, else string when every value is primitive, else a map
    /// or list whose elements unify, else an error ("all elements must have the same type").
    public static func unified(_ values: [HCLValue]) throws(HCLConversionError) -> ([HCLValue], HCLType) {
        let types = values.filter { !$0.isNull }.map(\.type)
        guard let first = types.first else { return (values, .dynamic) }
        if types.allSatisfy({ $0 == first }) {
            return (try values.map { (v) throws(HCLConversionError) in try v.converted(to: first) }, first)
        }
        let target: HCLType
        if types.allSatisfy(\.isPrimitive) {
            target = .string
        } else if types.allSatisfy({ if case .object = $0 { return true }; if case .map = $0 { return true }; return false }) {
            let inner = values.flatMap { $0.members.map { Array($0.values) } ?? [] }
            target = .map(try unified(inner).1)
        } else if types.allSatisfy({ if case .tuple = $0 { return true }; if case .list = $0 { return true }; return false }) {
            let inner = values.flatMap { $0.elements ?? [] }
            target = .list(try unified(inner).1)
        } else {
            throw HCLConversionError("all elements must have the same type")
        }
        return (try values.map { (v) throws(HCLConversionError) in try v.converted(to: target) }, target)
    }

    /// HCL's number syntax as cty parses a string: decimal, optional sign, fraction, exponent.
    public static func parseNumber(_ s: String) -> Double? {
        guard !s.isEmpty, s.allSatisfy({ "0123456789+-.eE".contains($0) }), let d = Double(s), d.isFinite else { return nil }
        return d
    }

    static func keyStep(_ key: String) -> String { "[\"\(key)\"]" }
}
