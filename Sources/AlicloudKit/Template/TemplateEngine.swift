/// Why a template string could not be rendered: the message and the action (`{{…}}`) at
/// fault. `silent` failures were already reported elsewhere (a broken variable used again).
public struct TemplateFailure: Error, Sendable, Equatable {
    /// What is wrong, lowercase.
    public var message: String
    /// The action's text as written, when one is at fault.
    public var action: String?
    /// Already reported: callers drop it instead of printing it twice.
    public var silent = false

    init(_ message: String, action: String? = nil) {
        self.message = message
        self.action = action
    }

    static let alreadyReported: TemplateFailure = {
        var f = TemplateFailure("already reported")
        f.silent = true
        return f
    }()

    /// `ACTION: message`, or the message alone.
    public var description: String { action.map { "\($0): \(message)" } ?? message }
}

/// Where a string is rendered. Packer allows different functions in each place
/// (packer-template.md §3.2).
public enum RenderPhase: Sendable, Equatable {
    /// `variables` values (and -var / -var-file values).
    case variables
    /// Builder names and provisioners' `max_retries`.
    case core
    /// A builder's configuration.
    case builder
    /// A provisioner's configuration.
    case provisioner
    /// A post-processor's configuration.
    case postProcessor

    var name: String {
        switch self {
        case .variables: return "variables"
        case .core: return "builder names and max_retries"
        case .builder: return "builder settings"
        case .provisioner: return "provisioner settings"
        case .postProcessor: return "post-processor settings"
        }
    }

    /// Whether `{{ .Field }}` references are kept for a later render.
    var keepsDataReferences: Bool { self == .variables || self == .provisioner || self == .postProcessor }
}

/// Everything a render can see: the phase, the variables, the build, the clock.
public struct TemplateScope {
    /// Where the string is.
    public var phase: RenderPhase
    /// Returns a variable's value or throws (undefined, or itself broken).
    public var user: (String) throws(TemplateFailure) -> String
    /// The interpolated build name (plugin phases).
    public var buildName: String?
    /// The builder type (plugin phases).
    public var buildType: String?
    /// The template's absolute directory.
    public var templateDir: String
    /// The current directory.
    public var pwd: String
    /// The process environment (`env` in variables).
    public var environment: [String: String]
    /// The one clock of this render.
    public var clock: RenderClock

    /// Makes a scope.
    public init(phase: RenderPhase, user: @escaping (String) throws(TemplateFailure) -> String, buildName: String? = nil,
                buildType: String? = nil, templateDir: String, pwd: String, environment: [String: String], clock: RenderClock) {
        self.phase = phase
        self.user = user
        self.buildName = buildName
        self.buildType = buildType
        self.templateDir = templateDir
        self.pwd = pwd
        self.environment = environment
        self.clock = clock
    }
}

/// The Packer version the template language follows (`packer_version`).
public let emulatedPackerVersion = "1.6.6"

/// Packer's template language: Go text/template pipelines with Packer's functions.
/// Control actions (`if`, `range`, variables) are not supported.
public enum TemplateEngine {
    /// Names of the values `{{build `X`}}` accepts (packer-template.md §3.3).
    public static let buildDataNames: Set<String> = [
        "ID", "Host", "Port", "User", "Password", "ConnType", "PackerRunUUID", "PackerHTTPIP", "PackerHTTPPort",
        "PackerHTTPAddr", "SSHPublicKey", "SSHPrivateKey", "WinRMPassword",
    ]

    /// Renders `text` once in `scope`.
    public static func render(_ text: String, _ scope: TemplateScope) throws(TemplateFailure) -> String {
        guard text.contains("{{") else { return text }
        let nodes = try TemplateParser.parse(text)
        var out = ""
        for node in nodes {
            switch node {
            case .text(let t): out += t
            case .action(let pipeline, let raw):
                if pipeline.referencesData {
                    if scope.phase.keepsDataReferences { out += raw; continue }
                    throw TemplateFailure("template data such as .Name is not available in \(scope.phase.name)", action: raw)
                }
                do {
                    out += try evaluate(pipeline, scope).text
                } catch let failure {
                    if failure.silent { throw failure }
                    var f = failure
                    if f.action == nil { f.action = raw }
                    throw f
                }
            }
        }
        return out
    }

    /// Whether `text` contains template actions at all.
    public static func hasActions(_ text: String) -> Bool { text.contains("{{") }

