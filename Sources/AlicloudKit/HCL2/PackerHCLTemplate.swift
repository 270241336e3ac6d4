import FoundationEssentials

/// An HCL2 template decoded into what the plan builder reads: the same `builders`,
/// `provisioners`, `post-processors` and cleanup provisioners a JSON template gives it,
/// with the HCL source location of every path.
struct PackerHCLTemplate {
    /// `builders`, `provisioners`, `post-processors`, `error-cleanup-provisioner` (an array here).
    var root: [String: JSONValue] = [:]
    /// Where each plan-builder path is.
    var positions: [String: SourcePosition] = [:]
    /// The file of each plan-builder path.
    var files: [String: String] = [:]
    /// How each plan-builder path prefix is named in messages (`source.alicloud-ecs.basic`).
    var labels: [String: String] = [:]
    /// The values of sensitive variables and locals (their string leaves).
    var sensitiveValues: [String] = []
    /// Problems found, all of them.
    var diagnostics: [TemplateDiagnostic] = []
    /// Warnings.
    var warnings: [TemplateDiagnostic] = []
    /// Plan-builder paths whose expression failed (already reported: no "is required" after).
    var failedPaths: Set<String> = []
    /// The variables' values as text, for `{{user `name`}}` in plugin settings (Packer passes
    /// them to plugins as packer_user_variables in HCL2 too).
    var userVariables: [String: String] = [:]
    /// Whether every file parsed (the plan builder runs only then).
    var parsed = true
}

/// The version of Packer whose HCL2 language this toolkit follows (`packer.version`,
/// `required_version`).
enum PackerHCL {
    static let packerVersion = "1.11.2"
    /// The file name endings of an HCL2 template.
    static func isHCL(_ path: String) -> Bool {
        path.hasSuffix(".pkr.hcl") || path.hasSuffix(".pkr.json") || path.hasSuffix(".hcl")
    }

    /// What a template on standard input is written in.
    enum Syntax { case legacyJSON, hcl, hclJSON }

    /// Standard input has no file name, so its content decides: anything but a JSON object
    /// is HCL's native syntax; a JSON object is HCL2's JSON syntax when it has a key only HCL2
    /// has at the top (`build`, `source`, `variable`, ...) and no `builders`, else a legacy
    /// JSON template (whose own messages then explain what is wrong with it).
    static func stdinSyntax(_ bytes: [UInt8]) -> Syntax {
        var start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        while start < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[start]) { start += 1 }
        guard start < bytes.count, bytes[start] == UInt8(ascii: "{") else { return start < bytes.count ? .hcl : .legacyJSON }
        guard case .object(let root)? = try? JSONParser.parseDocument(bytes).value, root["builders"] == nil,
              root.keys.contains(where: { hclOnlyKeys.contains($0) }) else { return .legacyJSON }
        return .hclJSON
    }

    /// Top-level keys of an HCL2 JSON template that a legacy JSON template never has.
    static let hclOnlyKeys: Set<String> = ["build", "data", "local", "locals", "packer", "source", "variable"]
}

/// A block and the iterator values a `dynamic` block bound for its content.
struct BoundBlock {
    var block: HCLBlock
    var names: [String: HCLValue]
}

/// Loads the files of an HCL2 template and decodes Packer's blocks.
struct PackerHCLLoader {
    let request: RenderRequest
    let display: String
    let templateDir: String
    var out = PackerHCLTemplate()
    var sources: [String: (type: String, name: String, block: HCLBlock)] = [:]
    var sourceOrder: [String] = []
    var builds: [HCLBlock] = []
    var variables: [String: HCLValue] = [:]
    var locals: [String: HCLValue] = [:]
    var failedNames: Set<String> = []
    var builderCount = 0
    var provisionerCount = 0
    var cleanupCount = 0
    var chains: [JSONValue] = []

    init(request: RenderRequest, display: String, templateDir: String) {
        self.request = request
        self.display = display
        self.templateDir = templateDir
    }

    mutating func fail(_ d: HCLDiagnostic) {
        // Line 0: a value from the command line or the environment, which has no position.
        if d.range.start.line == 0 {
            out.diagnostics.append(TemplateDiagnostic(file: "command line", position: nil, path: d.range.file, message: d.message))
            return
        }
        out.diagnostics.append(TemplateDiagnostic(file: d.range.file, position: d.range.start, path: "", message: d.message))
    }

