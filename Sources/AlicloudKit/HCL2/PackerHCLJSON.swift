/// Reads HCL's JSON syntax (hcl json/spec.md) for Packer's blocks: which property is a
/// block, and how many labels it takes, comes from Packer's schema; every string is a
/// template (`"${var.x}"`), every other value a literal.
enum PackerHCLJSON {
    /// The blocks each kind of body holds, with their label counts.
    static func blockLabels(_ owner: String, _ key: String) -> (Int, String)? {
        switch (owner, key) {
        case ("root", "variable"): return (1, "variable")
        case ("root", "locals"), ("root", "packer"), ("root", "build"): return (0, key)
        case ("root", "local"): return (1, "local")
        case ("root", "source"), ("root", "data"): return (2, key)
        case ("variable", "validation"): return (0, "validation")
        case ("packer", "required_plugins"): return (0, "required_plugins")
        case ("build", "source"): return (1, "override")
        case ("build", "provisioner"), ("build", "post-processor"), ("build", "error-cleanup-provisioner"): return (1, "plugin:" + key)
        case ("build", "post-processors"): return (0, "post-processors")
        case ("post-processors", "post-processor"): return (1, "plugin:post-processor")
        case (_, "dynamic") where owner.hasPrefix("config"): return (1, "dynamic")
        case ("dynamic", "content"): return (0, "content")
        default:
            if owner.hasPrefix("config"), nestedBlocks.contains(key) { return (0, "config") }
            return nil
        }
    }

    /// The nested-block keys of the alicloud builder and the provisioners (object fields).
    static let nestedBlocks: Set<String> = {
        var names: Set<String> = []
        let schemas = [AlicloudSchema.builder] + ProvisionerSchema.provisioners.values.map(\.schema) + ProvisionerSchema.postProcessors.values.map(\.schema)
        for schema in schemas {
            for name in schema.order {
                switch schema.fields[name]!.kind {
                case .object, .objectList: names.insert(name)
                default: break
                }
            }
        }
        return names
    }()

    /// Parses a `.pkr.json` file into a body.
    static func body(_ bytes: [UInt8], file: String) throws(HCLDiagnostic) -> HCLBody {
        let document: JSONDocument
        do { document = try JSONParser.parseDocument(bytes) } catch {
            throw HCLDiagnostic(HCLRange(file: file, line: error.position.line, column: error.position.column), "JSON syntax error: \(error.message)")
        }
        let reader = Reader(file: file, positions: document.positions)
        return try reader.decodeBody(document.value, path: "", owner: "root")
    }

    struct Reader {
        let file: String
        let positions: [String: SourcePosition]

        func range(_ path: String) -> HCLRange {
            var p = Substring(path)
            while !p.isEmpty {
                if let found = positions[String(p)] { return HCLRange(file: file, line: found.line, column: found.column) }
                guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
                p = p[..<cut]
            }
            return HCLRange(file: file, line: 1, column: 1)
        }

        func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

        func decodeBody(_ value: JSONValue, path: String, owner: String) throws(HCLDiagnostic) -> HCLBody {
            guard case .object(let members) = value else { throw HCLDiagnostic(range(path), "a block body must be a JSON object, not \(describe(value))") }
            var body = HCLBody(range: range(path))
            for key in members.keys.sorted(by: { range(join(path, $0)).start.line < range(join(path, $1)).start.line || (range(join(path, $0)).start.line == range(join(path, $1)).start.line && $0 < $1) }) {
                if key == "//" { continue }
                let p = join(path, key)
                let v = members[key]!
                if let (count, kind) = PackerHCLJSON.blockLabels(owner, key) {
                    try blocks(key, v, path: p, labels: [], labelRanges: [], remaining: count, kind: kind, into: &body)
                } else {
                    body.attributes.append(HCLAttribute(name: key, expression: try expression(v, path: p), range: range(p)))
                }
            }
            return body
        }

        func blocks(_ type: String, _ value: JSONValue, path: String, labels: [String], labelRanges: [HCLRange], remaining: Int, kind: String,
                    into body: inout HCLBody) throws(HCLDiagnostic) {
            if remaining > 0 {
                if case .array(let list) = value {
                    for (i, item) in list.enumerated() {
                        try blocks(type, item, path: "\(path)[\(i)]", labels: labels, labelRanges: labelRanges, remaining: remaining, kind: kind, into: &body)
                    }
                    return
                }
                guard case .object(let byLabel) = value else { throw HCLDiagnostic(range(path), "a \(type) block needs \(remaining) more label\(remaining == 1 ? "" : "s"): an object keyed by label is required") }
                for label in byLabel.keys.sorted() {
                    let p = join(path, label)
                    try blocks(type, byLabel[label]!, path: p, labels: labels + [label], labelRanges: labelRanges + [range(p)], remaining: remaining - 1, kind: kind, into: &body)
                }
                return
            }
            let items: [(JSONValue, String)]
            if case .array(let list) = value { items = list.enumerated().map { ($1, "\(path)[\($0)]") } } else { items = [(value, path)] }
            for (item, p) in items {
                let owner: String
                switch kind {
                case "override", "config", "plugin:provisioner", "plugin:post-processor", "plugin:error-cleanup-provisioner", "source", "content":
                    owner = "config"
                default: owner = kind
                }
                let inner = try decodeBody(item, path: p, owner: owner)
                body.blocks.append(HCLBlock(type: type, labels: labels, body: inner, range: range(p), labelRanges: labelRanges))
            }
        }

        func expression(_ value: JSONValue, path: String) throws(HCLDiagnostic) -> HCLExpression {
            let r = range(path)
            switch value {
            case .null: return .literal(.nullValue, r)
            case .bool(let b): return .literal(.bool(b), r)
            case .number(let n): return .literal(.number(Double(n) ?? 0), r)
            case .string(let s):
                let parts = try HCLParser.parseTemplate(Array(s.utf8), file: file, origin: r.start)
                return .template(parts, r)
            case .array(let items):
                var out: [HCLExpression] = []
                for (i, item) in items.enumerated() { out.append(try expression(item, path: "\(path)[\(i)]")) }
                return .tuple(out, r)
            case .object(let members):
                var out: [(key: HCLExpression, value: HCLExpression)] = []
                for key in members.keys.sorted() {
                    let p = join(path, key)
                    out.append((.template(try HCLParser.parseTemplate(Array(key.utf8), file: file, origin: range(p).start), range(p)), try expression(members[key]!, path: p)))
                }
                return .object(out, r)
            }
        }
    }
}