    static func evaluate(_ pipeline: TemplatePipeline, _ scope: TemplateScope) throws(TemplateFailure) -> TemplateValue {
        var piped: TemplateValue?
        for command in pipeline.commands {
            piped = try evaluate(command, piped: piped, scope)
        }
        return piped ?? .nilValue
    }

    static func evaluate(_ command: TemplateCommand, piped: TemplateValue?, _ scope: TemplateScope) throws(TemplateFailure) -> TemplateValue {
        let first = command.operands[0]
        if case .function(let name) = first {
            var args: [TemplateValue] = []
            for operand in command.operands.dropFirst() { args.append(try value(of: operand, scope)) }
            if let piped { args.append(piped) }
            return try TemplateFunctions.call(name, args, scope)
        }
        if command.operands.count > 1 { throw TemplateFailure("can't give an argument to a non-function") }
        if piped != nil { throw TemplateFailure("can't pipe a value into a non-function") }
        return try value(of: first, scope)
    }

    static func value(of operand: TemplateOperand, _ scope: TemplateScope) throws(TemplateFailure) -> TemplateValue {
        switch operand {
        case .string(let s): return .string(s)
        case .number(let v): return v
        case .bool(let b): return .bool(b)
        case .nilValue: throw TemplateFailure("nil is not a command")
        case .field, .dot: return .nilValue  // unreachable: data references are handled by render
        case .function(let name): return try TemplateFunctions.call(name, [], scope)
        case .pipeline(let p): return try evaluate(p, scope)
        }
    }
}

/// A value inside a pipeline.
public enum TemplateValue: Sendable, Equatable {
    case string(String)
    case int(Int)
    case float(Double)
    case bool(Bool)
    case nilValue

    /// The text Go's `fmt.Sprint` gives for the value.
    var text: String {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .float(let d): return TemplateValue.goFloat(d)
        case .bool(let b): return b ? "true" : "false"
        case .nilValue: return "<no value>"
        }
    }

    var isString: Bool { if case .string = self { return true }; return false }

    var truth: Bool {
        switch self {
        case .string(let s): return !s.isEmpty
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .bool(let b): return b
        case .nilValue: return false
        }
    }

    var typeName: String {
        switch self {
        case .string: return "string"
        case .int: return "int"
        case .float: return "float64"
        case .bool: return "bool"
        case .nilValue: return "nil"
        }
    }

    /// `%v` of a float64 in Go: the shortest representation, exponent from 1e21.
    static func goFloat(_ d: Double) -> String {
        if d.isInfinite { return d > 0 ? "+Inf" : "-Inf" }
        if d.isNaN { return "NaN" }
        if d == d.rounded(), abs(d) < 1e21 { return String(Int64(d)) }
        var s = "\(d)"
        if let e = s.firstIndex(of: "e") {
            let mantissa = s[..<e]
            var exp = String(s[s.index(after: e)...])
            var sign = "+"
            if exp.hasPrefix("-") { sign = "-"; exp.removeFirst() } else if exp.hasPrefix("+") { exp.removeFirst() }
            if exp.count < 2 { exp = "0" + exp }
            s = "\(mantissa)e\(sign)\(exp)"
        }
        return s
    }
}

// MARK: - Parsing

enum TemplateNode {
    case text(String)
    case action(TemplatePipeline, raw: String)
}

struct TemplatePipeline {
    var commands: [TemplateCommand]
    var referencesData: Bool {
        commands.contains { $0.operands.contains { $0.referencesData } }
    }
}

struct TemplateCommand {
    var operands: [TemplateOperand]
}

indirect enum TemplateOperand {
    case string(String)
    case number(TemplateValue)
    case bool(Bool)
    case nilValue
    case field(String)
    case dot
    case function(String)
    case pipeline(TemplatePipeline)

    var referencesData: Bool {
        switch self {
        case .field, .dot: return true
        case .pipeline(let p): return p.referencesData
        default: return false
        }
    }
}

/// Parses Go text/template source into text and actions.
struct TemplateParser {
    let chars: [Character]
    var i = 0
    var actionStart = 0

    static func parse(_ text: String) throws(TemplateFailure) -> [TemplateNode] {
        var p = TemplateParser(chars: Array(text))
        return try p.parseAll()
    }

    init(chars: [Character]) { self.chars = chars }

    func peek(_ offset: Int = 0) -> Character? { i + offset < chars.count ? chars[i + offset] : nil }
    func starts(_ s: String, at j: Int) -> Bool {
        var k = j
        for c in s {
            guard k < chars.count, chars[k] == c else { return false }
            k += 1
        }
        return true
    }

