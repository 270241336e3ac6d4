import FoundationEssentials

/// One source a build runs: the source block, the name it runs under, and the build's
/// `source "source.T.N" {}` overrides.
struct BuildSource {
    var key: String
    var type: String
    var name: String
    var block: HCLBlock
    var overrides: HCLBody?
    var range: HCLRange
    /// `T.N`, what `only` / `except` name.
    var selector: String { "\(type).\(name)" }
}

extension PackerHCLLoader {
    static let buildAttributes = ["description", "name", "sources"]
    static let buildBlocks = ["error-cleanup-provisioner", "hcp_packer_registry", "post-processor", "post-processors", "provisioner", "source"]

    mutating func decodeBuilds() {
        var chainList: [JSONValue] = []
        var provisioners: [JSONValue] = []
        var cleanups: [JSONValue] = []
        var builders: [JSONValue] = []
        for b in builds {
            checkBody(b.body, "a build block", attributes: PackerHCLLoader.buildAttributes, blocks: PackerHCLLoader.buildBlocks)
            var buildName: String?
            if let a = b.body.attribute("name"), let v = evaluate(a.expression, scope()) {
                if case .string(let s) = v, !s.isEmpty { buildName = s } else { fail(a.expression.range, "invalid value for name: a non-empty string is required") }
            }
            if let a = b.body.attribute("description"), let v = evaluate(a.expression, scope()), v.stringValue == nil {
                fail(a.expression.range, "invalid value for description: a string is required")
            }
            for r in b.body.blocks where r.type == "hcp_packer_registry" {
                fail(r.range, "hcp_packer_registry is not supported by this toolkit: it publishes image metadata to HCP Packer")
            }
            var list: [BuildSource] = []
            var used: Set<String> = []
            func add(_ key: String, _ r: HCLRange, overrides: HCLBody?, loader: inout PackerHCLLoader) {
                guard let s = loader.sources[key] else {
                    var message = "unknown source \(key): no source block defines it"
                    if let near = Suggest.closest(key, in: loader.sourceOrder) { message += " (did you mean \"\(near)\"?)" }
                    else if !key.hasPrefix("source.") { message += "; sources are named source.TYPE.NAME" }
                    loader.fail(r, message)
                    return
                }
                var entry = BuildSource(key: key, type: s.type, name: s.name, block: s.block, overrides: overrides, range: r)
                if let o = overrides, let n = o.attribute("name") {
                    if let v = loader.evaluate(n.expression, loader.scope()), case .string(let text) = v, !text.isEmpty { entry.name = text }
                    else { loader.fail(n.expression.range, "invalid value for name: a non-empty string is required") }
                }
                if !used.insert(entry.selector).inserted {
                    loader.fail(r, "duplicate source: \(entry.selector) is already used in this build; give it another name with source \"\(key)\" { name = \"...\" }")
                    return
                }
                list.append(entry)
            }
            if let a = b.body.attribute("sources") {
                if let v = evaluate(a.expression, scope()) {
                    if let items = v.elements, items.allSatisfy({ $0.stringValue != nil }) {
                        var k = 0
                        for item in items {
                            var r = a.expression.range
                            if case .tuple(let exprs, _) = a.expression, k < exprs.count { r = exprs[k].range }
                            add(item.stringValue!, r, overrides: nil, loader: &self)
                            k += 1
                        }
                    } else {
                        fail(a.expression.range, "invalid value for sources: a list of source names such as [\"source.alicloud-ecs.basic\"] is required")
                    }
                }
            }
            for s in b.body.blocks where s.type == "source" {
                guard labels(s, 1) else { continue }
                add(s.labels[0], s.labelRanges[0], overrides: s.body, loader: &self)
            }
            if list.isEmpty && b.body.attribute("sources") == nil && !b.body.blocks.contains(where: { $0.type == "source" }) {
                fail(b.range, "a build block needs sources: sources = [\"source.TYPE.NAME\"] or source \"source.TYPE.NAME\" {} blocks")
            }

            // The builders of this build.
            var rawNames: [String: String] = [:]
            for s in list {
                let rawName = (buildName.map { "\($0)." } ?? "") + s.selector
                rawNames[s.selector] = rawName
                builders.append(builderJSON(s, rawName: rawName))
            }
            let selectors = list.map(\.selector)

            // Provisioners, cleanup provisioner and post-processors, one copy per source
            // (each evaluated with its own source.name), limited to it with `only`.
            let buildObject = PackerHCLLoader.buildObject(buildName)
            for p in b.body.blocks where p.type == "provisioner" || p.type == "error-cleanup-provisioner" {
                guard labels(p, 1), knownPlugin(p, provisioner: true) else { continue }
                let cleanup = p.type == "error-cleanup-provisioner"
                if cleanup, b.body.blocks.filter({ $0.type == p.type }).count > 1, p.range != b.body.blocks.first(where: { $0.type == p.type })!.range {
                    fail(p.range, "duplicate error-cleanup-provisioner: a build has at most one")
                    continue
                }
                let targets = Set(selected(p, selectors))
                for s in list where targets.contains(s.selector) {
                    let path = cleanup ? "error-cleanup-provisioner[\(cleanups.count)]" : "provisioners[\(provisioners.count)]"
                    let json = pluginJSON(p, s, rawName: rawNames[s.selector]!, provisioner: true, path: path, build: buildObject)
                    if cleanup { cleanups.append(json) } else { provisioners.append(json) }
                }
            }
            var chains: [[HCLBlock]] = []
            for p in b.body.blocks {
                if p.type == "post-processor" {
                    chains.append([p])
                } else if p.type == "post-processors" {
                    guard labels(p, 0) else { continue }
                    checkBody(p.body, "a post-processors block", attributes: [], blocks: ["post-processor"])
                    let chain = p.body.blocks.filter { $0.type == "post-processor" }
                    if chain.isEmpty { fail(p.range, "empty post-processors block: it needs at least one post-processor block") }
                    chains.append(chain)
                }
            }
            for chain in chains {
                let valid = chain.filter { labels($0, 1) && knownPlugin($0, provisioner: false) }
                let targets = valid.map { Set(selected($0, selectors)) }
                for s in list {
                    var items: [JSONValue] = []
                    for (k, p) in valid.enumerated() where targets[k].contains(s.selector) {
                        let path = "post-processors[\(chainList.count)][\(items.count)]"
                        items.append(pluginJSON(p, s, rawName: rawNames[s.selector]!, provisioner: false, path: path, build: buildObject))
                    }
                    if !items.isEmpty { chainList.append(.array(items)) }
                }
            }
        }
        out.root["builders"] = .array(builders)
        out.root["provisioners"] = .array(provisioners)
        out.root["post-processors"] = .array(chainList)
        out.root["error-cleanup-provisioner"] = .array(cleanups)
    }

