import FoundationEssentials

extension RenderState {
    // MARK: Builders

    func parseBuilders() -> [RawBuilder] {
        guard case .array(let items)? = root["builders"] else { return [] }
        var out: [RawBuilder] = []
        var byRaw: [String: Int] = [:]
        var byName: [String: Int] = [:]
        for (i, item) in items.enumerated() {
            let path = "builders[\(i)]"
            guard case .object(var config) = item else {
                sink.error(path, "expected a builder object, got \(describe(item))")
                continue
            }
            guard let type = config["type"]?.stringValue, !type.isEmpty else {
                sink.error(config["type"] == nil ? path : "\(path).type", config["type"] == nil ? "\"type\" is required" : "\"type\" must be a non-empty string")
                continue
            }
            guard TemplateRenderer.supportedBuilders.contains(type) else {
                sink.error("\(path).type", "builder type \"\(type)\" is not supported by this toolkit (supported: \(TemplateRenderer.supportedBuilders.joined(separator: ", ")))")
                continue
            }
            var rawName = type
            if let n = config["name"] {
                guard let s = n.stringValue, !s.isEmpty else {
                    sink.error("\(path).name", "\"name\" must be a non-empty string")
                    continue
                }
                rawName = s
            }
            if let other = byRaw[rawName] {
                sink.error(config["name"] == nil ? path : "\(path).name", "a builder named \"\(rawName)\" already exists (builders[\(other)]); give each a unique \"name\"")
                continue
            }
            byRaw[rawName] = i
            var name = rawName
            do {
                name = try TemplateEngine.render(rawName, scope(.core))
            } catch {
                sink.renderError("\(path).name", error)
                continue
            }
            if let other = byName[name] {
                sink.error("\(path).name", "the name renders to \"\(name)\", the same as builders[\(other)]'s")
                continue
            }
            byName[name] = i
            config.removeValue(forKey: "type")
            config.removeValue(forKey: "name")
            out.append(RawBuilder(index: i, type: type, rawName: rawName, name: name, config: config))
        }
        return out
    }

    mutating func builderConfig(_ build: RawBuilder) -> [String: JSONValue] {
        let path = "builders[\(build.index)]"
        let s = scope(.builder, build: build)
        let decoder = ConfigDecoder(sink: sink, environment: request.environment, pwd: request.pwd)
        if build.type == "qemu" { return qemuConfig(build, path: path, scope: s, decoder: decoder) }
        var rendered: [String: JSONValue] = [:]
        for (key, value) in build.config { rendered[key] = renderJSON(value, path: "\(path).\(key)", s) }
        var config = decoder.decode(rendered, schema: AlicloudSchema.builder, owner: path, source: { "\(path).\($0)" })
        AlicloudSchema.validateBuilder(&config, path: path, sink: sink, clock: request.clock)
        noteSensitive(config, AlicloudSchema.builder)
        return config
    }

    /// A qemu builder: boot_command and qemuargs keep {{ .HTTPIP }}, {{ .HTTPPort }} and
    /// {{ .Name }} for the run (Packer renders them then); user variables are filled in now.
    mutating func qemuConfig(_ build: RawBuilder, path: String, scope s: TemplateScope, decoder: ConfigDecoder) -> [String: JSONValue] {
        let late = scope(.provisioner, build: build)
        var rendered: [String: JSONValue] = [:]
        for (key, value) in build.config {
            rendered[key] = renderJSON(value, path: "\(path).\(key)", QemuSchema.runTimeKeys.contains(key) ? late : s)
        }
        var config = decoder.decode(rendered, schema: QemuSchema.builder, owner: path, source: { "\(path).\($0)" }, extraKeys: ["qemuargs"])
        config["qemuargs"] = QemuSchema.decodeQemuargs(rendered["qemuargs"], path: "\(path).qemuargs", sink: sink)
        QemuSchema.validate(&config, path: path, buildName: build.name, sink: sink, environment: request.environment, pwd: request.pwd)
        noteSensitive(config, QemuSchema.builder)
        return config
    }

    mutating func noteSensitive(_ config: [String: JSONValue], _ schema: ConfigSchema) {
        for key in schema.sensitiveKeys {
            if let v = config[key]?.stringValue, !v.isEmpty, !sensitiveValues.contains(v) { sensitiveValues.append(v) }
        }
    }

