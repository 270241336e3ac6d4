/// YAML for `yamlencode` and `yamldecode`, as go-cty-yaml maps it to HCL values.
///
/// Encoding follows go-cty-yaml's output: block style, two-space indentation, every
/// string double-quoted (multi-line strings as `|` literals), sequences under a key not
/// indented, `[]` and `{}` for empty collections.
///
/// Decoding takes the subset templates use: block mappings and sequences, flow `[...]`
/// and `{...}` on one line, plain, single- and double-quoted scalars, `|` and `>` block
/// scalars (with `-`/`+` chomping), comments, one document (`---` and `...` markers
/// allowed). Not supported, and reported as errors: anchors and aliases (`&`, `*`),
/// tags (`!`), several documents, complex keys (`?`), flow collections over several
/// lines. Mappings become objects and sequences tuples; `null`, `~` and empty values are
/// null, `true`/`false` (any case, and YAML 1.1's yes/no/on/off) booleans, decimal, `0x`
/// and `0o` numbers and `.inf`/`.nan` aside, numbers.
enum YAML {
    /// Why a document could not be read, and where (1-based).
    struct DecodeError: Error {
        var line: Int
        var column: Int
        var message: String
    }

    // MARK: encoding

    /// `yamlencode`: the document with a final newline.
    static func encode(_ v: HCLValue) -> String {
        var out = ""
        write(v, indent: 0, to: &out, inline: false)
        return out.hasSuffix("\n") ? out : out + "\n"
    }

    private static func write(_ v: HCLValue, indent: Int, to out: inout String, inline: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch v {
        case .list(let e, _), .set(let e, _), .tuple(let e):
            if e.isEmpty { out += "[]\n"; return }
            for (i, item) in e.enumerated() {
                if i > 0 || !inline { out += pad }
                out += "- "
                write(item, indent: indent + 2, to: &out, inline: true)
            }
        case .map(let m, _), .object(let m):
            if m.isEmpty { out += "{}\n"; return }
            for (i, k) in m.keys.sorted().enumerated() {
                if i > 0 || !inline { out += pad }
                out += HCLValue.string(k).yamlScalar(indent: indent) + ":"
                let child = m[k]!
                if !(child.elements ?? []).isEmpty {
                    out += "\n"
                    write(child, indent: indent, to: &out, inline: false)
                } else if !(child.members ?? [:]).isEmpty {
                    out += "\n"
                    write(child, indent: indent + 2, to: &out, inline: false)
                } else {
                    out += " "
                    write(child, indent: indent + 2, to: &out, inline: true)
                }
            }
        default:
            out += v.yamlScalar(indent: indent) + "\n"
        }
    }

    // MARK: decoding

    /// One content line: its number, indentation and text without the comment.
    struct Line {
        var number: Int
        var indent: Int
        var text: String
    }

