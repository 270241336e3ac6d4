import FoundationEssentials

/// What to render: the template, the variables from the command line, the selection.
public struct RenderRequest: Sendable {
    /// The template path as the user gave it, or `-` for standard input.
    public var templatePath: String
    /// The template's bytes when it came from standard input.
    public var templateBytes: [UInt8]?
    /// `-var` assignments and `-var-file` paths, in command-line order. They apply as Packer's
    /// binaries apply them (`inPrecedenceOrder`): after defaults (and for HCL2 after `PKR_VAR_`
    /// and auto var files), every var file in turn, then every `-var` in turn.
    public var variableInputs: [VariableInput] = []
    /// `variableInputs` in the order they apply: the var files, then the assignments, each in
    /// command-line order, so a later one wins and any `-var` beats any var file (Packer 1.6.6
    /// and current Packer, for JSON and HCL2 alike).
    public var inPrecedenceOrder: [VariableInput] {
        variableInputs.filter { if case .file = $0 { return true } else { return false } }
            + variableInputs.filter { if case .assignment = $0 { return true } else { return false } }
    }
    /// `-only` build names (empty: all).
    public var only: [String] = []
    /// `-except` build or post-processor names.
    public var except: [String] = []
    /// The environment (`env`, credential defaults).
    public var environment: [String: String]
    /// The current directory (relative paths, `pwd`).
    public var pwd: String
    /// The one clock of the render.
    public var clock: RenderClock

    /// Makes a request.
    public init(templatePath: String, templateBytes: [UInt8]? = nil, environment: [String: String], pwd: String, clock: RenderClock) {
        self.templatePath = templatePath
        self.templateBytes = templateBytes
        self.environment = environment
        self.pwd = pwd
        self.clock = clock
    }
}

/// One `-var name=value` or `-var-file path` of the command line.
public enum VariableInput: Sendable, Equatable {
    /// `-var name=value`.
    case assignment(name: String, value: String)
    /// `-var-file path`.
    case file(String)
}

/// A rendered plan and what was noticed on the way.
public struct RenderResult: Sendable {
    /// The plan document (see tmpl-render(1)).
    public var plan: JSONValue
    /// Warnings, sorted.
    public var warnings: [TemplateDiagnostic]
    /// Every sensitive value found (never print these).
    public var sensitiveValues: [String]
}

/// Turns a Packer JSON template into the resolved build plan.
public enum TemplateRenderer {
    /// The builder types the toolkit can run.
    public static let supportedBuilders = ["alicloud-ecs", "qemu"]
    static let rootKeys = ["builders", "description", "error-cleanup-provisioner", "min_packer_version", "post-processors",
                           "provisioners", "push", "sensitive-variables", "variables"]

    /// Renders the request. Throws `TemplateProblems` for a bad template (every problem),
    /// or a `ToolError` for an unreadable file (66) or a selection that matches nothing (64).
    public static func render(_ request: RenderRequest) throws -> RenderResult {
        var state = try RenderState(request)
        return try state.run()
    }
}

/// Where a variable's value came from, for messages.
struct VariableSource {
    var file: String
    var position: SourcePosition?
    var path: String
}

struct RawBuilder {
    var index: Int
    var type: String
    var rawName: String
    var name: String
    var config: [String: JSONValue]
}

struct RawPlugin {
    var path: String
    var type: String
    var name: String
    var only: [String]?
    var except: [String]?
    var override: [String: [String: JSONValue]] = [:]
    var config: [String: JSONValue]
    var pauseBefore = 0.0
    var timeout = 0.0
    var maxRetries = 0
    var keepInputArtifact: Bool?
}

struct RenderState {
    let request: RenderRequest
    let display: String
    let templatePath: String
    let templateDir: String
    let sink: DiagnosticSink
    var root: [String: JSONValue] = [:]
    var variableRaw: [String: String] = [:]
    var variableSource: [String: VariableSource] = [:]
    var resolved: [String: String] = [:]
    var failed: Set<String> = []
    var resolving: [String] = []
    var sensitiveValues: [String] = []
    /// Whether the template is HCL2 (its variables and locals are already evaluated).
    var hcl = false

