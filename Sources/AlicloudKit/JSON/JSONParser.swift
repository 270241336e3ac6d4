/// A place in a source text: 1-based line and column (column counts characters).
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    /// 1-based line.
    public var line: Int
    /// 1-based column.
    public var column: Int
    public var description: String { "\(line):\(column)" }
}

/// A JSON syntax error with where it happened and the offending source line.
public struct JSONSyntaxError: Error, Sendable, CustomStringConvertible {
    /// Where the error was found.
    public var position: SourcePosition
    /// What is wrong, lowercase.
    public var message: String
    /// The source line containing the error (without its newline).
    public var lineText: String
    public var description: String { "\(position): \(message)" }
}

/// A parsed document with, when asked for, the position of every value and object key
/// (by path: `builders[0].type`) and every duplicate key found.
public struct JSONDocument: Sendable {
    /// The parsed value (for duplicate keys, the last occurrence wins).
    public var value: JSONValue
    /// The position of each value by path; for object members, the position of the key.
    public var positions: [String: SourcePosition]
    /// Duplicate keys: the path of the repeated member and where the repeat is.
    public var duplicates: [(path: String, position: SourcePosition)]
}

/// A strict RFC 8259 JSON parser over UTF-8 bytes.
public struct JSONParser {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var lineStart = 0
    private let trackPositions: Bool
    private var positions: [String: SourcePosition] = [:]
    private var duplicates: [(path: String, position: SourcePosition)] = []
    private var depth = 0