    /// `yamldecode`: the one document's value.
    static func decode(_ source: String) throws(DecodeError) -> HCLValue {
        var lines: [Line] = []
        // "\r\n" is one Character in Swift: normalise line ends before splitting.
        var raw = source.replacingText("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var documents = 0
        for (n, text) in raw.enumerated() {
            if text == "---" || text.hasPrefix("--- ") {
                documents += 1
                if documents > 1 || lines.contains(where: { !Parser.content($0.text).trimmingBlanks().isEmpty }) { throw DecodeError(line: n + 1, column: 1, message: "only one YAML document is supported") }
                raw[n] = ""
                continue
            }
            if text == "..." { break }
            lines.append(Line(number: n + 1, indent: text.prefix { $0 == " " }.count, text: text))
        }
        var p = Parser(lines: lines, raw: raw)
        p.skipBlank()
        guard p.index < p.lines.count else { return .nullValue }
        let v = try p.node(minIndent: 0)
        p.skipBlank()
        if p.index < p.lines.count {
            let l = p.lines[p.index]
            throw DecodeError(line: l.number, column: l.indent + 1, message: "did not find expected <document start>")
        }
        return v
    }

    /// The block-structure parser over content lines.
    struct Parser {
        var lines: [Line]
        let raw: [String]
        var index = 0

        /// The line's text with a trailing comment removed (not inside quotes).
        static func content(_ text: String) -> String {
            var out = ""
            var quote: Character?
            var previous: Character = " "
            for c in text {
                if let q = quote {
                    if c == q { quote = nil }
                } else if c == "\"" || c == "'" {
                    quote = c
                } else if c == "#", previous == " " || previous == "\t" {
                    break
                }
                out.append(c)
                previous = c
            }
            while out.last == " " || out.last == "\t" { out.removeLast() }
            return out
        }

        /// Moves past blank and comment-only lines.
        mutating func skipBlank() {
            while index < lines.count, Parser.content(lines[index].text).trimmingBlanks().isEmpty { index += 1 }
        }

        /// The node starting at the current line, indented at least `minIndent`.
        mutating func node(minIndent: Int) throws(DecodeError) -> HCLValue {
            skipBlank()
            guard index < lines.count else { return .nullValue }
            let l = lines[index]
            let body = String(Parser.content(l.text).dropFirst(l.indent))
            if l.indent < minIndent { return .nullValue }
            if body == "-" || body.hasPrefix("- ") { return try sequence(indent: l.indent) }
            if Parser.keySplit(body) != nil { return try mapping(indent: l.indent) }
            index += 1
            return try scalarOrBlock(body, line: l, column: l.indent, parentIndent: l.indent - 1)
        }

        /// `key: rest` split at the first `: ` (or a final `:`) outside quotes and brackets.
        static func keySplit(_ body: String) -> (String, String)? {
            if body.hasPrefix("[") || body.hasPrefix("{") { return nil }
            let chars = Array(body)
            var quote: Character?
            var i = 0
            while i < chars.count {
                let c = chars[i]
                if let q = quote {
                    if c == q { quote = nil }
                } else if (c == "\"" || c == "'") && i == 0 {
                    quote = c
                } else if c == ":", i + 1 == chars.count || chars[i + 1] == " " || chars[i + 1] == "\t" {
                    return (String(chars[..<i]), String(chars[(i + 1)...]).trimmingBlanks())
                }
                i += 1
            }
            return nil
        }

        /// A block sequence whose `- ` entries start at `indent`.
        mutating func sequence(indent: Int) throws(DecodeError) -> HCLValue {
            var items: [HCLValue] = []
            while true {
                skipBlank()
                guard index < lines.count else { break }
                let l = lines[index]
                let body = String(Parser.content(l.text).dropFirst(l.indent))
                guard l.indent == indent, body == "-" || body.hasPrefix("- ") else {
                    if l.indent > indent { throw DecodeError(line: l.number, column: l.indent + 1, message: "bad indentation of a sequence entry") }
                    break
                }
                let rest = String(body.dropFirst()).drop { $0 == " " }
                if rest.isEmpty {
                    index += 1
                    items.append(try node(minIndent: indent + 1))
                } else {
                    // The entry's content continues as if it were indented where it starts.
                    let col = l.indent + (body.count - rest.count)
                    lines[index] = Line(number: l.number, indent: col, text: String(repeating: " ", count: col) + rest)
                    items.append(try node(minIndent: col))
                }
            }
            return .tuple(items)
        }

        /// A block mapping whose keys start at `indent`.
        mutating func mapping(indent: Int) throws(DecodeError) -> HCLValue {
            var members: [String: HCLValue] = [:]
            while true {
                skipBlank()
                guard index < lines.count else { break }
                let l = lines[index]
                let body = String(Parser.content(l.text).dropFirst(l.indent))
                guard l.indent == indent else {
                    if l.indent > indent { throw DecodeError(line: l.number, column: l.indent + 1, message: "mapping values are not allowed in this context") }
                    break
                }
                guard let (rawKey, rest) = Parser.keySplit(body) else {
                    throw DecodeError(line: l.number, column: l.indent + 1, message: "could not find expected ':'")
                }
                if rawKey.hasPrefix("? ") || rawKey == "?" { throw DecodeError(line: l.number, column: l.indent + 1, message: "complex mapping keys are not supported") }
                let key: String
                switch try Parser.scalar(rawKey, line: l, column: l.indent) {
                case .string(let s): key = s
                case .null: key = ""
                case let other: key = other.ctyJSON
                }
                index += 1
                if rest.isEmpty {
                    skipBlank()
                    if index < lines.count {
                        let next = lines[index]
                        let nb = String(Parser.content(next.text).dropFirst(next.indent))
                        if next.indent > indent || (next.indent == indent && (nb == "-" || nb.hasPrefix("- "))) {
                            members[key] = try node(minIndent: next.indent)
                            continue
                        }
                    }
                    members[key] = .nullValue
                } else {
                    members[key] = try scalarOrBlock(rest, line: l, column: l.indent + body.count - rest.count, parentIndent: indent)
                }
            }
            return .object(members)
        }

        /// A scalar or flow collection, or a `|`/`>` block scalar taking the following lines.
        mutating func scalarOrBlock(_ text: String, line: Line, column: Int, parentIndent: Int) throws(DecodeError) -> HCLValue {
            guard let first = text.first, first == "|" || first == ">" else { return try Parser.scalar(text, line: line, column: column) }
            let chomp = text.dropFirst().first { $0 == "-" || $0 == "+" }
            var body: [String] = []
            var blockIndent: Int?
            var k = line.number  // raw index of the next line
            while k < raw.count {
                let t = raw[k]
                let ind = t.prefix { $0 == " " }.count
                if t.trimmingBlanks().isEmpty { body.append(""); k += 1; continue }
                if blockIndent == nil { blockIndent = ind }
                guard ind >= blockIndent!, ind > parentIndent else { break }
                body.append(String(t.dropFirst(blockIndent!)))
                k += 1
            }
            while index < lines.count, lines[index].number <= k { index += 1 }
            var trailing = 0
            while body.last == "" { body.removeLast(); trailing += 1 }
            var s: String
            if first == "|" {
                s = body.joined(separator: "\n")
            } else {
                s = ""
                // A break between two text lines folds to a space; each empty line is a
                // newline; more-indented lines keep their breaks.
                for (i, l) in body.enumerated() {
                    if i > 0 {
                        let previous = body[i - 1]
                        if l.isEmpty { s += "\n"; continue }
                        if !previous.isEmpty { s += (l.hasPrefix(" ") || previous.hasPrefix(" ")) ? "\n" : " " }
                    }
                    s += l
                }
            }
            if !body.isEmpty {
                if chomp == "+" { s += String(repeating: "\n", count: trailing + 1) } else if chomp != "-" { s += "\n" }
            }
            return .string(s)
        }

        /// A one-line scalar or flow collection.
        /// `column` is where the text starts in its line (0-based), for messages.
        static func scalar(_ text: String, line: Line, column: Int) throws(DecodeError) -> HCLValue {
            var p = FlowParser(chars: Array(text), line: line.number, column: column)
            let v = try p.value(plainStops: [])
            p.skipSpaces()
            if p.i < p.chars.count { throw p.error("unexpected characters after a value") }
            return v
        }
    }

    /// Flow syntax within one line: `[a, "b"]`, `{k: v}`, quoted and plain scalars.
    struct FlowParser {
        var chars: [Character]
        var line: Int
        var column: Int
        var i = 0

        /// An error at the current character.
        func error(_ message: String) -> DecodeError {
            DecodeError(line: line, column: column + i + 1, message: message)
        }

        /// Moves past spaces and tabs.
        mutating func skipSpaces() { while i < chars.count, chars[i] == " " || chars[i] == "\t" { i += 1 } }

        /// One flow value; a plain scalar ends at any of `plainStops`.
        mutating func value(plainStops: Set<Character>) throws(DecodeError) -> HCLValue {
            skipSpaces()
            guard i < chars.count else { return .nullValue }
            switch chars[i] {
            case "&", "*", "!": throw error("anchors, aliases and tags are not supported")
            case "[":
                i += 1
                var items: [HCLValue] = []
                skipSpaces()
                if i < chars.count, chars[i] == "]" { i += 1; return .tuple([]) }
                while true {
                    items.append(try value(plainStops: [",", "]"]))
                    skipSpaces()
                    guard i < chars.count else { throw error("did not find expected ',' or ']'") }
                    if chars[i] == "]" { i += 1; return .tuple(items) }
                    guard chars[i] == "," else { throw error("did not find expected ',' or ']'") }
                    i += 1
                }
            case "{":
                i += 1
                var members: [String: HCLValue] = [:]
                skipSpaces()
                if i < chars.count, chars[i] == "}" { i += 1; return .object([:]) }
                while true {
                    let k = try value(plainStops: [",", "}", ":"])
                    skipSpaces()
                    var v = HCLValue.nullValue
                    if i < chars.count, chars[i] == ":" { i += 1; v = try value(plainStops: [",", "}"]) }
                    members[k.stringValue ?? k.ctyJSON] = v
                    skipSpaces()
                    guard i < chars.count else { throw error("did not find expected ',' or '}'") }
                    if chars[i] == "}" { i += 1; return .object(members) }
                    guard chars[i] == "," else { throw error("did not find expected ',' or '}'") }
                    i += 1
                }
            case "\"":
                i += 1
                var s = ""
                while true {
                    guard i < chars.count else { throw error("found unexpected end of stream while scanning a quoted scalar") }
                    let c = chars[i]; i += 1
                    if c == "\"" { return .string(s) }
                    guard c == "\\" else { s.append(c); continue }
                    guard i < chars.count else { throw error("found unexpected end of stream while scanning a quoted scalar") }
                    let e = chars[i]; i += 1
                    switch e {
                    case "n": s += "\n"
                    case "t": s += "\t"
                    case "r": s += "\r"
                    case "0": s += "\0"
                    case "a": s += "\u{07}"
                    case "b": s += "\u{08}"
                    case "e": s += "\u{1B}"
                    case "f": s += "\u{0C}"
                    case "v": s += "\u{0B}"
                    case "N": s += "\u{85}"
                    case "_": s += "\u{A0}"
                    case "L": s += "\u{2028}"
                    case "P": s += "\u{2029}"
                    case "\"", "\\", "/", " ": s.append(e)
                    case "x", "u", "U":
                        let n = e == "x" ? 2 : (e == "u" ? 4 : 8)
                        guard i + n <= chars.count, let v = UInt32(String(chars[i..<i + n]), radix: 16), let u = Unicode.Scalar(v) else {
                            throw error("found unknown escape character while parsing a quoted scalar")
                        }
                        s.unicodeScalars.append(u); i += n
                    default: throw error("found unknown escape character while parsing a quoted scalar")
                    }
                }
            case "'":
                i += 1
                var s = ""
                while true {
                    guard i < chars.count else { throw error("found unexpected end of stream while scanning a quoted scalar") }
                    let c = chars[i]; i += 1
                    if c == "'" {
                        if i < chars.count, chars[i] == "'" { s += "'"; i += 1; continue }
                        return .string(s)
                    }
                    s.append(c)
                }
            default:
                var s = ""
                while i < chars.count, !plainStops.contains(chars[i]) {
                    if chars[i] == ":", plainStops.contains(":"), i + 1 == chars.count || chars[i + 1] == " " { break }
                    s.append(chars[i]); i += 1
                }
                return YAML.resolve(s.trimmingBlanks())
            }
        }
    }

    /// A plain scalar's value: null, bool, number or string.
    static func resolve(_ s: String) -> HCLValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .nullValue
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        default: break
        }
        let plain = s.replacingText("_", with: "")
        if plain.hasPrefix("0x"), let v = Int64(plain.dropFirst(2), radix: 16) { return .number(Double(v)) }
        if plain.hasPrefix("0o"), let v = Int64(plain.dropFirst(2), radix: 8) { return .number(Double(v)) }
        if let d = HCLValue.parseNumber(s), s.first != "." || s.count > 1, s.last != "." || s.count > 1 { return .number(d) }
        return .string(s)
    }
}

extension HCLValue {
    /// A scalar as go-cty-yaml writes it: strings double-quoted (or `|` literals when they
    /// span lines), numbers and booleans plain, null as `null`.
    func yamlScalar(indent: Int) -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let d): return HCLValue.numberText(d)
        case .string(let s):
            if s.contains("\n"), !s.hasPrefix(" "), !s.contains("\r"), !s.hasSuffix("\n\n") {
                let pad = String(repeating: " ", count: Swift.max(indent, 2))
                var body = s
                let header = s.hasSuffix("\n") ? "|" : "|-"
                if body.hasSuffix("\n") { body.removeLast() }
                return header + "\n" + body.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : pad + $0 }.joined(separator: "\n")
            }
            // Go's quoting uses only escapes YAML's double-quoted style also has.
            return GoFormat.quote(s)
        default: return ctyJSON
        }
    }
}