    init(_ request: RenderRequest) throws {
        self.request = request
        let bytes: [UInt8]
        let stdin = request.templatePath == "-"
        // A directory holds HCL2 files; a path named *.pkr.hcl is taken as a file.
        let isDirectory = !stdin && !PackerHCL.isHCL(request.templatePath) && Paths.isDirectory(request.templatePath)
        if stdin ? PackerHCL.stdinSyntax(request.templateBytes ?? []) != .legacyJSON
            : PackerHCL.isHCL(request.templatePath) || isDirectory {
            // HCL2: its front end gives the plan builder what a JSON template would.
            display = stdin ? "<stdin>" : request.templatePath
            templatePath = stdin ? "-" : ConfigDecoder.absolute(request.templatePath, pwd: request.pwd)
            templateDir = stdin ? request.pwd : isDirectory ? templatePath : Paths.parent(templatePath)
            hcl = true
            let template = try PackerHCLLoader.load(request, display: display, templatePath: templatePath, templateDir: templateDir)
            sink = DiagnosticSink(file: display, positions: template.positions)
            sink.files = template.files
            sink.labels = template.labels
            sink.failedPaths = template.failedPaths
            for d in template.diagnostics { sink.add(d, warning: false) }
            for w in template.warnings { sink.add(w, warning: true) }
            // Past syntax errors, the plan builder still runs to report its problems too.
            if !template.parsed { throw sink.problems }
            root = template.root
            resolved = template.userVariables
            sensitiveValues = template.sensitiveValues
            return
        }
        if request.templatePath == "-" {
            display = "<stdin>"
            templatePath = "-"
            templateDir = request.pwd
            bytes = request.templateBytes ?? []
        } else {
            display = request.templatePath
            templatePath = ConfigDecoder.absolute(request.templatePath, pwd: request.pwd)
            templateDir = Paths.parent(templatePath)
            bytes = try RenderState.read(request.templatePath)
        }
        sink = DiagnosticSink(file: display)
        let document: JSONDocument
        do {
            document = try JSONParser.parseDocument(bytes)
        } catch {
            sink.add(RenderState.syntaxDiagnostic(display, error), warning: false)
            throw sink.problems
        }
        sink.positions = document.positions
        for dup in document.duplicates {
            let (parent, key) = RenderState.split(dup.path)
            sink.add(TemplateDiagnostic(file: display, position: dup.position, path: parent, message: "duplicate key \"\(key)\""), warning: false)
        }
        guard case .object(let object) = document.value else {
            sink.error("", "a template must be a JSON object, not \(describe(document.value))")
            throw sink.problems
        }
        root = object
    }

