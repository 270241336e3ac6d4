/// One problem (or warning) found in a template, with where it is.
public struct TemplateDiagnostic: Sendable, Equatable {
    /// What kind of problem decides the exit status.
    public enum Kind: Sendable, Equatable {
        /// The template (or a var file) is wrong: exit 65.
        case template
        /// Credentials or the region are missing from template and environment: exit 78.
        case credentials
        /// A program the template needs on this machine is missing (ansible-playbook): exit 69.
        case missingProgram
    }

    /// The file as the user named it (`alicloud.json`, `<stdin>`, a var file).
    public var file: String
    /// Where, when known.
    public var position: SourcePosition?
    /// The object or value at fault (`builders[0]`, `variables.region`); may be empty.
    public var path: String
    /// What is wrong, lowercase.
    public var message: String
    /// The kind of problem.
    public var kind: Kind = .template

    /// `file:line:col: path: message`.
    public var formatted: String {
        var s = file
        if let position { s += ":\(position.line):\(position.column)" }
        s += ": "
        if !path.isEmpty { s += path + ": " }
        return s + message
    }

    static func ordered(_ a: TemplateDiagnostic, _ b: TemplateDiagnostic) -> Bool {
        if a.file != b.file { return a.file < b.file }
        let pa = a.position.map { ($0.line, $0.column) } ?? (0, 0)
        let pb = b.position.map { ($0.line, $0.column) } ?? (0, 0)
        if pa != pb { return pa < pb }
        if a.path != b.path { return a.path < b.path }
        return a.message < b.message
    }
}

/// Every problem found in one render, in a stable order, without repeats; this decides
/// the exit status.
public struct TemplateProblems: Error, Sendable {
    /// The errors, sorted by file, position, path and message.
    public var errors: [TemplateDiagnostic]
    /// The warnings, in the same order.
    public var warnings: [TemplateDiagnostic]

    /// What tmpl-render prints on stderr for these problems: warnings, errors, a count.
    public func report(tool: String, file: String) -> String {
        var out = ""
        for w in warnings { out += "\(tool): warning: \(w.formatted)\n" }
        for e in errors { out += "\(tool): \(e.formatted)\n" }
        out += "\(tool): \(errors.count) error\(errors.count == 1 ? "" : "s") in \(file)\n"
        return out
    }

    /// 65 for any error in the template; else 69 when a program it needs is missing;
    /// else (only credentials or the region missing) 78.
    public var status: ExitStatus {
        if errors.contains(where: { $0.kind == .template }) { return .dataError }
        return errors.contains { $0.kind == .missingProgram } ? .unavailable : .config
    }
}

/// Collects diagnostics for one file, locating paths through the parser's positions.
final class DiagnosticSink {
    let file: String
    var positions: [String: SourcePosition]
    /// The file of a path, when the template has several (HCL2); else `file`.
    var files: [String: String] = [:]
    /// How a path prefix is named in messages (HCL2: `builders[0]` is `source.alicloud-ecs.basic`).
    var labels: [String: String] = [:]
    /// Paths whose value failed and was reported already: no second error about them.
    var failedPaths: Set<String> = []
    private(set) var errors: [TemplateDiagnostic] = []
    private(set) var warnings: [TemplateDiagnostic] = []
    private var seen: Set<String> = []

    init(file: String, positions: [String: SourcePosition] = [:]) {
        self.file = file
        self.positions = positions
    }

    /// The position of `path`, or of its nearest ancestor that has one.
    func position(of path: String) -> SourcePosition? { nearest(path, in: positions)?.1 }

    /// The entry of `table` for `path` or its nearest ancestor, with the prefix that matched.
    func nearest<T>(_ path: String, in table: [String: T]) -> (Substring, T)? {
        guard !table.isEmpty else { return nil }
        var p = Substring(path)
        while !p.isEmpty {
            if let found = table[String(p)] { return (p, found) }
            guard let cut = p.lastIndex(where: { $0 == "." || $0 == "[" }) else { break }
            p = p[..<cut]
        }
        return nil
    }

    /// The path as messages name it (its labelled prefix replaced).
    func display(_ path: String) -> String {
        guard let (prefix, label) = nearest(path, in: labels) else { return path }
        return label + path.dropFirst(prefix.count)
    }

    /// Records an error at `path` (also its location), shown with `context` (defaults to path).
    func error(_ path: String, _ message: String, context: String? = nil, kind: TemplateDiagnostic.Kind = .template) {
        if !failedPaths.isEmpty, failedPaths.contains(path) || failedPaths.contains { message.hasPrefix("\"\($0.dropFirst(path.count + 1))\"") && $0.hasPrefix(path + ".") } {
            return
        }
        add(TemplateDiagnostic(file: nearest(path, in: files)?.1 ?? file, position: position(of: path), path: display(context ?? path), message: message, kind: kind), warning: false)
    }

    /// Records a warning at `path`.
    func warning(_ path: String, _ message: String, context: String? = nil) {
        add(TemplateDiagnostic(file: nearest(path, in: files)?.1 ?? file, position: position(of: path), path: display(context ?? path), message: message), warning: true)
    }

    /// Records a diagnostic made elsewhere (a var file's).
    func add(_ d: TemplateDiagnostic, warning: Bool) {
        let key = (warning ? "w" : "e") + d.formatted
        guard seen.insert(key).inserted else { return }
        if warning { warnings.append(d) } else { errors.append(d) }
    }

    /// Records a failed render of the string at `path`.
    func renderError(_ path: String, _ failure: TemplateFailure) {
        if failure.silent { return }
        error(path, failure.description)
    }

    var hasErrors: Bool { !errors.isEmpty }

    var problems: TemplateProblems {
        TemplateProblems(errors: errors.sorted(by: TemplateDiagnostic.ordered), warnings: warnings.sorted(by: TemplateDiagnostic.ordered))
    }
}