    /// Renders every string (and object key) of a value.
    func renderJSON(_ value: JSONValue, path: String, _ scope: TemplateScope) -> JSONValue {
        switch value {
        case .string(let s):
            guard TemplateEngine.hasActions(s) else { return value }
            do { return .string(try TemplateEngine.render(s, scope)) } catch {
                sink.renderError(path, error)
                return value
            }
        case .array(let items):
            return .array(items.enumerated().map { renderJSON($1, path: "\(path)[\($0)]", scope) })
        case .object(let members):
            var out: [String: JSONValue] = [:]
            for (k, v) in members {
                var key = k
                if TemplateEngine.hasActions(k) {
                    do { key = try TemplateEngine.render(k, scope) } catch { sink.renderError("\(path).\(k)", error) }
                }
                out[key] = renderJSON(v, path: "\(path).\(k)", scope)
            }
            return .object(out)
        default:
            return value
        }
    }

    // MARK: Provisioners and post-processors

    func parseProvisioners() -> [RawPlugin] {
        guard case .array(let items)? = root["provisioners"] else { return [] }
        return items.enumerated().compactMap { i, item in parsePlugin(item, path: "provisioners[\(i)]", provisioner: true) }
    }

    /// The cleanup provisioner (HCL2 templates have one per build, each limited to its builds).
    func parseCleanupProvisioners() -> [RawPlugin] {
        switch root["error-cleanup-provisioner"] {
        case .object?: return parsePlugin(root["error-cleanup-provisioner"]!, path: "error-cleanup-provisioner", provisioner: true).map { [$0] } ?? []
        case .array(let items)? where hcl:
            return items.enumerated().compactMap { parsePlugin($1, path: "error-cleanup-provisioner[\($0)]", provisioner: true) }
        default: return []
        }
    }

    func parsePostProcessors() -> [[RawPlugin]] {
        guard case .array(let items)? = root["post-processors"] else { return [] }
        var chains: [[RawPlugin]] = []
        for (i, item) in items.enumerated() {
            let path = "post-processors[\(i)]"
            switch item {
            case .string, .object:
                if let p = parsePlugin(item, path: path, provisioner: false) { chains.append([p]) }
            case .array(let sequence):
                var chain: [RawPlugin] = []
                for (j, element) in sequence.enumerated() {
                    let elementPath = "\(path)[\(j)]"
                    switch element {
                    case .string, .object:
                        if let p = parsePlugin(element, path: elementPath, provisioner: false) { chain.append(p) }
                    case .array:
                        sink.error(elementPath, "a sequence cannot be nested in a sequence")
                    default:
                        sink.error(elementPath, "expected a post-processor name or object, got \(describe(element))")
                    }
                }
                if !chain.isEmpty { chains.append(chain) }
            default:
                sink.error(path, "expected a post-processor name, object or sequence, got \(describe(item))")
            }
        }
        return chains
    }