    mutating func fail(_ r: HCLRange, _ message: String) { fail(HCLDiagnostic(r, message)) }

    mutating func warn(_ r: HCLRange, _ message: String) {
        out.warnings.append(TemplateDiagnostic(file: r.file, position: r.start, path: "", message: message))
    }

    /// Reads `files` (template files) and `varFiles` (auto var files), decodes, and returns the template.
    static func load(_ request: RenderRequest, display: String, templatePath: String, templateDir: String) throws -> PackerHCLTemplate {
        guard templatePath == "-" || FileManager.default.fileExists(atPath: templatePath) else {
            throw ToolError(.noInput, "\(display): no such file")
        }
        var files: [(String, String)] = []
        var autoVarFiles: [(String, String)] = []
        if templatePath != "-" && Paths.isDirectory(templatePath) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: templatePath)) ?? []).sorted()
            for n in names {
                let shown = display == "." ? n : Paths.join(display, n)
                let full = Paths.join(templatePath, n)
                if n.hasSuffix(".pkr.hcl") || n.hasSuffix(".pkr.json") { files.append((shown, full)) }
                if n.hasSuffix(".auto.pkrvars.hcl") || n.hasSuffix(".auto.pkrvars.json") { autoVarFiles.append((shown, full)) }
            }
            if files.isEmpty { throw ToolError(.noInput, "\(display): no *.pkr.hcl or *.pkr.json file in this directory") }
        } else {
            files = [(display, templatePath)]
        }
        var loader = PackerHCLLoader(request: request, display: display, templateDir: templateDir)
        var bodies: [HCLBody] = []
        for (shown, full) in files {
            // Standard input: its bytes came with the request, its content tells its syntax.
            let bytes = full == "-" ? request.templateBytes ?? [] : try RenderState.read(full)
            let json = full == "-" ? PackerHCL.stdinSyntax(bytes) == .hclJSON : full.hasSuffix(".json")
            switch PackerHCLLoader.parse(bytes, json: json, shown) {
            case .success(let body): bodies.append(body)
            case .failure(let d): loader.fail(d)
            }
        }
        if !loader.out.diagnostics.isEmpty {
            loader.out.parsed = false
            return loader.out
        }
        loader.collect(bodies)
        try loader.decodeVariables(autoVarFiles: autoVarFiles)
        for (name, value) in loader.variables {
            if case .string(let text)? = try? value.converted(to: .string) { loader.out.userVariables[name] = text }
        }
        loader.decodeLocals(bodies)
        loader.decodeBuilds()
        return loader.out
    }

    static func parse(_ bytes: [UInt8], json: Bool, _ shown: String) -> Result<HCLBody, HCLDiagnostic> {
        do {
            if json { return .success(try PackerHCLJSON.body(bytes, file: shown)) }
            return .success(try HCLParser.parse(bytes, file: shown))
        } catch {
            return .failure(error)
        }
    }

    // MARK: Top level

    static let topBlocks = ["build", "data", "locals", "local", "packer", "source", "variable", "variables"]

    var variableBlocks: [HCLBlock] = []

    mutating func collect(_ bodies: [HCLBody]) {
        for body in bodies {
            for a in body.attributes {
                fail(a.range, "unsupported argument: an argument named \"\(a.name)\" is not expected at the top level; only blocks are (\(PackerHCLLoader.topBlocks.joined(separator: ", ")))")
            }
            for b in body.blocks {
                switch b.type {
                case "packer":
                    guard labels(b, 0) else { continue }
                    decodePacker(b)
                case "variable":
                    guard labels(b, 1) else { continue }
                    if let other = variableBlocks.first(where: { $0.labels[0] == b.labels[0] }) {
                        fail(b.labelRanges[0], "duplicate variable: a variable named \"\(b.labels[0])\" was already declared at \(other.range)")
                        continue
                    }
                    variableBlocks.append(b)
                case "variables":
                    // The legacy shorthand: each `name = default` declares a variable whose
                    // type is its default's.
                    guard labels(b, 0) else { continue }
                    for inner in b.body.blocks {
                        fail(inner.range, "unexpected block: a variables block holds only name = default assignments, not \(inner.type) blocks")
                    }
                    for a in b.body.attributes {
                        if let other = variableBlocks.first(where: { $0.labels[0] == a.name }) {
                            fail(a.range, "duplicate variable: a variable named \"\(a.name)\" was already declared at \(other.range)")
                            continue
                        }
                        let body = HCLBody(attributes: [HCLAttribute(name: "default", expression: a.expression, range: a.range)], range: a.range)
                        variableBlocks.append(HCLBlock(type: "variables", labels: [a.name], body: body, range: a.range, labelRanges: [a.range]))
                    }
                case "source":
                    guard labels(b, 2) else { continue }
                    let key = "source.\(b.labels[0]).\(b.labels[1])"
                    guard TemplateRenderer.supportedBuilders.contains(b.labels[0]) else {
                        fail(b.labelRanges[0], "builder type \"\(b.labels[0])\" is not supported by this toolkit (supported: \(TemplateRenderer.supportedBuilders.joined(separator: ", ")))")
                        continue
                    }
                    if let other = sources[key] {
                        fail(b.labelRanges[1], "duplicate source: \(key) was already defined at \(other.block.range)")
                        continue
                    }
                    sources[key] = (b.labels[0], b.labels[1], b)
                    sourceOrder.append(key)
                case "build":
                    guard labels(b, 0) else { continue }
                    builds.append(b)
                case "data":
                    fail(b.range, "data sources are not supported by this toolkit (data \"\(b.labels.first ?? "")\"): give the value with a variable instead")
                case "locals", "local":
                    break
                default:
                    var message = "unsupported block type: blocks of type \"\(b.type)\" are not expected here"
                    if let s = Suggest.closest(b.type, in: PackerHCLLoader.topBlocks) { message += " (did you mean \"\(s)\"?)" }
                    fail(b.range, message)
                }
            }
        }
        if builds.isEmpty && out.diagnostics.isEmpty {
            fail(HCLRange(file: display, line: 1, column: 1), "no build block: at least one build {} block with sources is needed")
        }
    }

    /// Checks a block's label count (Packer's wording).
    mutating func labels(_ b: HCLBlock, _ count: Int, names: String? = nil) -> Bool {
        if b.labels.count == count { return true }
        let what = names ?? (count == 0 ? "no labels" : count == 1 ? "one label" : "\(count) labels")
        let r = b.labels.count > count ? b.labelRanges[count] : b.range
        fail(r, b.labels.count > count ? "extraneous label for \(b.type): \(b.type) blocks take \(what)" : "missing label for \(b.type): \(b.type) blocks take \(what)")
        return false
    }

    /// Attributes and blocks a body may hold; reports every other one.
    mutating func checkBody(_ body: HCLBody, _ owner: String, attributes: [String], blocks: [String]) {
        for a in body.attributes where !attributes.contains(a.name) {
            var message = "unsupported argument: an argument named \"\(a.name)\" is not expected in \(owner)"
            if blocks.contains(a.name) { message += "; did you mean to define a block of type \"\(a.name)\"?" }
            else if let s = Suggest.closest(a.name, in: attributes) { message += " (did you mean \"\(s)\"?)" }
            fail(a.range, message)
        }
        for b in body.blocks where !blocks.contains(b.type) {
            var message = "unsupported block type: blocks of type \"\(b.type)\" are not expected in \(owner)"
            if attributes.contains(b.type) { message += "; did you mean to define an argument \"\(b.type) = ...\"?" }
            else if let s = Suggest.closest(b.type, in: blocks) { message += " (did you mean \"\(s)\"?)" }
            fail(b.range, message)
        }
    }

    // MARK: packer {}

    mutating func decodePacker(_ b: HCLBlock) {
        checkBody(b.body, "a packer block", attributes: ["required_version"], blocks: ["required_plugins"])
        let scope = HCLScope(names: [:], functions: functionContext())
        if let a = b.body.attribute("required_version") {
            do {
                guard case .string(let constraint) = try HCLEvaluator.evaluate(a.expression, scope) else {
                    fail(a.expression.range, "required_version: a version constraint string is required")
                    return
                }
                switch VersionConstraint.check(PackerHCL.packerVersion, constraint) {
                case .ok: break
                case .invalid(let why): fail(a.expression.range, "required_version: invalid version constraint \"\(constraint)\": \(why)")
                case .unmet: fail(a.expression.range, "unsupported Packer version: this template requires Packer \(constraint); tmpl-render follows the HCL2 templates of Packer \(PackerHCL.packerVersion)")
                }
            } catch {
                fail(error)
            }
        }
        for plugins in b.body.blocks where plugins.type == "required_plugins" {
            for a in plugins.body.attributes {
                let value = (try? HCLEvaluator.evaluate(a.expression, scope)) ?? .nullValue
                let source = value.members?["source"]?.stringValue ?? ""
                let known = ["alicloud": "github.com/hashicorp/alicloud", "ansible": "github.com/hashicorp/ansible"]
                let usable = a.name == "alicloud" || (a.name == "ansible" && ProvisionerSchema.provisioners["ansible"] != nil)
                if !usable || (known[a.name].map { !source.isEmpty && source != $0 } ?? true) {
                    fail(a.range, "required plugin \"\(a.name)\"\(source.isEmpty ? "" : " (\(source))") is not supported by this toolkit: it runs the alicloud plugin's alicloud-ecs builder and alicloud-import post-processor, with its own provisioners")
                }
            }
        }
    }

    func functionContext(envAllowed: Bool = false) -> HCLFunctionContext {
        HCLFunctionContext(baseDir: templateDir, pwd: request.pwd, environment: request.environment, clock: request.clock, envAllowed: envAllowed)
    }

    /// The names every expression outside a build sees.
    var baseNames: [String: HCLValue] {
        [
            "var": .object(variables),
            "local": .object(locals),
            "path": .object(["root": .string(templateDir), "cwd": .string(request.pwd)]),
            "packer": .object(["version": .string(PackerHCL.packerVersion)]),
        ]
    }

    func scope(_ extra: [String: HCLValue] = [:]) -> HCLScope {
        var names = baseNames
        for (k, v) in extra { names[k] = v }
        var s = HCLScope(names: names, functions: functionContext())
        if extra["source"] == nil { s.refused["source"] = "source.* is only available inside a build's source, provisioner and post-processor blocks" }
        if extra["build"] == nil { s.refused["build"] = "build.* is only available inside a build's provisioner and post-processor blocks" }
        return s
    }

    /// Whether an expression reads a variable or local that already failed (no second error).
    func readsFailed(_ e: HCLExpression) -> Bool {
        e.references().contains { r in
            guard let a = r.attribute, r.root == "var" || r.root == "local" else { return false }
            return failedNames.contains("\(r.root).\(a)")
        }
    }

    mutating func evaluate(_ e: HCLExpression, _ s: HCLScope) -> HCLValue? {
        if readsFailed(e) { return nil }
        do { return try HCLEvaluator.evaluate(e, s) } catch {
            fail(error)
            return nil
        }
    }
}

