/// Reads HCL's native syntax (hclsyntax/spec.md) into a body: a scanner over the bytes
/// that the parser asks for the next token in the mode it is in (expression, quoted
/// template, heredoc), so that newlines count where the spec says they do.
public struct HCLParser {
    let bytes: [UInt8]
    let file: String
    var at = 0
    var line = 1
    var lineStart = 0
    /// Greater than 0 inside parentheses, brackets and interpolations, where newlines are space.
    var newlinesAreSpace = 0
    /// Where the text starts in its file, when it is a part of one (a `.pkr.json` string).
    var origin: SourcePosition?

    /// Parses a whole file. Throws the first syntax error.
    public static func parse(_ bytes: [UInt8], file: String) throws(HCLDiagnostic) -> HCLBody {
        var p = HCLParser(bytes: bytes, file: file)
        if p.bytes.starts(with: [0xEF, 0xBB, 0xBF]) { p.at = 3; p.lineStart = 3 }
        let body = try p.body(closing: false)
        return body
    }

    /// Parses one expression (a `-var` value, a `PKR_VAR_` value).
    public static func parseExpression(_ text: String, file: String, origin: SourcePosition? = nil) throws(HCLDiagnostic) -> HCLExpression {
        var p = HCLParser(bytes: Array(text.utf8), file: file)
        p.origin = origin
        p.newlinesAreSpace = 1
        let e = try p.expression()
        p.skipSpace()
        if p.at < p.bytes.count { throw p.error("extra characters after the expression") }
        return e
    }

    // MARK: Scanning

    var here: HCLRange {
        var column = 1
        var k = lineStart
        while k < at && k < bytes.count {
            if bytes[k] & 0xC0 != 0x80 { column += 1 }
            k += 1
        }
        if let origin {
            return HCLRange(file: file, line: origin.line + line - 1, column: line == 1 ? origin.column + column : column)
        }
        return HCLRange(file: file, line: line, column: column)
    }

    func error(_ message: String) -> HCLDiagnostic { HCLDiagnostic(here, message) }

    var current: UInt8? { at < bytes.count ? bytes[at] : nil }

    func peek(_ offset: Int = 0) -> UInt8? { at + offset < bytes.count ? bytes[at + offset] : nil }

    mutating func advance() {
        if bytes[at] == 0x0A {
            line += 1
            lineStart = at + 1
        }
        at += 1
    }

    func looking(at text: String) -> Bool {
        var k = at
        for b in text.utf8 {
            guard k < bytes.count, bytes[k] == b else { return false }
            k += 1
        }
        return true
    }

    mutating func consume(_ text: String) -> Bool {
        guard looking(at: text) else { return false }
        for _ in text.utf8 { advance() }
        return true
    }