    /// Whether the plugin type is one this toolkit runs (else an error naming the supported ones).
    mutating func knownPlugin(_ p: HCLBlock, provisioner: Bool) -> Bool {
        let table = provisioner ? ProvisionerSchema.provisioners : ProvisionerSchema.postProcessors
        let type = p.labels[0]
        if table[type] != nil { return true }
        let what = provisioner ? "provisioner" : "post-processor"
        var message = "\(what) type \"\(type)\" is not supported by this toolkit (supported: \(table.keys.sorted().joined(separator: ", ")))"
        if let s = Suggest.closest(type, in: Array(table.keys)) { message += "; did you mean \"\(s)\"?" }
        fail(p.labelRanges[0], message)
        return false
    }

    /// `build.*`: the build's name, and Packer's run-time values left as `{{build}}` calls
    /// for the runner, as JSON templates leave them.
    static func buildObject(_ name: String?) -> HCLValue {
        var attrs: [String: HCLValue] = ["name": .string(name ?? "")]
        for key in TemplateEngine.buildDataNames { attrs[key] = .string("{{build `\(key)`}}") }
        return .object(attrs)
    }

    /// The selectors (`T.N`) a provisioner or post-processor runs on, after `only` / `except`;
    /// an unknown name is an error.
    mutating func selected(_ p: HCLBlock, _ selectors: [String]) -> [String] {
        var only: [String]?
        var except: [String]?
        for key in ["only", "except"] {
            guard let a = p.body.attribute(key), let v = evaluate(a.expression, scope()) else { continue }
            guard let items = v.elements, items.allSatisfy({ $0.stringValue != nil }) else {
                fail(a.expression.range, "invalid value for \(key): a list of source names such as [\"alicloud-ecs.basic\"] is required")
                continue
            }
            var names: [String] = []
            for item in items {
                var n = item.stringValue!
                if n.hasPrefix("source.") { n = String(n.dropFirst(7)) }
                // A bare source name (as hcl2_upgrade writes a JSON builder name) when it is unambiguous.
                let bare = selectors.filter { $0.hasSuffix(".\(n)") }
                if !n.contains("."), bare.count == 1 { n = bare[0] }
                if !selectors.contains(n) {
                    var message = "\(key): this build has no source named \"\(item.stringValue!)\""
                    if let s = Suggest.closest(n, in: selectors) { message += " (did you mean \"\(s)\"?)" }
                    message += "; its sources are \(selectors.joined(separator: ", "))"
                    fail(a.expression.range, message)
                }
                names.append(n)
            }
            if key == "only" { only = names } else { except = names }
        }
        if let a = p.body.attribute("override"), let v = evaluate(a.expression, scope(["source": .object(["name": .string(""), "type": .string("")]), "build": PackerHCLLoader.buildObject(nil)])),
           let byName = v.members {
            for key in byName.keys.sorted() {
                let n = key.hasPrefix("source.") ? String(key.dropFirst(7)) : key
                guard !selectors.contains(n), !selectors.contains(where: { $0.hasSuffix(".\(n)") }) else { continue }
                var message = "override for \"\(key)\": this build has no source of this name"
                if let s = Suggest.closest(n, in: selectors) { message += " (did you mean \"\(s)\"?)" }
                fail(a.expression.range, message)
            }
        }
        if only != nil && except != nil, let a = p.body.attribute("except") {
            fail(a.range, "give either \"only\" or \"except\", not both")
        }
        return selectors.filter { s in (only.map { $0.contains(s) } ?? true) && !(except?.contains(s) ?? false) }
    }

