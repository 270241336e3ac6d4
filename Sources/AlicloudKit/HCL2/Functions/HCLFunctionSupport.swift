import Foundation

/// What the function tables share: reading arguments that `HCLFunctions.call` has already
/// converted to their parameters' types, and cty's argument-error wording.
extension HCLValue {
    /// The string of a `.string` argument ("" for anything else, which a string parameter
    /// never receives).
    var argString: String { stringValue ?? "" }

    /// The number of a `.number` argument (0 for anything else).
    var argNumber: Double { if case .number(let d) = self { return d }; return 0 }

    /// The truth of a `.bool` argument (false for anything else).
    var argBool: Bool { if case .bool(let b) = self { return b }; return false }

    /// Whether this is a list, set or tuple.
    var isSequence: Bool { elements != nil }
}

extension HCLFunctionError {
    /// cty's argument error as HCL prints it: `invalid value for "name" parameter: message`.
    static func invalid(_ index: Int, _ name: String, _ message: String) -> HCLFunctionError {
        HCLFunctionError(argument: index, "invalid value for \"\(name)\" parameter: \(message)")
    }
}

/// Argument helpers shared by the function tables.
enum HCLArgs {
    /// A number argument as an Int, as cty's gocty conversion demands it.
    static func whole(_ v: HCLValue, _ index: Int, _ name: String) throws(HCLFunctionError) -> Int {
        let d = v.argNumber
        guard d.isFinite, d == d.rounded() else { throw .invalid(index, name, "value must be a whole number") }
        guard abs(d) < 9.0e18 else { throw .invalid(index, name, "value must be a whole number, between \(Int.min) and \(Int.max)") }
        return Int(d)
    }

    /// Elements of a list/set/tuple argument, or a map/object's values in key order.
    static func items(_ v: HCLValue) -> [HCLValue] {
        if let e = v.elements { return e }
        if let m = v.members { return m.keys.sorted().map { m[$0]! } }
        return []
    }

    /// A list of values unified to one element type (cty builds lists this way).
    static func list(_ values: [HCLValue], elementType: HCLType? = nil) throws(HCLFunctionError) -> HCLValue {
        if let elementType, values.isEmpty { return .list([], elementType) }
        do {
            let (v, t) = try HCLValue.unified(values)
            return .list(v, values.isEmpty ? (elementType ?? .dynamic) : t)
        } catch {
            throw HCLFunctionError(error.description)
        }
    }
}