    var currentAction: String {
        let end = Swift.min(i, chars.count)
        return String(chars[actionStart..<end])
    }

    mutating func parseAll() throws(TemplateFailure) -> [TemplateNode] {
        var nodes: [TemplateNode] = []
        var text = ""
        var trimNextLeading = false
        while i < chars.count {
            if starts("{{", at: i) {
                actionStart = i
                i += 2
                var trimLeft = false
                if peek() == "-", let n = peek(1), n.isWhitespace { trimLeft = true; i += 1 }
                if trimLeft { while let last = text.last, last.isWhitespace { text.removeLast() } }
                if trimNextLeading { text = String(text.drop(while: { $0.isWhitespace })); trimNextLeading = false }
                if !text.isEmpty { nodes.append(.text(text)); text = "" }
                skipSpaces()
                if starts("/*", at: i) {
                    guard let end = findCommentEnd() else { throw fail("unclosed comment") }
                    i = end
                    skipSpaces()
                    trimNextLeading = try closeAction()
                    continue
                }
                let pipeline = try parsePipeline(closing: nil)
                let right = try closeAction()
                let raw = String(chars[actionStart..<i])
                nodes.append(.action(pipeline, raw: raw))
                trimNextLeading = right
            } else {
                text.append(chars[i])
                i += 1
            }
        }
        if trimNextLeading { text = String(text.drop(while: { $0.isWhitespace })) }
        if !text.isEmpty { nodes.append(.text(text)) }
        return nodes
    }

    func fail(_ message: String) -> TemplateFailure {
        TemplateFailure(message, action: currentAction.isEmpty ? nil : currentAction)
    }

    mutating func findCommentEnd() -> Int? {
        var j = i + 2
        while j + 1 < chars.count {
            if chars[j] == "*" && chars[j + 1] == "/" { return j + 2 }
            j += 1
        }
        return nil
    }

    /// Consumes `}}` or ` -}}`; returns whether the right side trims.
    mutating func closeAction() throws(TemplateFailure) -> Bool {
        skipSpaces()
        if peek() == "-", starts("}}", at: i + 1), i > 0, chars[i - 1].isWhitespace {
            i += 3
            return true
        }
        guard starts("}}", at: i) else {
            if i >= chars.count { throw fail("unclosed action (missing \"}}\")") }
            throw fail("unexpected \"\(chars[i])\" in action")
        }
        i += 2
        return false
    }

    mutating func skipSpaces() {
        while let c = peek(), c == " " || c == "\t" || c == "\n" || c == "\r" { i += 1 }
    }

    func atActionEnd() -> Bool {
        if starts("}}", at: i) { return true }
        if peek() == "-", starts("}}", at: i + 1) { return true }
        return false
    }

    mutating func parsePipeline(closing: Character?) throws(TemplateFailure) -> TemplatePipeline {
        var commands: [TemplateCommand] = []
        var operands: [TemplateOperand] = []
        while true {
            skipSpaces()
            guard i < chars.count else { throw fail("unclosed action (missing \"}}\")") }
            if closing == nil, atActionEnd() { break }
            if let closing, peek() == closing { i += 1; break }
            let c = chars[i]
            if c == "|" {
                guard !operands.isEmpty else { throw fail("missing command before '|'") }
                commands.append(TemplateCommand(operands: operands))
                operands = []
                i += 1
                continue
            }
            operands.append(try parseOperand())
        }
        if operands.isEmpty {
            throw fail(commands.isEmpty ? "missing value for command" : "missing command after '|'")
        }
        commands.append(TemplateCommand(operands: operands))
        // Go: only the first command of a pipeline may be a non-function
        for command in commands.dropFirst() {
            if case .function = command.operands[0] { continue }
            throw fail("non-function in a pipeline stage")
        }
        return TemplatePipeline(commands: commands)
    }

