import FoundationEssentials

/// A plan tmpl-render wrote earlier, read back for querying (`tmpl-render --plan FILE`).
public enum RenderedPlan {
    /// The plan versions this toolkit reads.
    public static let supportedVersion = 1

    /// Reads and checks a plan file (`-` for stdin); registers its sensitive values so no
    /// message can show them. Unreadable: exit 66; not a plan: exit 65.
    public static func read(_ path: String) throws -> JSONValue {
        let bytes: [UInt8]
        if path == "-" {
            bytes = try readAll(fd: 0)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ToolError(.noInput, "\(path): cannot read the plan")
            }
            bytes = [UInt8](data)
        }
        let plan: JSONValue
        do {
            plan = try JSONParser.parse(bytes)
        } catch {
            throw ToolError.data("\(path): not a plan: \(error)")
        }
        guard plan["plan_version"]?.intValue == supportedVersion, plan["builds"]?.arrayValue != nil else {
            throw ToolError.data("\(path): not a plan of version \(supportedVersion)")
        }
        for path in plan["sensitive"]?.arrayValue ?? [] {
            guard let p = path.stringValue, let q = try? JSONQuery(p),
                  let values = try? q.select(in: plan) else { continue }
            for v in values { Secrets.register(v.stringValue) }
        }
        for v in plan["sensitive_values"]?.arrayValue ?? [] { Secrets.register(v.stringValue) }
        return plan
    }
}