    static func read(_ path: String) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) {
                throw ToolError(.noInput, "\(path): cannot read \(Paths.isDirectory(path) ? "a directory" : "the file")")
            }
            throw ToolError(.noInput, "\(path): no such file")
        }
        return [UInt8](data)
    }

    static func syntaxDiagnostic(_ file: String, _ error: JSONSyntaxError) -> TemplateDiagnostic {
        var caret = ""
        for (k, ch) in error.lineText.enumerated() where k < error.position.column - 1 { caret.append(ch == "\t" ? "\t" : " ") }
        let message = "JSON syntax error: \(error.message)\n    \(error.lineText)\n    \(caret)^"
        return TemplateDiagnostic(file: file, position: error.position, path: "", message: message)
    }

    /// Splits `a.b[0].c` into (`a.b[0]`, `c`).
    static func split(_ path: String) -> (String, String) {
        guard let dot = path.lastIndex(of: ".") else { return ("", path) }
        return (String(path[..<dot]), String(path[path.index(after: dot)...]))
    }

    func scope(_ phase: RenderPhase, build: RawBuilder? = nil) -> TemplateScope {
        // The variables phase resolves lazily through `resolve`; later phases read results.
        let resolved = self.resolved
        let failed = self.failed
        let known = Array(variableRaw.keys)
        return TemplateScope(phase: phase, user: { (name: String) throws(TemplateFailure) -> String in
            if let v = resolved[name] { return v }
            if failed.contains(name) { throw TemplateFailure.alreadyReported }
            throw RenderState.undefined(name, known)
        }, buildName: build?.name, buildType: build?.type, templateDir: templateDir, pwd: request.pwd,
           environment: request.environment, clock: request.clock)
    }

    static func undefined(_ name: String, _ known: [String]) -> TemplateFailure {
        var message = "variable \"\(name)\" is not defined"
        if let s = Suggest.closest(name, in: known) { message += " (did you mean \"\(s)\"?)" }
        else { message += " (declare it under \"variables\" or give it with -var)" }
        return TemplateFailure(message)
    }

    mutating func run() throws -> RenderResult {
        if !hcl {
            checkRoot()
            try loadVariables()
            resolveVariables()
        }
        let builders = parseBuilders()
        let provisioners = parseProvisioners()
        let cleanups = parseCleanupProvisioners()
        let chains = parsePostProcessors()

        // Selection (exact names, after interpolation).
        let names = Set(builders.map { $0.name })
        let ppNames = Set(chains.flatMap { $0.map { $0.name } })
        let known = builders.map { $0.name }.sorted().joined(separator: ", ")
        for n in request.only where !names.contains(n) {
            throw ToolError.usage("-only \(n): no build has this name (builds: \(known))")
        }
        for n in request.except where !names.contains(n) && !ppNames.contains(n) {
            throw ToolError.usage("-except \(n): no build or post-processor has this name (builds: \(known))")
        }
        let selected = builders.filter { (request.only.isEmpty || request.only.contains($0.name)) && !request.except.contains($0.name) }
            .sorted { $0.name < $1.name }
        let rawNames = Set(builders.map { $0.rawName })
        checkSelectors(provisioners, rawNames)
        checkSelectors(cleanups, rawNames)
        for chain in chains { checkSelectors(chain, rawNames) }

        // Which provisioners and chains apply to each builder, computed once (HCL2 templates
        // have a copy of each per source, limited with `only`).
        let provisionersOf = RenderState.applicable(provisioners.map { [$0] }, to: builders)
        let chainsOf = RenderState.applicable(chains, to: builders)
        var builds: [JSONValue] = []
        for build in selected {
            var entry: [String: JSONValue] = ["name": .string(build.name), "type": .string(build.type)]
            let config = builderConfig(build)
            entry["config"] = .object(config)
            if build.type == "alicloud-ecs" { entry["api"] = AlicloudCalls.plan(config) }
            var steps: [JSONValue] = []
            for i in provisionersOf[build.rawName] ?? [] { steps.append(provisionerPlan(provisioners[i], build)) }
            entry["provisioners"] = .array(steps)
            entry["error_cleanup_provisioner"] = .null
            if let cleanup = cleanups.first(where: { applies($0, to: build) }) { entry["error_cleanup_provisioner"] = provisionerPlan(cleanup, build) }
            var planChains: [JSONValue] = []
            for k in chainsOf[build.rawName] ?? [] {
                let chain = chains[k]
                var items: [JSONValue] = []
                for pp in chain {
                    if request.except.contains(pp.name) { break }
                    if !applies(pp, to: build) { continue }
                    items.append(postProcessorPlan(pp, build))
                }
                if !items.isEmpty { planChains.append(.array(items)) }
            }
            entry["post_processors"] = .array(planChains)
            builds.append(.object(entry))
        }
        let volatile = VolatileValues(request.clock.issued)
        builds = builds.map {
            InputDigest.adding(to: $0, planVersion: RenderedPlan.supportedVersion, volatile: volatile, sensitive: sensitiveValues)
        }
        for v in sensitiveValues { Secrets.register(v) }
        let problems = sink.problems
        if !problems.errors.isEmpty { throw problems }

        var plan: [String: JSONValue] = [
            "plan_version": .int(RenderedPlan.supportedVersion),
            "template": ["path": .string(templatePath), "dir": .string(templateDir)],
            "builds": .array(builds),
            "warnings": .array(problems.warnings.map { .string($0.formatted) }),
        ]
        plan["sensitive"] = .array(sensitivePaths(.object(plan)).map { .string($0) })
        // The values themselves, so that runners can hide them in remote output.
        plan["sensitive_values"] = .array(Set(sensitiveValues.filter { !$0.isEmpty }).sorted().map { .string($0) })
        return RenderResult(plan: .object(plan), warnings: problems.warnings, sensitiveValues: sensitiveValues)
    }

    // MARK: Root

    func checkRoot() {
        for key in root.keys.sorted() {
            let value = root[key]!
            if key.hasPrefix("_") {
                if value.stringValue == nil { sink.error(key, "a comment key's value must be a string, not \(describe(value))") }
                continue
            }
            guard TemplateRenderer.rootKeys.contains(key) else {
                var message = "unknown root key \"\(key)\""
                if let s = Suggest.closest(key, in: TemplateRenderer.rootKeys) { message += " (did you mean \"\(s)\"?)" }
                sink.error(key, message, context: "")
                continue
            }
            switch key {
            case "description":
                if value.stringValue == nil { sink.error(key, "expected a string, got \(describe(value))") }
            case "min_packer_version":
                guard let v = value.stringValue else { sink.error(key, "expected a string, got \(describe(value))"); break }
                let core = v.trimmingBlanks().drop { $0 == "v" }
                let parts = core.split(separator: "-")[0].split(separator: ".", omittingEmptySubsequences: false)
                if parts.isEmpty || parts.count > 3 || parts.contains(where: { Int($0) == nil }) {
                    sink.error(key, "\"\(v)\" is not a version number")
                } else if let major = Int(parts[0]), major > 1 {
                    sink.error(key, "this template needs Packer \(v); tmpl-render implements the JSON templates of Packer 1.x")
                }
            case "push":
                sink.warning(key, "\"push\" (Atlas) is obsolete and ignored")
            case "sensitive-variables":
                guard case .array(let items) = value else { sink.error(key, "expected an array of variable names, got \(describe(value))"); break }
                for (k, item) in items.enumerated() where item.stringValue == nil {
                    sink.error("\(key)[\(k)]", "expected a variable name, got \(describe(item))")
                }
            case "variables":
                if value.objectValue == nil { sink.error(key, "expected an object of variables, got \(describe(value))") }
            case "builders", "provisioners", "post-processors":
                if value.arrayValue == nil { sink.error(key, "expected an array, got \(describe(value))") }
            case "error-cleanup-provisioner":
                if value.objectValue == nil { sink.error(key, "expected a provisioner object, got \(describe(value))") }
            default: break
            }
        }
        if (root["builders"]?.arrayValue ?? []).isEmpty, root["builders"]?.arrayValue != nil || root["builders"] == nil {
            sink.error("builders", "at least one builder must be defined", context: root["builders"] == nil ? "" : "builders")
        }
    }

    // MARK: Variables

    mutating func loadVariables() throws {
        if case .object(let declared)? = root["variables"] {
            for name in declared.keys.sorted() {
                let path = "variables.\(name)"
                switch declared[name]! {
                case .string(let s):
                    variableRaw[name] = s
                    variableSource[name] = VariableSource(file: display, position: sink.position(of: path), path: path)
                case .null:
                    variableSource[name] = VariableSource(file: display, position: sink.position(of: path), path: path)
                default:
                    sink.error(path, "a variable's default must be a string, or null for a required variable; got \(describe(declared[name]!))")
                    failed.insert(name)
                }
            }
        }
        // Var files, then -var, each in command-line order: the later one wins.
        for input in request.inPrecedenceOrder {
            switch input {
            case .assignment(let name, let value):
                variableRaw[name] = value
                variableSource[name] = VariableSource(file: "command line", position: nil, path: "-var \(name)")
            case .file(let file):
                try loadVarFile(file)
            }
        }
        if case .object(let declared)? = root["variables"] {
            for name in declared.keys.sorted() where declared[name] == .null && variableRaw[name] == nil {
                sink.error("variables.\(name)", "required variable \"\(name)\" is not set (give it with -var \(name)=VALUE or in a -var-file)")
                failed.insert(name)
            }
        }
    }

    /// Reads one JSON `-var-file` into the raw values (a later file overrides).
    mutating func loadVarFile(_ file: String) throws {
        let bytes = try RenderState.read(file)
        let document: JSONDocument
        do {
            document = try JSONParser.parseDocument(bytes)
        } catch {
            sink.add(RenderState.syntaxDiagnostic(file, error), warning: false)
            return
        }
        guard case .object(let values) = document.value else {
            sink.add(TemplateDiagnostic(file: file, position: nil, path: "", message: "a var file must be a JSON object of strings, not \(describe(document.value))"), warning: false)
            return
        }
        for dup in document.duplicates {
            sink.add(TemplateDiagnostic(file: file, position: dup.position, path: "", message: "duplicate key \"\(dup.path)\""), warning: false)
        }
        for name in values.keys.sorted() {
            let position = document.positions[name]
            switch values[name]! {
            case .string(let s): variableRaw[name] = s
            case .null: variableRaw[name] = ""
            default:
                sink.add(TemplateDiagnostic(file: file, position: position, path: name, message: "expected a string, got \(describe(values[name]!))"), warning: false)
                continue
            }
            variableSource[name] = VariableSource(file: file, position: position, path: name)
        }
    }

    mutating func resolveVariables() {
        for name in variableRaw.keys.sorted() { _ = try? resolve(name) }
        if case .array(let names)? = root["sensitive-variables"] {
            for (k, item) in names.enumerated() {
                guard let name = item.stringValue else { continue }
                if root["variables"]?[name] == nil {
                    sink.warning("sensitive-variables[\(k)]", "\"\(name)\" is not a declared variable")
                }
                if let v = resolved[name], !v.isEmpty { sensitiveValues.append(v) }
            }
        }
    }

    /// Resolves a variable once, its references first (a fixpoint, whatever the order).
    mutating func resolve(_ name: String) throws(TemplateFailure) -> String {
        if let v = resolved[name] { return v }
        if failed.contains(name) { throw TemplateFailure.alreadyReported }
        guard let raw = variableRaw[name] else { throw RenderState.undefined(name, Array(variableRaw.keys)) }
        if let start = resolving.firstIndex(of: name) {
            let cycle = resolving[start...] + [name]
            throw TemplateFailure("variables refer to each other in a cycle: \(cycle.joined(separator: " -> "))")
        }
        resolving.append(name)
        defer { resolving.removeLast() }
        var failure: TemplateFailure?
        var result = ""
        // Render with unresolved references as ""; resolve what was missing, then again.
        while true {
            var pending: [String] = []
            let current = resolved
            let failedNow = failed
            let known = Array(variableRaw.keys)
            let scope = TemplateScope(phase: .variables, user: { (n: String) throws(TemplateFailure) -> String in
                if let v = current[n] { return v }
                if failedNow.contains(n) { throw TemplateFailure.alreadyReported }
                if known.contains(n) {
                    pending.append(n)
                    return ""
                }
                throw RenderState.undefined(n, known)
            }, templateDir: templateDir, pwd: request.pwd, environment: request.environment, clock: request.clock)
            do {
                result = try TemplateEngine.render(raw, scope)
                failure = nil
            } catch {
                failure = error
            }
            if pending.isEmpty { break }
            failure = nil
            for dependency in pending {
                do { _ = try resolve(dependency) } catch {
                    failure = error
                    break
                }
            }
            if failure != nil { break }
        }
        if let failure {
            failed.insert(name)
            if !failure.silent, let source = variableSource[name] {
                sink.add(TemplateDiagnostic(file: source.file, position: source.position, path: source.path, message: failure.description), warning: false)
            }
            throw TemplateFailure.alreadyReported
        }
        resolved[name] = result
        return result
    }
}
