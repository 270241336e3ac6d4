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