    mutating func note(_ path: String, _ r: HCLRange) {
        out.positions[path] = r.start
        out.files[path] = r.file
    }

    mutating func builderJSON(_ s: BuildSource, rawName: String) -> JSONValue {
        let path = "builders[\(builderCount)]"
        builderCount += 1
        note(path, s.block.range)
        note("\(path).type", s.block.labelRanges[0])
        note("\(path).name", s.range)
        out.labels[path] = s.key
        let sc = scope(["source": .object(["name": .string(s.name), "type": .string(s.type)])])
        var config = decode([(s.block.body, [:])], overrides: s.overrides, schema: AlicloudSchema.builder, scope: sc, path: path,
                            owner: "source \"\(s.type)\" \"\(s.block.labels[1])\"", reserved: [])
        config["type"] = .string(s.type)
        config["name"] = .string(rawName)
        return .object(config)
    }

    mutating func pluginJSON(_ p: HCLBlock, _ s: BuildSource, rawName: String, provisioner: Bool, path: String, build: HCLValue) -> JSONValue {
        let type = p.labels[0]
        let what = provisioner ? (p.type == "error-cleanup-provisioner" ? "error-cleanup-provisioner" : "provisioner") : "post-processor"
        note(path, p.range)
        note("\(path).type", p.labelRanges[0])
        out.labels[path] = "\(what).\(type)"
        let table = provisioner ? ProvisionerSchema.provisioners : ProvisionerSchema.postProcessors
        let schema = table[type]?.schema ?? ConfigSchema([])
        let sc = scope(["source": .object(["name": .string(s.name), "type": .string(s.type)]), "build": build])
        let reserved = provisioner ? ["only", "except", "override", "pause_before", "max_retries", "timeout"]
                                   : ["only", "except", "name", "keep_input_artifact"]
        var config = decode([(p.body, [:])], overrides: nil, schema: schema, scope: sc, path: path, owner: "\(what) \"\(type)\"",
                            reserved: reserved, knownType: table[type] != nil)
        for key in reserved where key != "only" && key != "except" && key != "override" {
            guard let a = p.body.attribute(key) else { continue }
            note("\(path).\(key)", a.expression.range)
            guard let v = evaluate(a.expression, sc) else {
                out.failedPaths.insert("\(path).\(key)")
                continue
            }
            if !v.isNull { config[key] = v.json }
        }
        if let a = p.body.attribute("override"), let v = evaluate(a.expression, sc) {
            guard let byName = v.members else {
                fail(a.expression.range, "invalid value for override: an object keyed by source name is required")
                return .object(config)
            }
            for key in byName.keys.sorted() {
                let n = key.hasPrefix("source.") ? String(key.dropFirst(7)) : key
                guard n == s.selector || n == s.name else { continue }
                guard let settings = byName[key]!.members else {
                    fail(a.expression.range, "invalid value for override.\(key): an object of settings is required")
                    continue
                }
                for (k, value) in settings where !value.isNull {
                    config[k] = value.json
                    note("\(path).\(k)", a.expression.range)
                }
            }
        }
        config["type"] = .string(type)
        config["only"] = .array([.string(rawName)])
        return .object(config)
    }