    /// Skips blanks and comments; newlines too when they are space here.
    mutating func skipSpace(newlines: Bool? = nil) {
        let skipNewlines = newlines ?? (newlinesAreSpace > 0)
        while let c = current {
            if c == 0x20 || c == 0x09 || c == 0x0D {
                advance()
            } else if c == 0x0A && skipNewlines {
                advance()
            } else if c == UInt8(ascii: "#") || (c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "/")) {
                while let d = current, d != 0x0A { advance() }
            } else if c == UInt8(ascii: "/") && peek(1) == UInt8(ascii: "*") {
                advance(); advance()
                while at < bytes.count && !looking(at: "*/") { advance() }
                if at < bytes.count { advance(); advance() }
            } else {
                break
            }
        }
    }

    static func isIdentifierStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c >= 0x80
    }

    static func isIdentifierPart(_ c: UInt8) -> Bool {
        isIdentifierStart(c) || (c >= 0x30 && c <= 0x39) || c == 0x2D
    }

    mutating func identifier() -> String? {
        guard let c = current, HCLParser.isIdentifierStart(c) else { return nil }
        let start = at
        while let d = current, HCLParser.isIdentifierPart(d) { advance() }
        return String(decoding: bytes[start..<at], as: UTF8.self)
    }

    func peekIdentifier() -> String? {
        var copy = self
        return copy.identifier()
    }

    mutating func expect(_ text: String, _ what: String) throws(HCLDiagnostic) {
        skipSpace()
        guard consume(text) else { throw error("expected \(what)\(describeHere)") }
    }

    var describeHere: String {
        guard let c = current else { return ", found the end of the file" }
        if c == 0x0A { return ", found a newline" }
        let end = min(bytes.count, at + 12)
        var text = String(decoding: bytes[at..<end], as: UTF8.self)
        if let nl = text.firstIndex(of: "\n") { text = String(text[..<nl]) }
        return ", found \"\(text)\""
    }

    // MARK: Bodies

    mutating func body(closing: Bool) throws(HCLDiagnostic) -> HCLBody {
        var result = HCLBody(range: here)
        let saved = newlinesAreSpace
        newlinesAreSpace = 0
        defer { newlinesAreSpace = saved }
        while true {
            skipSpace(newlines: true)
            guard let c = current else {
                if closing { throw error("unclosed block: expected \"}\", found the end of the file") }
                return result
            }
            if c == UInt8(ascii: "}") {
                if closing { advance(); return result }
                throw error("unexpected \"}\": no block is open here")
            }
            let range = here
            guard let name = identifier() else {
                throw error("expected an attribute or block name\(describeHere)")
            }
            skipSpace(newlines: false)
            if current == UInt8(ascii: "=") && peek(1) != UInt8(ascii: "=") {
                advance()
                let e = try expression()
                try endOfItem()
                if result.attributes.contains(where: { $0.name == name }) {
                    throw HCLDiagnostic(range, "attribute \"\(name)\" is defined twice in this body")
                }
                result.attributes.append(HCLAttribute(name: name, expression: e, range: range))
                continue
            }
            var labels: [String] = []
            var labelRanges: [HCLRange] = []
            while true {
                skipSpace(newlines: false)
                let r = here
                if current == UInt8(ascii: "\"") {
                    let e = try quotedTemplate()
                    guard case .template(let parts, _) = e, parts.allSatisfy({ if case .literal = $0 { return true }; return false }) else {
                        throw HCLDiagnostic(r, "a block label must be a literal string, without interpolations")
                    }
                    labels.append(parts.map { if case .literal(let s) = $0 { return s }; return "" }.joined())
                    labelRanges.append(r)
                } else if let l = identifier() {
                    labels.append(l)
                    labelRanges.append(r)
                } else {
                    break
                }
            }
            guard current == UInt8(ascii: "{") else {
                if labels.isEmpty {
                    throw error("expected \"=\" after the attribute name \"\(name)\", or \"{\" to open a block\(describeHere)")
                }
                throw error("expected \"{\" to open the \"\(name)\" block\(describeHere)")
            }
            advance()
            let inner = try body(closing: true)
            try endOfItem()
            result.blocks.append(HCLBlock(type: name, labels: labels, body: inner, range: range, labelRanges: labelRanges))
        }
    }

    /// After an attribute or block: a newline, a comment, the end, or the `}` of a one-line block.
    mutating func endOfItem() throws(HCLDiagnostic) {
        skipSpace(newlines: false)
        guard let c = current else { return }
        if c == 0x0A { advance(); return }
        if c == UInt8(ascii: "}") { return }
        throw error("expected a newline after the definition\(describeHere)")
    }

    // MARK: Expressions

    mutating func expression() throws(HCLDiagnostic) -> HCLExpression {
        let condition = try binary(0)
        skipSpace()
        guard current == UInt8(ascii: "?") else { return condition }
        advance()
        let yes = try expression()
        try expect(":", "\":\" in the conditional")
        let no = try expression()
        return .conditional(condition, yes, no, condition.range)
    }

    mutating func binaryOperator() -> HCLBinaryOperator? {
        skipSpace()
        for op in ["||", "&&", "==", "!=", "<=", ">=", "<", ">", "+", "-", "*", "/", "%"] where looking(at: op) {
            return HCLBinaryOperator(rawValue: op)
        }
        return nil
    }

    mutating func binary(_ minimum: Int) throws(HCLDiagnostic) -> HCLExpression {
        var left = try unary()
        while let op = binaryOperator(), op.precedence > minimum {
            for _ in op.rawValue.utf8 { advance() }
            let right = try binary(op.precedence)
            left = .binary(op, left, right, left.range)
        }
        return left
    }

    mutating func unary() throws(HCLDiagnostic) -> HCLExpression {
        skipSpace()
        let r = here
        if current == UInt8(ascii: "!") {
            advance()
            return .not(try unary(), r)
        }
        if current == UInt8(ascii: "-") {
            advance()
            return .negate(try unary(), r)
        }
        return try postfix(try primary())
    }

    mutating func postfix(_ start: HCLExpression) throws(HCLDiagnostic) -> HCLExpression {
        var e = start
        while true {
            let save = (at, line, lineStart)
            skipSpace()
            let r = here
            if current == UInt8(ascii: "."), peek(1) == UInt8(ascii: "*") {
                advance(); advance()
                e = .splat(e, try splatBody(attributesOnly: true), r)
            } else if current == UInt8(ascii: "."), peek(1) != UInt8(ascii: ".") {
                advance()
                let nr = here
                if let name = identifier() {
                    e = .traversal(e, .attribute(name, nr))
                } else if let c = current, c >= 0x30 && c <= 0x39 {
                    let start = at
                    while let d = current, d >= 0x30 && d <= 0x39 { advance() }
                    let n = Double(String(decoding: bytes[start..<at], as: UTF8.self))!
                    e = .traversal(e, .index(.literal(.number(n), nr), nr))
                } else {
                    throw error("expected an attribute name after \".\"\(describeHere)")
                }
            } else if current == UInt8(ascii: "[") {
                advance()
                newlinesAreSpace += 1
                skipSpace()
                if current == UInt8(ascii: "*") {
                    advance()
                    try expect("]", "\"]\" to close the splat")
                    newlinesAreSpace -= 1
                    e = .splat(e, try splatBody(attributesOnly: false), r)
                } else {
                    let index = try expression()
                    try expect("]", "\"]\" to close the index")
                    newlinesAreSpace -= 1
                    e = .traversal(e, .index(index, r))
                }
            } else {
                (at, line, lineStart) = save
                return e
            }
        }
    }

    /// The traversal after `[*]` (attributes and indexes) or `.*` (attributes only).
    mutating func splatBody(attributesOnly: Bool) throws(HCLDiagnostic) -> HCLExpression {
        var body = HCLExpression.splatItem(here)
        while true {
            let save = (at, line, lineStart)
            skipSpace()
            let r = here
            if current == UInt8(ascii: "."), peek(1) != UInt8(ascii: "*"), peek(1) != UInt8(ascii: ".") {
                advance()
                let nr = here
                guard let name = identifier() else { throw error("expected an attribute name after \".\"\(describeHere)") }
                body = .traversal(body, .attribute(name, nr))
            } else if !attributesOnly, current == UInt8(ascii: "["), peek(1) != UInt8(ascii: "*") {
                advance()
                newlinesAreSpace += 1
                let index = try expression()
                try expect("]", "\"]\" to close the index")
                newlinesAreSpace -= 1
                body = .traversal(body, .index(index, r))
            } else {
                (at, line, lineStart) = save
                return body
            }
        }
    }

    mutating func primary() throws(HCLDiagnostic) -> HCLExpression {
        skipSpace()
        let r = here
        guard let c = current else { throw error("expected an expression, found the end of the file") }
        switch c {
        case UInt8(ascii: "\""):
            return try quotedTemplate()
        case UInt8(ascii: "<") where looking(at: "<<"):
            return try heredoc()
        case UInt8(ascii: "("):
            advance()
            newlinesAreSpace += 1
            let e = try expression()
            try expect(")", "\")\" to close the parenthesis")
            newlinesAreSpace -= 1
            return .parenthesized(e, r)
        case UInt8(ascii: "["):
            advance()
            newlinesAreSpace += 1
            defer { newlinesAreSpace -= 1 }
            skipSpace()
            if peekIdentifier() == "for", isForHeader() {
                return try forExpression(object: false, r)
            }
            var items: [HCLExpression] = []
            while true {
                skipSpace()
                if consume("]") { break }
                items.append(try expression())
                skipSpace()
                if consume(",") { continue }
                if consume("]") { break }
                throw error("expected \",\" or \"]\" in the tuple\(describeHere)")
            }
            return .tuple(items, r)
        case UInt8(ascii: "{"):
            advance()
            let saved = newlinesAreSpace
            newlinesAreSpace = 0
            defer { newlinesAreSpace = saved }
            skipSpace(newlines: true)
            if peekIdentifier() == "for", isForHeader() {
                newlinesAreSpace = 1
                return try forExpression(object: true, r)
            }
            var items: [(key: HCLExpression, value: HCLExpression)] = []
            while true {
                skipSpace(newlines: true)
                if consume("}") { break }
                let kr = here
                let key: HCLExpression
                if let name = peekIdentifier() {
                    // A bare name is the key itself, unless it is followed by traversal/operators.
                    let save = (at, line, lineStart)
                    _ = identifier()
                    skipSpace(newlines: false)
                    if current == UInt8(ascii: "=") || current == UInt8(ascii: ":") {
                        key = .literal(.string(name), kr)
                    } else {
                        (at, line, lineStart) = save
                        newlinesAreSpace += 1
                        key = try expression()
                        newlinesAreSpace -= 1
                    }
                } else {
                    newlinesAreSpace += 1
                    key = try expression()
                    newlinesAreSpace -= 1
                }
                skipSpace(newlines: false)
                guard current == UInt8(ascii: "=") || current == UInt8(ascii: ":") else {
                    throw error("expected \"=\" after the object key\(describeHere)")
                }
                advance()
                newlinesAreSpace += 1
                skipSpace()
                newlinesAreSpace -= 1
                let value = try expression()
                items.append((key, value))
                skipSpace(newlines: false)
                if consume(",") { continue }
                if current == 0x0A { continue }
                if consume("}") { break }
                throw error("expected a newline or \",\" after the object item\(describeHere)")
            }
            return .object(items, r)
        case UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try number()
        default:
            guard let name = identifier() else {
                throw error("expected an expression\(describeHere)")
            }
            switch name {
            case "true": return .literal(.bool(true), r)
            case "false": return .literal(.bool(false), r)
            case "null": return .literal(.nullValue, r)
            default: break
            }
            if current == UInt8(ascii: "(") {
                advance()
                newlinesAreSpace += 1
                defer { newlinesAreSpace -= 1 }
                var args: [HCLExpression] = []
                var expand = false
                while true {
                    skipSpace()
                    if consume(")") { break }
                    args.append(try expression())
                    skipSpace()
                    if consume("...") {
                        expand = true
                        skipSpace()
                        _ = consume(",")
                        try expect(")", "\")\" after the expanded argument")
                        break
                    }
                    if consume(",") { continue }
                    if consume(")") { break }
                    throw error("expected \",\" or \")\" in the arguments of \(name)\(describeHere)")
                }
                return .call(name, args, expand: expand, r)
            }
            return .variable(name, r)
        }
    }

    func isForHeader() -> Bool {
        var copy = self
        _ = copy.identifier()
        copy.skipSpace()
        guard let c = copy.current else { return false }
        return HCLParser.isIdentifierStart(c)
    }

    mutating func forExpression(object: Bool, _ r: HCLRange) throws(HCLDiagnostic) -> HCLExpression {
        _ = identifier()
        skipSpace()
        guard var first = identifier() else { throw error("expected an iterator name after \"for\"\(describeHere)") }
        var key: String?
        skipSpace()
        if consume(",") {
            skipSpace()
            guard let second = identifier() else { throw error("expected the value iterator's name after \",\"\(describeHere)") }
            key = first
            first = second
        }
        skipSpace()
        guard identifier() == "in" else { throw error("expected \"in\" in the for expression\(describeHere)") }
        let collection = try expression()
        try expect(":", "\":\" after the for expression's collection")
        var keyExpression: HCLExpression?
        var value = try expression()
        var group = false
        if object {
            try expect("=>", "\"=>\" between the key and the value of an object for expression")
            keyExpression = value
            value = try expression()
            skipSpace()
            if consume("...") { group = true }
        }
        skipSpace()
        var condition: HCLExpression?
        if peekIdentifier() == "if" {
            _ = identifier()
            condition = try expression()
        }
        try expect(object ? "}" : "]", object ? "\"}\" to close the for expression" : "\"]\" to close the for expression")
        return .forExpression(HCLForExpression(keyName: key, valueName: first, collection: collection, keyExpression: keyExpression,
                                               valueExpression: value, group: group, condition: condition, range: r))
    }

    mutating func number() throws(HCLDiagnostic) -> HCLExpression {
        let r = here
        let start = at
        func digits(_ p: inout HCLParser) { while let d = p.current, d >= 0x30 && d <= 0x39 { p.advance() } }
        digits(&self)
        if current == UInt8(ascii: "."), let d = peek(1), d >= 0x30 && d <= 0x39 {
            advance()
            digits(&self)
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            advance()
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { advance() }
            guard let d = current, d >= 0x30 && d <= 0x39 else { throw error("expected the exponent's digits") }
            digits(&self)
        }
        guard let value = Double(String(decoding: bytes[start..<at], as: UTF8.self)) else { throw HCLDiagnostic(r, "invalid number") }
        return .literal(.number(value), r)
    }

    // MARK: Templates

    mutating func quotedTemplate() throws(HCLDiagnostic) -> HCLExpression {
        let r = here
        advance()
        let (parts, end) = try templateParts(quoted: true, heredocEnd: nil, indent: 0, terminators: [])
        guard end == nil else { throw HCLDiagnostic(r, "unexpected %{ \(end!) } directive") }
        return .template(parts, r)
    }

    /// `<<EOF` / `<<-EOF`: the lines up to one holding only the marker.
    mutating func heredoc() throws(HCLDiagnostic) -> HCLExpression {
        let r = here
        advance(); advance()
        let flush = consume("-")
        guard let marker = identifier() else { throw error("expected a heredoc marker such as EOF after \"<<\"") }
        guard current == 0x0A || (current == 0x0D && peek(1) == 0x0A) else {
            throw error("a heredoc's marker must be followed by a newline\(describeHere)")
        }
        if current == 0x0D { advance() }
        advance()
        // Find the closing line to know where the body ends (and the indent to strip).
        var k = at
        var end: Int?
        var indent = Int.max
        while k < bytes.count {
            var e = k
            while e < bytes.count && bytes[e] != 0x0A { e += 1 }
            var text = String(decoding: bytes[k..<e], as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            if text.trimming(where: { $0 == " " || $0 == "\t" }) == marker {
                end = k
                break
            }
            if !text.trimming(where: { $0 == " " || $0 == "\t" }).isEmpty {
                indent = min(indent, text.prefix { $0 == " " || $0 == "\t" }.count)
            }
            k = e + 1
        }
        guard let end else { throw HCLDiagnostic(r, "unterminated heredoc: no line holds only \"\(marker)\"") }
        let (parts, directive) = try templateParts(quoted: false, heredocEnd: end, indent: flush && indent != Int.max ? indent : 0, terminators: [])
        if let directive { throw HCLDiagnostic(r, "unexpected %{ \(directive) } directive") }
        while let c = current, c != 0x0A { advance() }
        return .template(parts, r)
    }

    /// Template parts up to the closing quote (or heredoc end), or up to a directive named in
    /// `terminators` (`else`, `endif`, `endfor`), which is returned.
    mutating func templateParts(quoted: Bool, heredocEnd: Int?, indent: Int, terminators: Set<String>,
                                stripStart: Bool = false) throws(HCLDiagnostic) -> ([HCLTemplatePart], String?) {
        var parts: [HCLTemplatePart] = []
        var literal: [UInt8] = []
        var stripNext = stripStart
        func flush(_ parts: inout [HCLTemplatePart], _ literal: inout [UInt8], stripRight: Bool = false) {
            var text = String(decoding: literal, as: UTF8.self)
            if stripNext { text = String(text.drop { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }) }
            if stripRight { while let l = text.last, l == " " || l == "\t" || l == "\n" || l == "\r" { text.removeLast() } }
            stripNext = false
            literal = []
            if !text.isEmpty { parts.append(.literal(text)) }
        }
        var atLineStart = !quoted
        while true {
            if let heredocEnd, at >= heredocEnd {
                flush(&parts, &literal)
                if !terminators.isEmpty { throw error("expected %{ \(terminators.sorted().joined(separator: " or ")) } before the end of the heredoc") }
                return (parts, nil)
            }
            guard let c = current else {
                throw error(quoted ? "unterminated string: expected a closing quote" : "unterminated heredoc")
            }
            if atLineStart && indent > 0 {
                var n = 0
                while n < indent, let d = current, d == 0x20 || d == 0x09 { advance(); n += 1 }
                atLineStart = false
                continue
            }
            atLineStart = false
            if quoted && c == UInt8(ascii: "\"") {
                advance()
                flush(&parts, &literal)
                if !terminators.isEmpty { throw error("expected %{ \(terminators.sorted().joined(separator: " or ")) } before the end of the string") }
                return (parts, nil)
            }
            if quoted && c == 0x0A { throw error("unterminated string: a quoted string cannot span lines (use a heredoc)") }
            if (c == UInt8(ascii: "$") || c == UInt8(ascii: "%")) && peek(1) == c && peek(2) == UInt8(ascii: "{") {
                advance(); advance(); advance()
                literal.append(c); literal.append(UInt8(ascii: "{"))
                continue
            }
            if (c == UInt8(ascii: "$") || c == UInt8(ascii: "%")) && peek(1) == UInt8(ascii: "{") {
                let r = here
                advance(); advance()
                let stripLeft = consume("~")
                flush(&parts, &literal, stripRight: stripLeft)
                newlinesAreSpace += 1
                if c == UInt8(ascii: "$") {
                    let e = try expression()
                    let stripRight = try closeTemplateSequence()
                    newlinesAreSpace -= 1
                    parts.append(.interpolation(e))
                    stripNext = stripRight
                    continue
                }
                skipSpace()
                let keyword = identifier() ?? ""
                switch keyword {
                case "if":
                    let condition = try expression()
                    stripNext = try closeTemplateSequence()
                    newlinesAreSpace -= 1
                    var (yes, end) = try templateParts(quoted: quoted, heredocEnd: heredocEnd, indent: indent, terminators: ["else", "endif"], stripStart: stripNext)
                    var no: [HCLTemplatePart] = []
                    if end == "else" {
                        (no, end) = try templateParts(quoted: quoted, heredocEnd: heredocEnd, indent: indent, terminators: ["endif"], stripStart: pendingStrip)
                    }
                    _ = end
                    parts.append(.conditional(condition, yes, no, r))
                    stripNext = pendingStrip
                case "for":
                    skipSpace()
                    guard var value = identifier() else { throw error("expected an iterator name after \"for\"") }
                    var key: String?
                    skipSpace()
                    if consume(",") {
                        skipSpace()
                        guard let v = identifier() else { throw error("expected the value iterator's name after \",\"") }
                        key = value
                        value = v
                    }
                    skipSpace()
                    guard identifier() == "in" else { throw error("expected \"in\" in the for directive\(describeHere)") }
                    let collection = try expression()
                    stripNext = try closeTemplateSequence()
                    newlinesAreSpace -= 1
                    let (body, _) = try templateParts(quoted: quoted, heredocEnd: heredocEnd, indent: indent, terminators: ["endfor"], stripStart: stripNext)
                    parts.append(.loop(key: key, value: value, collection, body, r))
                    stripNext = pendingStrip
                case "else", "endif", "endfor":
                    guard terminators.contains(keyword) else {
                        throw HCLDiagnostic(r, "unexpected %{ \(keyword) }: no %{ \(keyword == "endfor" ? "for" : "if") } is open here")
                    }
                    pendingStrip = try closeTemplateSequence()
                    newlinesAreSpace -= 1
                    if stripLeft, case .literal(var last)? = parts.last {
                        while let l = last.last, l == " " || l == "\t" || l == "\n" || l == "\r" { last.removeLast() }
                        parts[parts.count - 1] = .literal(last)
                    }
                    return (parts, keyword)
                default:
                    throw HCLDiagnostic(r, "unknown template directive \"\(keyword)\": expected if, else, endif, for or endfor")
                }
                continue
            }
            if quoted && c == UInt8(ascii: "\\") {
                let escapeAt = here
                advance()
                guard let e = current else { throw error("unterminated string") }
                advance()
                switch e {
                case UInt8(ascii: "n"): literal.append(0x0A)
                case UInt8(ascii: "r"): literal.append(0x0D)
                case UInt8(ascii: "t"): literal.append(0x09)
                case UInt8(ascii: "\""): literal.append(0x22)
                case UInt8(ascii: "\\"): literal.append(0x5C)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let count = e == UInt8(ascii: "u") ? 4 : 8
                    guard at + count <= bytes.count, let scalar = UInt32(String(decoding: bytes[at..<at + count], as: UTF8.self), radix: 16),
                          let u = Unicode.Scalar(scalar) else { throw error("invalid \\\(Character(Unicode.Scalar(e))) escape: expected \(count) hex digits") }
                    for _ in 0..<count { advance() }
                    literal.append(contentsOf: Array(String(Character(u)).utf8))
                default:
                    throw HCLDiagnostic(escapeAt, "invalid escape sequence \"\\\(Character(Unicode.Scalar(e)))\" (valid: \\n \\r \\t \\\" \\\\ \\uNNNN \\UNNNNNNNN)")
                }
                continue
            }
            literal.append(c)
            if c == 0x0A { atLineStart = true }
            advance()
        }
    }

    /// The strip marker of the directive that ended the last nested part list.
    var pendingStrip = false

    /// `~}` or `}` after an interpolation or directive; true when it strips what follows.
    mutating func closeTemplateSequence() throws(HCLDiagnostic) -> Bool {
        skipSpace()
        let strip = consume("~")
        guard consume("}") else { throw error("expected \"}\" to close the template sequence\(describeHere)") }
        return strip
    }
}