    mutating func parseOperand() throws(TemplateFailure) -> TemplateOperand {
        let c = chars[i]
        switch c {
        case "(":
            i += 1
            return .pipeline(try parsePipeline(closing: ")"))
        case ")":
            throw fail("unexpected right paren")
        case "\"":
            return .string(try parseQuoted())
        case "`":
            i += 1
            var s = ""
            while i < chars.count, chars[i] != "`" { s.append(chars[i]); i += 1 }
            guard i < chars.count else { throw fail("unterminated raw quoted string") }
            i += 1
            return .string(s)
        case "'":
            i += 1
            guard i < chars.count else { throw fail("unterminated character constant") }
            var scalar: Character = chars[i]
            if scalar == "\\" {
                let s = try parseEscape(quote: "'")
                scalar = s.first ?? " "
            } else {
                i += 1
            }
            guard peek() == "'" else { throw fail("unterminated character constant") }
            i += 1
            return .number(.int(Int(scalar.unicodeScalars.first!.value)))
        case ".":
            i += 1
            var name = ""
            while let n = peek(), n.isLetter || n.isNumber || n == "_" || n == "." { name.append(n); i += 1 }
            return name.isEmpty ? .dot : .field(name)
        case "$":
            throw fail("template variables ($x) are not supported")
        default:
            if c.isNumber || ((c == "-" || c == "+") && (peek(1)?.isNumber ?? false)) {
                var text = String(c)
                i += 1
                while let n = peek(), n.isLetter || n.isNumber || n == "." || n == "_" || ((n == "-" || n == "+") && (text.last == "e" || text.last == "E" || text.last == "p" || text.last == "P")) {
                    text.append(n)
                    i += 1
                }
                guard let v = TemplateParser.number(text) else { throw fail("bad number syntax: \"\(text)\"") }
                return .number(v)
            }
            if c.isLetter || c == "_" {
                var name = ""
                while let n = peek(), n.isLetter || n.isNumber || n == "_" { name.append(n); i += 1 }
                switch name {
                case "true": return .bool(true)
                case "false": return .bool(false)
                case "nil": return .nilValue
                case "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue":
                    throw fail("the \"\(name)\" action is not supported (only function pipelines are)")
                default: return .function(name)
                }
            }
            throw fail("unexpected \"\(c)\" in command")
        }
    }

    static func number(_ text: String) -> TemplateValue? {
        var t = text.replacingText("_", with: "")
        var negative = false
        if t.hasPrefix("-") { negative = true; t.removeFirst() } else if t.hasPrefix("+") { t.removeFirst() }
        var value: Int?
        let lower = t.lowercased()
        if lower.hasPrefix("0x") { value = Int(t.dropFirst(2), radix: 16) }
        else if lower.hasPrefix("0o") { value = Int(t.dropFirst(2), radix: 8) }
        else if lower.hasPrefix("0b") { value = Int(t.dropFirst(2), radix: 2) }
        else if t.count > 1, t.hasPrefix("0"), t.allSatisfy({ $0.isNumber }) { value = Int(t.dropFirst(), radix: 8) }
        else { value = Int(t) }
        if let value { return .int(negative ? -value : value) }
        if let d = Double(t), !lower.hasPrefix("0x") { return .float(negative ? -d : d) }
        return nil
    }

    mutating func parseQuoted() throws(TemplateFailure) -> String {
        i += 1
        var s = ""
        while true {
            guard i < chars.count, chars[i] != "\n" else { throw fail("unterminated quoted string") }
            let c = chars[i]
            if c == "\"" { i += 1; return s }
            if c == "\\" { s += try parseEscape(quote: "\"") } else { s.append(c); i += 1 }
        }
    }

    /// Parses a Go escape sequence at `\`.
    mutating func parseEscape(quote: Character) throws(TemplateFailure) -> String {
        i += 1
        guard i < chars.count else { throw fail("unterminated quoted string") }
        let e = chars[i]
        i += 1
        switch e {
        case "a": return "\u{07}"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "n": return "\n"
        case "r": return "\r"
        case "t": return "\t"
        case "v": return "\u{0B}"
        case "\\": return "\\"
        case "\"" where quote == "\"", "'" where quote == "'": return String(e)
        case "x", "u", "U":
            let count = e == "x" ? 2 : (e == "u" ? 4 : 8)
            var hex = ""
            for _ in 0..<count {
                guard let h = peek(), h.isHexDigit else { throw fail("invalid escape in quoted string") }
                hex.append(h)
                i += 1
            }
            guard let v = UInt32(hex, radix: 16), let u = UnicodeScalar(v) else { throw fail("invalid escape in quoted string") }
            return String(Character(u))
        case "0"..."7":
            var oct = String(e)
            for _ in 0..<2 {
                guard let h = peek(), ("0"..."7").contains(h) else { throw fail("invalid escape in quoted string") }
                oct.append(h)
                i += 1
            }
            guard let v = UInt32(oct, radix: 8), v < 256, let u = UnicodeScalar(v) else { throw fail("invalid escape in quoted string") }
            return String(Character(u))
        default: throw fail("invalid escape \\\(e) in quoted string")
        }
    }
}
