/// How a JSON-printing tool prints its product: the whole document, or `--query PATH`
/// rendered in one of the shell-friendly formats every tool shares.
public struct QueryOutput: Sendable {
    /// The output formats of `--format`.
    public enum Format: String, Sendable, CaseIterable {
        /// One raw value per line (strings unquoted): the default with `--query`.
        case raw
        /// The selected value(s) as pretty JSON documents.
        case json
        /// An object's members as `PREFIXkey='value'` lines for `eval`.
        case sh
        /// The number of elements of the selected array (or members of an object).
        case count
        /// An object's members as `key<TAB>value` lines, sorted by key.
        case pairs
        /// An object's scalar members as NUL-ended `key=value` records, sorted by key (what
        /// `ecs-call --params-from` reads: a value may hold newlines); null members are left out.
        case params
    }

    /// The path, if one was given.
    public var query: JSONQuery?
    /// The format.
    public var format: Format
    /// The variable prefix for `--format sh`.
    public var shellPrefix: String

    /// The options every JSON-printing tool accepts.
    public static let options: [OptionSpec] = [.value("--query"), .value("--format"), .value("--sh-prefix")]

    /// Reads `--query`, `--format` and `--sh-prefix`; a bad value is a usage error.
    public init(_ args: ParsedArguments) throws {
        query = try args.value("--query").map { try JSONQuery($0) }
        let name = args.value("--format") ?? (query == nil ? "json" : "raw")
        guard let format = Format(rawValue: name) else {
            throw ToolError.usage("--format: unknown format \(name) (expected one of: \(Format.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        self.format = format
        shellPrefix = args.value("--sh-prefix") ?? ""
        if shellPrefix.contains(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_")) }) {
            throw ToolError.usage("--sh-prefix: not a shell name prefix: \(shellPrefix)")
        }
    }

    /// Renders `value` as this output asks.
    public func render(_ value: JSONValue) throws -> String {
        let q = try query ?? JSONQuery(".")
        switch format {
        case .raw: return try q.render(value)
        case .json: return try q.select(in: value).map(\.document).joined()
        case .sh: return try q.renderShell(value, prefix: shellPrefix)
        case .count:
            return try q.select(in: value).map { v -> String in
                switch v {
                case .array(let a): return "\(a.count)\n"
                case .object(let o): return "\(o.count)\n"
                default: throw ToolError.data("--query \(q): --format count needs an array or object (found \(v.typeName))")
                }
            }.joined()
        case .pairs:
            return try q.select(in: value).map { v -> String in
                guard case .object(let o) = v else {
                    throw ToolError.data("--query \(q): --format pairs needs an object (found \(v.typeName))")
                }
                return o.keys.sorted().map { "\($0)\t\(o[$0]!.rawText)\n" }.joined()
            }.joined()
        case .params:
            return try q.select(in: value).map { v -> String in
                guard case .object(let o) = v else {
                    throw ToolError.data("--query \(q): --format params needs an object (found \(v.typeName))")
                }
                return try o.keys.sorted().filter { !o[$0]!.isNull }.map { key -> String in
                    let member = o[key]!
                    guard member.isScalar else {
                        throw ToolError.data("--query \(q): --format params: \(key) is not a scalar (found \(member.typeName))")
                    }
                    return "\(key)=\(member.rawText)\u{0}"
                }.joined()
            }.joined()
        }
    }
}