/// Checks a version against a Packer/Go constraint string (`>= 1.7.0, < 2.0`, `~> 1.8`).
enum VersionConstraint {
    enum Result { case ok, unmet, invalid(String) }

    static func parse(_ s: String) -> [Int]? {
        let core = s.split(separator: "-")[0].split(separator: "+")[0]
        let parts = core.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }
    }

    static func compare(_ a: [Int], _ b: [Int]) -> Int {
        for i in 0..<3 {
            let x = i < a.count ? a[i] : 0, y = i < b.count ? b[i] : 0
            if x != y { return x < y ? -1 : 1 }
        }
        return 0
    }

    static func check(_ version: String, _ constraints: String) -> Result {
        guard let v = parse(version) else { return .invalid("bad version") }
        for raw in constraints.split(separator: ",") {
            var c = raw.trimmingBlanks()
            var op = "="
            for candidate in [">=", "<=", "!=", "~>", ">", "<", "="] where c.hasPrefix(candidate) {
                op = candidate
                c = c.dropFirst(candidate.count).trimmingBlanks()
                break
            }
            guard let w = parse(c.hasPrefix("v") ? String(c.dropFirst()) : c) else { return .invalid("\"\(c)\" is not a version") }
            let cmp = compare(v, w)
            let ok: Bool
            switch op {
            case ">=": ok = cmp >= 0
            case "<=": ok = cmp <= 0
            case ">": ok = cmp > 0
            case "<": ok = cmp < 0
            case "!=": ok = cmp != 0
            case "~>":
                // ~> 1.8 allows 1.x >= 1.8; ~> 1.8.2 allows 1.8.x >= 1.8.2.
                let fixed = max(1, w.count - 1)
                ok = cmp >= 0 && Array(v.prefix(fixed)) == Array(w.prefix(fixed))
            default: ok = cmp == 0
            }
            if !ok { return .unmet }
        }
        return .ok
    }
}
