/// Builders for the parameter shapes RPC APIs use: RepeatList `Name.N[.Sub]`
/// (1-based) and JSON-array strings (`InstanceIds=["i-a"]`).
public enum RPCParameters {
    /// `Name.1=a`, `Name.2=b`, ...
    public static func list(_ name: String, _ values: [String]) -> [String: String] {
        var out: [String: String] = [:]
        for (i, v) in values.enumerated() { out["\(name).\(i + 1)"] = v }
        return out
    }

    /// `Tag.1.Key=k`, `Tag.1.Value=v`, ... from a list of objects.
    public static func objects(_ name: String, _ items: [[String: String]]) -> [String: String] {
        var out: [String: String] = [:]
        for (i, item) in items.enumerated() {
            for (k, v) in item { out["\(name).\(i + 1).\(k)"] = v }
        }
        return out
    }

    /// `Tag.N.Key`/`Tag.N.Value` pairs, in key order for stable requests.
    public static func tags(_ tags: [String: String], name: String = "Tag") -> [String: String] {
        objects(name, tags.keys.sorted().map { ["Key": $0, "Value": tags[$0]!] })
    }

    /// Parameters from `Name=Value` records, each ended by a NUL byte: values of any text
    /// (newlines, tabs, leading dashes) cross from a shell script without being split.
    public static func nulRecords(_ bytes: [UInt8], source: String) throws -> [String: String] {
        var out: [String: String] = [:]
        var records = bytes.split(separator: 0, omittingEmptySubsequences: false)
        guard records.last?.isEmpty ?? true else { throw ToolError.data("\(source): the last record is not ended by a NUL byte (cut short?)") }
        records.removeLast()
        for (n, record) in records.enumerated() {
            guard let text = String(validating: record, as: UTF8.self) else { throw ToolError.data("\(source): record \(n + 1) is not valid UTF-8") }
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else { throw ToolError.data("\(source): record \(n + 1): expected Name=Value") }
            out[String(text[..<eq])] = String(text[text.index(after: eq)...])
        }
        return out
    }

    /// A tag map (a JSON object of strings) as `Tag.N.Key`/`Tag.N.Value`, numbered after the
    /// highest `Tag.N` already in `params`, in key order.
    public static func addTags(json bytes: [UInt8], source: String, to params: inout [String: String], name: String = "Tag") throws {
        let tags = try tagMap(json: bytes, source: source)
        let prefix = name + "."
        let used = params.keys.compactMap { k -> Int? in
            guard k.hasPrefix(prefix) else { return nil }
            return Int(k.dropFirst(prefix.count).prefix { $0 != "." })
        }.max() ?? 0
        for (i, k) in tags.keys.sorted().enumerated() {
            params["\(name).\(used + i + 1).Key"] = k
            params["\(name).\(used + i + 1).Value"] = tags[k]!
        }
    }

    /// A tag map from a JSON object of strings (a file of `--tags-from`).
    public static func tagMap(json bytes: [UInt8], source: String) throws -> [String: String] {
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw ToolError.data("\(source): not JSON: \(error)") }
        guard case .object(let object) = value else { throw ToolError.data("\(source): expected a JSON object of tags, found \(value.typeName)") }
        var tags: [String: String] = [:]
        for (k, v) in object {
            guard let s = v.stringValue else { throw ToolError.data("\(source): tag \(k): expected a string, found \(v.typeName)") }
            tags[k] = s
        }
        return tags
    }

    /// A JSON array of strings, as `InstanceIds`, `KeyPairNames`, `SnapshotIds` take.
    public static func jsonArray(_ values: [String]) -> String {
        JSONValue.array(values.map { .string($0) }).serialized(pretty: false)
    }

    /// Flattens any JSON value: arrays become `.N` (1-based), objects `.Key`, scalars text.
    public static func flatten(_ name: String, _ value: JSONValue) -> [String: String] {
        var out: [String: String] = [:]
        func walk(_ prefix: String, _ v: JSONValue) {
            switch v {
            case .array(let a): for (i, e) in a.enumerated() { walk("\(prefix).\(i + 1)", e) }
            case .object(let o): for (k, e) in o { walk("\(prefix).\(k)", e) }
            case .string(let s): out[prefix] = s
            case .null: break
            default: out[prefix] = v.rawText
            }
        }
        walk(name, value)
        return out
    }

    /// Merges parameter sets; later ones win.
    public static func merge(_ sets: [String: String]...) -> [String: String] {
        sets.reduce(into: [:]) { acc, s in acc.merge(s) { $1 } }
    }
}