    func parsePlugin(_ item: JSONValue, path: String, provisioner: Bool) -> RawPlugin? {
        let what = provisioner ? "provisioner" : "post-processor"
        let table = provisioner ? ProvisionerSchema.provisioners : ProvisionerSchema.postProcessors
        var config: [String: JSONValue]
        switch item {
        case .string(let t): config = ["type": .string(t)]
        case .object(let o): config = o
        default:
            sink.error(path, "expected a \(what) object, got \(describe(item))")
            return nil
        }
        guard let type = config["type"]?.stringValue, !type.isEmpty else {
            sink.error(config["type"] == nil ? path : "\(path).type", config["type"] == nil ? "\"type\" is required" : "\"type\" must be a non-empty string")
            return nil
        }
        guard table[type] != nil else {
            var message = "\(what) type \"\(type)\" is not supported by this toolkit (supported: \(table.keys.sorted().joined(separator: ", ")))"
            if let s = Suggest.closest(type, in: Array(table.keys)) { message += "; did you mean \"\(s)\"?" }
            sink.error("\(path).type", message)
            return nil
        }
        config.removeValue(forKey: "type")
        var plugin = RawPlugin(path: path, type: type, name: type, config: [:])
        func names(_ key: String) -> [String]? {
            guard let v = config.removeValue(forKey: key) else { return nil }
            guard case .array(let items) = v, items.allSatisfy({ $0.stringValue != nil }) else {
                sink.error("\(path).\(key)", "expected an array of builder names, got \(describe(v))")
                return nil
            }
            return items.compactMap(\.stringValue)
        }
        plugin.only = names("only")
        plugin.except = names("except")
        if plugin.only != nil && plugin.except != nil {
            sink.error("\(path).except", "give either \"only\" or \"except\", not both")
        }
        if provisioner {
            if let o = config.removeValue(forKey: "override") {
                if case .object(let byName) = o {
                    for (name, value) in byName {
                        guard case .object(let keys) = value else {
                            sink.error("\(path).override.\(name)", "expected an object of settings, got \(describe(value))")
                            continue
                        }
                        plugin.override[name] = keys
                    }
                } else {
                    sink.error("\(path).override", "expected an object keyed by builder name, got \(describe(o))")
                }
            }
            for key in ["pause_before", "timeout"] {
                guard let v = config.removeValue(forKey: key) else { continue }
                let seconds: Double?
                if case .string(let s) = v { seconds = parseGoDuration(s) } else { seconds = nil }
                if let seconds, seconds >= 0 {
                    if key == "pause_before" { plugin.pauseBefore = seconds } else { plugin.timeout = seconds }
                } else if case .number(let n) = v {
                    sink.error("\(path).\(key)", "expected a duration with a unit such as \"\(n)s\", got the number \(n) (Packer would read it as \(n) nanoseconds)")
                } else {
                    sink.error("\(path).\(key)", "expected a duration such as \"30s\" or \"5m\", got \(describe(v))")
                }
            }
            if let v = config.removeValue(forKey: "max_retries") {
                var text = weakString(v) ?? ""
                do { text = try TemplateEngine.render(text, scope(.core)) } catch { sink.renderError("\(path).max_retries", error) }
                if let n = Int(text), n >= 0 { plugin.maxRetries = n } else if weakString(v) != nil {
                    sink.error("\(path).max_retries", "expected a number of retries, got \"\(text)\"")
                } else {
                    sink.error("\(path).max_retries", "expected a number of retries, got \(describe(v))")
                }
            }
        } else {
            if let n = config.removeValue(forKey: "name") {
                if let s = n.stringValue, !s.isEmpty { plugin.name = s } else { sink.error("\(path).name", "\"name\" must be a non-empty string") }
            }
            if let k = config.removeValue(forKey: "keep_input_artifact") {
                if let b = weakBool(k) { plugin.keepInputArtifact = b } else { sink.error("\(path).keep_input_artifact", "expected a boolean (true or false), got \(describe(k))") }
            }
        }
        plugin.config = config
        return plugin
    }

    func checkSelectors(_ plugins: [RawPlugin], _ rawNames: Set<String>) {
        for p in plugins {
            for (key, list) in [("only", p.only), ("except", p.except)] {
                for (k, name) in (list ?? []).enumerated() where !rawNames.contains(name) {
                    var message = "no builder is named \"\(name)\""
                    if let s = Suggest.closest(name, in: Array(rawNames)) { message += " (did you mean \"\(s)\"?)" }
                    message += "; \(key) uses the builder names as written, before interpolation"
                    sink.error("\(p.path).\(key)[\(k)]", message)
                }
            }
            for name in p.override.keys.sorted() where !rawNames.contains(name) {
                var message = "override for \"\(name)\": no builder has this name"
                if let s = Suggest.closest(name, in: Array(rawNames)) { message += " (did you mean \"\(s)\"?)" }
                sink.error("\(p.path).override.\(name)", message)
            }
        }
    }

    /// For each builder (by raw name), the indexes of the groups (a provisioner, or a
    /// post-processor chain) with a plugin that applies to it, in order.
    static func applicable(_ groups: [[RawPlugin]], to builders: [RawBuilder]) -> [String: [Int]] {
        var result: [String: [Int]] = [:]
        let all = builders.map(\.rawName)
        let known = Set(all)
        for (i, group) in groups.enumerated() {
            var names: Set<String> = []
            for p in group {
                if let only = p.only { names.formUnion(only) } else { names.formUnion(all.filter { !(p.except ?? []).contains($0) }) }
            }
            for name in names where known.contains(name) { result[name, default: []].append(i) }
        }
        return result
    }

    func applies(_ p: RawPlugin, to build: RawBuilder) -> Bool {
        if let only = p.only { return only.contains(build.rawName) }
        if let except = p.except { return !except.contains(build.rawName) }
        return true
    }