    /// Parses a complete document. Invalid UTF-8, trailing content and nesting deeper
    /// than 512 levels are errors.
    public static func parse(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONValue {
        var parser = JSONParser(bytes: bytes, trackPositions: false)
        return try parser.parseDocument()
    }

    /// Parses a string.
    public static func parse(_ text: String) throws(JSONSyntaxError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Parses a document and records positions and duplicate keys.
    public static func parseDocument(_ bytes: [UInt8]) throws(JSONSyntaxError) -> JSONDocument {
        var parser = JSONParser(bytes: bytes, trackPositions: true)
        let value = try parser.parseDocument()
        return JSONDocument(value: value, positions: parser.positions, duplicates: parser.duplicates)
    }

    private init(bytes: [UInt8], trackPositions: Bool) {
        self.bytes = bytes
        self.trackPositions = trackPositions
    }

    private mutating func parseDocument() throws(JSONSyntaxError) -> JSONValue {
        if let bad = JSONParser.firstInvalidUTF8(bytes) {
            index = bad
            throw error("invalid UTF-8 byte 0x\(String(bytes[bad], radix: 16))")
        }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3; lineStart = 3 }
        skipWhitespace()
        let value = try parseValue(path: "")
        skipWhitespace()
        if index < bytes.count { throw error("unexpected \(describeCurrent()) after the top-level value") }
        return value
    }

    private var position: SourcePosition {
        var column = 1
        var i = lineStart
        while i < index && i < bytes.count {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return SourcePosition(line: line, column: column - 0)
    }

    private func error(_ message: String) -> JSONSyntaxError {
        var end = lineStart
        while end < bytes.count && bytes[end] != 0x0A { end += 1 }
        let text = String(decoding: bytes[lineStart..<end], as: UTF8.self)
        return JSONSyntaxError(position: position, message: message, lineText: text)
    }

    private func describeCurrent() -> String {
        guard index < bytes.count else { return "end of input" }
        let b = bytes[index]
        if b >= 0x20 && b < 0x7F { return "character '\(Character(UnicodeScalar(b)))'" }
        return "byte 0x\(String(b, radix: 16))"
    }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0D: index += 1
            case 0x0A:
                index += 1
                line += 1
                lineStart = index
            default: return
            }
        }
    }

    private mutating func parseValue(path: String) throws(JSONSyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        if trackPositions && positions[path] == nil { positions[path] = position }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(path: path)
        case UInt8(ascii: "["): return try parseArray(path: path)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw error("unexpected \(describeCurrent()), expected a value")
        }
    }

    private mutating func expectLiteral(_ word: String) throws(JSONSyntaxError) {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else {
            throw error("invalid literal, expected \(word)")
        }
        index += w.count
    }

    private mutating func parseNumber() throws(JSONSyntaxError) -> JSONValue {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        func digits(_ p: inout JSONParser) -> Int {
            var n = 0
            while p.index < p.bytes.count, p.bytes[p.index] >= 0x30, p.bytes[p.index] <= 0x39 { p.index += 1; n += 1 }
            return n
        }
        guard index < bytes.count else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits(&self) == 0 {
            throw error("invalid number")
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            if digits(&self) == 0 { throw error("invalid number: digits expected after '.'") }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            if digits(&self) == 0 { throw error("invalid number: digits expected in exponent") }
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func parseString() throws(JSONSyntaxError) -> String {
        index += 1  // opening quote
        var runStart = index
        var out = ""
        while true {
            guard index < bytes.count else { throw error("unterminated string") }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                out += String(decoding: bytes[runStart..<index], as: UTF8.self)
                index += 1
                return out
            }
            if b < 0x20 {
                throw error(b == 0x0A ? "newline inside a string" : "control character inside a string")
            }
            if b == UInt8(ascii: "\\") {
                out += String(decoding: bytes[runStart..<index], as: UTF8.self)
                index += 1
                guard index < bytes.count else { throw error("unterminated string") }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "\""): out += "\""
                case UInt8(ascii: "\\"): out += "\\"
                case UInt8(ascii: "/"): out += "/"
                case UInt8(ascii: "b"): out += "\u{08}"
                case UInt8(ascii: "f"): out += "\u{0C}"
                case UInt8(ascii: "n"): out += "\n"
                case UInt8(ascii: "r"): out += "\r"
                case UInt8(ascii: "t"): out += "\t"
                case UInt8(ascii: "u"):
                    var code = try parseHex4()
                    if (0xD800...0xDBFF).contains(code) {
                        if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            index += 2
                            let low = try parseHex4()
                            if (0xDC00...0xDFFF).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                code = 0xFFFD
                            }
                        } else {
                            code = 0xFFFD
                        }
                    } else if (0xDC00...0xDFFF).contains(code) {
                        code = 0xFFFD
                    }
                    out.unicodeScalars.append(UnicodeScalar(code) ?? "\u{FFFD}")
                default:
                    index -= 2
                    throw error("invalid escape '\\\(Character(UnicodeScalar(e)))' in a string")
                }
                runStart = index
                continue
            }
            index += 1
        }
    }

    private mutating func parseHex4() throws(JSONSyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("invalid \\u escape") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let c = bytes[index]
            let d: UInt32
            switch c {
            case 0x30...0x39: d = UInt32(c - 0x30)
            case 0x41...0x46: d = UInt32(c - 0x41 + 10)
            case 0x61...0x66: d = UInt32(c - 0x61 + 10)
            default: throw error("invalid \\u escape")
            }
            v = v << 4 | d
            index += 1
        }
        return v
    }

    private mutating func parseArray(path: String) throws(JSONSyntaxError) -> JSONValue {
        depth += 1
        if depth > 512 { throw error("nesting too deep") }
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue(path: "\(path)[\(items.count)]"))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input, expected ',' or ']'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("unexpected \(describeCurrent()), expected ',' or ']'")
        }
    }

    private mutating func parseObject(path: String) throws(JSONSyntaxError) -> JSONValue {
        depth += 1
        if depth > 512 { throw error("nesting too deep") }
        defer { depth -= 1 }
        index += 1
        var members: [String: JSONValue] = [:]
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error("unexpected \(describeCurrent()), expected a string key")
            }
            let keyPosition = position
            let key = try parseString()
            let memberPath = path.isEmpty ? key : "\(path).\(key)"
            if trackPositions {
                if members[key] != nil {
                    duplicates.append((memberPath, keyPosition))
                } else {
                    positions[memberPath] = keyPosition
                }
            }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw error("unexpected \(describeCurrent()), expected ':' after key \"\(key)\"")
            }
            index += 1
            skipWhitespace()
            members[key] = try parseValue(path: memberPath)
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input, expected ',' or '}'") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw error("unexpected \(describeCurrent()), expected ',' or '}'")
        }
    }

    /// The offset of the first byte that is not valid UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var minimum: UInt32
            if b & 0xE0 == 0xC0 { length = 2; minimum = 0x80 }
            else if b & 0xF0 == 0xE0 { length = 3; minimum = 0x800 }
            else if b & 0xF8 == 0xF0 { length = 4; minimum = 0x10000 }
            else { return i }
            guard i + length <= n else { return i }
            var code = UInt32(b) & (0xFF >> (length + 1))
            for k in 1..<length {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                code = code << 6 | UInt32(c & 0x3F)
            }
            if code < minimum || code > 0x10FFFF || (0xD800...0xDFFF).contains(code) { return i }
            i += length
        }
        return nil
    }
}
