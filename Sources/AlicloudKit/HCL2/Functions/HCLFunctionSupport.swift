import FoundationEssentials

// Packer's HCL2 function library (hashicorp/packer hcl2template/functions.go), one table per
// family, with cty's semantics and messages. `can`, `try`, `templatefile` and `convert`
// (whose second argument is a type expression) are the evaluator's; `env` works only where
// the context allows it (variable defaults). Deliberate differences from Packer:
// - numbers are Doubles, not arbitrary-precision (integers exact up to 2^53);
// - regular expressions run on the standard library's Regex with RE2's `(?P<name>)`, `$` and `.`
//   mapped (see GoRegex); Swift-only syntax (backreferences, lookahead) is accepted, and only the
//   commonest syntax errors get RE2's words (unbalanced brackets, a bare repetition);
// - base64gzip writes stored (uncompressed) deflate blocks: any gzip reader gets the same
//   bytes back, but the Base64 text differs from Packer's;
// - yamldecode reads a documented subset of YAML (see YAML.swift); anchors, tags and
//   several documents are errors;
// - textencodebase64/textdecodebase64 know the common encodings (UTF-8/16/32,
//   US-ASCII, ISO-8859-1/2, windows-1250/1251/1252, Shift_JIS, EUC-JP);
// - timestamp, legacy_isotime, legacy_strftime and uuidv4/bcrypt's randomness come from the
//   render clock, so TMPL_RENDER_NOW / SOURCE_DATE_EPOCH make them reproducible;
// - vault, consul_key, aws_secretsmanager and aws_secretsmanager_raw are refused (no calls
//   to external services).

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