    /// Expands `dynamic "T" {}` blocks of a body into the blocks they stand for.
    mutating func expandDynamic(_ body: HCLBody, _ names: [String: HCLValue], _ sc: HCLScope) -> [BoundBlock] {
        var result: [BoundBlock] = []
        for b in body.blocks {
            guard b.type == "dynamic" else {
                result.append(BoundBlock(block: b, names: names))
                continue
            }
            guard labels(b, 1) else { continue }
            checkBody(b.body, "a dynamic block", attributes: ["for_each", "iterator", "labels"], blocks: ["content"])
            guard let forEach = b.body.attribute("for_each") else {
                fail(b.range, "missing required argument: the argument \"for_each\" is required in a dynamic block")
                continue
            }
            let contents = b.body.blocks.filter { $0.type == "content" }
            guard contents.count == 1 else {
                fail(b.range, contents.isEmpty ? "missing content block: a dynamic block needs one content {} block" : "duplicate content block: a dynamic block has exactly one")
                continue
            }
            var iterator = b.labels[0]
            if let i = b.body.attribute("iterator") {
                guard case .variable(let n, _) = i.expression else {
                    fail(i.expression.range, "invalid dynamic iterator name: a single name such as \"disk\" is required")
                    continue
                }
                iterator = n
            }
            var inner = sc
            for (k, v) in names { inner.names[k] = v }
            guard let collection = evaluate(forEach.expression, inner) else { continue }
            let pairs: [(HCLValue, HCLValue)]
            do { pairs = try HCLEvaluator.iterate(collection, forEach.expression.range) } catch {
                fail(forEach.expression.range, "invalid dynamic for_each value: cannot use a \(HCLEvaluator.typeName(collection)) value in for_each; an iterable collection is required")
                continue
            }
            for (k, v) in pairs {
                var bound = names
                bound[iterator] = .object(["key": k, "value": v])
                let block = HCLBlock(type: b.labels[0], labels: [], body: contents[0].body, range: b.range, labelRanges: [])
                result.append(BoundBlock(block: block, names: bound))
            }
        }
        return result
    }

