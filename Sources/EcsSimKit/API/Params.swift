import AlicloudKit

/// The parameters of one RPC request (query and form body merged), with typed readers that
/// throw the real API's MissingParameter / InvalidParameter errors.
public struct Params: Sendable {
    /// Every parameter by name (last one wins).
    public var values: [String: String]

    /// Wraps decoded parameters.
    public init(_ values: [String: String]) { self.values = values }

    /// A parameter's value, or nil when absent or empty.
    public subscript(_ name: String) -> String? {
        guard let v = values[name], !v.isEmpty else { return nil }
        return v
    }

    /// A required parameter.
    public func required(_ name: String) throws -> String {
        guard let v = self[name] else { throw CloudError.missing(name) }
        return v
    }

    /// An integer parameter within `range`, or `defaultValue` when absent.
    public func int(_ name: String, default defaultValue: Int? = nil, in range: ClosedRange<Int>? = nil) throws -> Int? {
        guard let raw = self[name] else { return defaultValue }
        guard let v = Int(raw) else { throw CloudError.invalid(name, "It must be an integer.") }
        if let range, !range.contains(v) { throw CloudError.invalid(name, "It must be between \(range.lowerBound) and \(range.upperBound).") }
        return v
    }

    /// A boolean parameter (`true`/`false`, any case).
    public func bool(_ name: String, default defaultValue: Bool = false) throws -> Bool {
        guard let raw = self[name] else { return defaultValue }
        switch raw.lowercased() {
        case "true": return true
        case "false": return false
        default: throw CloudError.invalid(name, "It must be true or false.")
        }
    }

    /// A parameter holding a JSON array of strings (`InstanceIds=["i-a","i-b"]`).
    public func jsonArray(_ name: String) throws -> [String]? {
        guard let raw = self[name] else { return nil }
        guard let parsed = try? JSONParser.parse(raw), let items = parsed.arrayValue else {
            throw CloudError.invalid(name, "It must be a JSON array of strings.")
        }
        return try items.map {
            guard let s = $0.stringValue else { throw CloudError.invalid(name, "It must be a JSON array of strings.") }
            return s
        }
    }

    /// A comma-separated list (`ImageId=m-a,m-b`).
    public func commaList(_ name: String) -> [String]? {
        guard let raw = self[name] else { return nil }
        return raw.split(separator: ",").map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
    }

    /// A repeat list `Name.1`, `Name.2`, ... in index order.
    public func list(_ name: String) -> [String] {
        let prefix = name + "."
        var found: [(Int, String)] = []
        for (k, v) in values where k.hasPrefix(prefix) && !v.isEmpty {
            if let n = Int(k.dropFirst(prefix.count)) { found.append((n, v)) }
        }
        return found.sorted { $0.0 < $1.0 }.map(\.1)
    }

    /// A repeat list of structures `Name.N.Field` in index order.
    public func structList(_ name: String) -> [[String: String]] {
        let prefix = name + "."
        var found: [Int: [String: String]] = [:]
        for (k, v) in values where k.hasPrefix(prefix) {
            let rest = k.dropFirst(prefix.count)
            guard let dot = rest.firstIndex(of: "."), let n = Int(rest[..<dot]) else { continue }
            found[n, default: [:]][String(rest[rest.index(after: dot)...])] = v
        }
        return found.keys.sorted().map { found[$0]! }
    }

    /// `Tag.N.Key` / `Tag.N.Value` pairs (ECS and VPC spelling), at most 20.
    public func tags(_ name: String = "Tag") throws -> [Tag] {
        var out: [Tag] = []
        for entry in structList(name) {
            guard let key = entry["Key"], !key.isEmpty else {
                if entry.values.allSatisfy({ $0.isEmpty }) { continue }
                throw CloudError.invalid("\(name).N.Key", "The tag key must not be empty.", code: "InvalidTagKey.Malformed")
            }
            try NameRule.tagKey.enforce(key, as: "\(name).N.Key")
            try NameRule.tagValue.enforce(entry["Value"], as: "\(name).N.Value")
            out.append(Tag(key: key, value: entry["Value"] ?? ""))
        }
        if out.count > NameRule.tagsPerResource { throw CloudError("InvalidTagCount", "The number of tags must not exceed \(NameRule.tagsPerResource).") }
        return out
    }
}

/// A resource tag.
public struct Tag: Codable, Sendable, Equatable {
    /// The key.
    public var key: String
    /// The value.
    public var value: String
}

extension [Tag] {
    /// Sets or replaces tags by key.
    mutating func merge(_ new: [Tag]) {
        for t in new {
            if let i = firstIndex(where: { $0.key == t.key }) { self[i] = t } else { append(t) }
        }
    }

    /// Whether every filter tag matches (a filter with an empty value matches any value).
    func matches(_ filters: [Tag]) -> Bool {
        filters.allSatisfy { f in contains { $0.key == f.key && (f.value.isEmpty || $0.value == f.value) } }
    }
}