    mutating func pluginConfig(_ p: RawPlugin, _ build: RawBuilder, type: PluginType, phase: RenderPhase) -> [String: JSONValue] {
        var merged = p.config
        var origin: [String: String] = [:]
        for (key, value) in p.override[build.rawName] ?? [:] {
            merged[key] = value
            origin[key] = "\(p.path).override.\(build.rawName).\(key)"
        }
        let source: (String) -> String = { origin[$0] ?? "\(p.path).\($0)" }
        let s = scope(phase, build: build)
        let unrendered = type.schema.unrenderedKeys
        var rendered: [String: JSONValue] = [:]
        for (key, value) in merged { rendered[key] = unrendered.contains(key) ? value : renderJSON(value, path: source(key), s) }
        let decoder = ConfigDecoder(sink: sink, environment: request.environment, pwd: request.pwd)
        var config = decoder.decode(rendered, schema: type.schema, owner: p.path, source: source,
                                    ignoredKeys: phase == .postProcessor && p.type == "alicloud-import" ? AlicloudSchema.importIgnored : [:])
        type.finish(&config, p.path, sink, request.clock, request.pwd)
        noteSensitive(config, type.schema)
        return config
    }

    mutating func provisionerPlan(_ p: RawPlugin, _ build: RawBuilder) -> JSONValue {
        let type = ProvisionerSchema.provisioners[p.type]!
        if p.pauseBefore > 0 && p.timeout > 0 {
            sink.warning("\(p.path).timeout", "Packer 1.6.6 ignores \"timeout\" when \"pause_before\" is set; the plan keeps both")
        }
        return .object([
            "type": .string(p.type),
            "pause_before": .double(p.pauseBefore),
            "max_retries": .int(p.maxRetries),
            "timeout": .double(p.timeout),
            "config": .object(pluginConfig(p, build, type: type, phase: .provisioner)),
        ])
    }

    mutating func postProcessorPlan(_ p: RawPlugin, _ build: RawBuilder) -> JSONValue {
        let type = ProvisionerSchema.postProcessors[p.type]!
        return .object([
            "type": .string(p.type),
            "name": .string(p.name),
            "keep_input_artifact": .bool(p.keepInputArtifact ?? type.keepInputDefault),
            "config": .object(pluginConfig(p, build, type: type, phase: .postProcessor)),
        ])
    }

    // MARK: Sensitive values

    /// Every plan path (in the --query language) whose string contains a sensitive value.
    func sensitivePaths(_ plan: JSONValue) -> [String] {
        let values = sensitiveValues.filter { !$0.isEmpty }
        guard !values.isEmpty else { return [] }
        let lengths = values.map(\.utf8.count)
        // The steps to each string holding one; paths are written (and put in the order of
        // sorted keys) only for those, not for every value of the plan.
        enum Step { case key(String), index(Int) }
        var found: [[Step]] = []
        var steps: [Step] = []
        func walk(_ v: JSONValue) {
            switch v {
            case .string(let s):
                let n = s.utf8.count
                if values.indices.contains(where: { n >= lengths[$0] && s.contains(values[$0]) }) { found.append(steps) }
            case .array(let items):
                for (k, item) in items.enumerated() {
                    steps.append(.index(k))
                    walk(item)
                    steps.removeLast()
                }
            case .object(let members):
                for (key, value) in members where !(steps.isEmpty && key == "sensitive") {
                    steps.append(.key(key))
                    walk(value)
                    steps.removeLast()
                }
            default: break
            }
        }
        walk(plan)
        func precedes(_ a: [Step], _ b: [Step]) -> Bool {
            for (x, y) in zip(a, b) {
                switch (x, y) {
                case (.key(let p), .key(let q)) where p != q: return p < q
                case (.index(let p), .index(let q)) where p != q: return p < q
                default: continue
                }
            }
            return a.count < b.count
        }
        return found.sorted(by: precedes).map { path in
            path.reduce("") { text, step in
                switch step {
                case .key(let k): return RenderState.queryPath(text, k)
                case .index(let k): return "\(text)[\(k)]"
                }
            }
        }
    }

    /// Appends a key to a --query path, quoting it when needed.
    static func queryPath(_ base: String, _ key: String) -> String {
        let plain = !key.isEmpty && !key.contains(where: { $0 == "." || $0 == "[" || $0 == "]" || $0 == "\"" })
        if plain { return base.isEmpty ? key : "\(base).\(key)" }
        return "\(base)[\"\(key)\"]"
    }
}