    /// A body's attributes and nested blocks as a JSON object of the schema's keys; the
    /// schema's object and object-list fields are blocks (as the plugin's HCL2 spec has them).
    mutating func decode(_ bodies: [(HCLBody, [String: HCLValue])], overrides: HCLBody?, schema: ConfigSchema, scope sc: HCLScope,
                         path: String, owner: String, reserved: [String], knownType: Bool = true) -> [String: JSONValue] {
        var config: [String: JSONValue] = [:]
        var blockKinds: [String: FieldKind] = [:]
        for name in schema.order {
            switch schema.fields[name]!.kind {
            case .object, .objectList: blockKinds[name] = schema.fields[name]!.kind
            default: break
            }
        }
        var attributes: [(HCLAttribute, [String: HCLValue])] = []
        var blocks: [BoundBlock] = []
        for (body, names) in bodies {
            var inner = sc
            for (k, v) in names { inner.names[k] = v }
            attributes += body.attributes.map { ($0, names) }
            blocks += expandDynamic(body, names, inner)
        }
        if let o = overrides {
            // Packer: a build's source block adds settings; it cannot change the source's.
            for a in o.attributes where a.name != "name" {
                if let set = attributes.first(where: { $0.0.name == a.name }) {
                    fail(a.range, "duplicate argument: \"\(a.name)\" is already set by the source block at \(set.0.range); a build's source block can add settings, not change them")
                }
            }
            let replaced = Set(o.attributes.map(\.name))
            attributes = attributes.filter { !replaced.contains($0.0.name) } + o.attributes.filter { $0.name != "name" }.map { ($0, [:]) }
            let overridden = expandDynamic(o, [:], sc)
            let types = Set(overridden.map(\.block.type))
            blocks = blocks.filter { !types.contains($0.block.type) } + overridden
        }
        for (a, names) in attributes where !reserved.contains(a.name) {
            if blockKinds[a.name] != nil {
                fail(a.range, "unsupported argument: an argument named \"\(a.name)\" is not expected here; did you mean to define a block of type \"\(a.name)\"?")
                continue
            }
            var inner = sc
            for (k, v) in names { inner.names[k] = v }
            note("\(path).\(a.name)", a.range)
            guard let v = evaluate(a.expression, inner) else {
                out.failedPaths.insert("\(path).\(a.name)")
                continue
            }
            if v.isNull { continue }
            config[a.name] = v.json
        }
        var lists: [String: [JSONValue]] = [:]
        for bound in blocks {
            let b = bound.block
            guard let kind = blockKinds[b.type] else {
                guard knownType else { continue }
                var message = "unsupported block type: blocks of type \"\(b.type)\" are not expected in \(owner)"
                if schema.fields[b.type] != nil { message += "; did you mean to define an argument \"\(b.type) = ...\"?" }
                else if let s = Suggest.closest(b.type, in: Array(blockKinds.keys)) { message += " (did you mean \"\(s)\"?)" }
                fail(b.range, message)
                continue
            }
            if !b.labels.isEmpty { fail(b.labelRanges[0], "extraneous label for \(b.type): \(b.type) blocks take no labels") }
            switch kind {
            case .object(let sub):
                if config[b.type] != nil {
                    fail(b.range, "duplicate \(b.type) block: only one is allowed in \(owner)")
                    continue
                }
                let p = "\(path).\(b.type)"
                note(p, b.range)
                config[b.type] = .object(decode([(b.body, bound.names)], overrides: nil, schema: sub, scope: sc, path: p, owner: "a \(b.type) block", reserved: []))
            case .objectList(let sub):
                let p = "\(path).\(b.type)[\(lists[b.type, default: []].count)]"
                note(p, b.range)
                lists[b.type, default: []].append(.object(decode([(b.body, bound.names)], overrides: nil, schema: sub, scope: sc, path: p, owner: "a \(b.type) block", reserved: [])))
            default: break
            }
        }
        for (k, v) in lists { config[k] = .array(v) }
        return config
    }
}
