// The toolkit's own XML reader: the OSS answers and WS-Man envelopes need elements,
// attributes, namespaces, text, CDATA and the predefined entities, and nothing of
// Foundation's XML module (which links libxml2 and ICU into every tool). Standard library only.

/// Where and why a document is not well-formed XML.
public struct XMLReadError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The line of the offending byte, from 1.
    public let line: Int
    /// The character on that line, from 1.
    public let column: Int
    /// What is wrong there.
    public let reason: String

    /// Makes an error.
    public init(line: Int, column: Int, reason: String) {
        self.line = line
        self.column = column
        self.reason = reason
    }

    /// `line L, column C: reason`.
    public var description: String { "line \(line), column \(column): \(reason)" }
}

/// Reads a UTF-8 XML document into a tree of `XMLElementNode`s.
///
/// Comments, processing instructions and the XML declaration are skipped; a DOCTYPE is
/// refused (no answer we read has one, and refusing it rules out entity expansion).
/// Namespace prefixes are resolved against their declarations; an undeclared prefix is an error.
public enum XMLReader {
    /// How deep elements may nest before the document is refused.
    public static let defaultMaxDepth = 256

    /// The namespace the `xml` prefix is bound to.
    public static let xmlNamespace = "http://www.w3.org/XML/1998/namespace"
    /// The namespace of `xmlns` and `xmlns:p` declarations themselves.
    public static let xmlnsNamespace = "http://www.w3.org/2000/xmlns/"

    /// Parses `bytes`; the root element, or where and why the document is malformed.
    public static func read(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws(XMLReadError) -> XMLElementNode {
        var reader = Reader(bytes, maxDepth: maxDepth)
        return try reader.document()
    }
}

private enum Byte {
    static let lt = UInt8(ascii: "<"), gt = UInt8(ascii: ">"), amp = UInt8(ascii: "&")
    static let slash = UInt8(ascii: "/"), bang = UInt8(ascii: "!"), question = UInt8(ascii: "?")
    static let equals = UInt8(ascii: "="), quote = UInt8(ascii: "\""), apostrophe = UInt8(ascii: "'")
    static let semicolon = UInt8(ascii: ";"), colon = UInt8(ascii: ":"), hash = UInt8(ascii: "#")
    static let bracket = UInt8(ascii: "]"), dash = UInt8(ascii: "-")
    static let tab: UInt8 = 9, lf: UInt8 = 10, cr: UInt8 = 13, space: UInt8 = 32

    static func isSpace(_ b: UInt8) -> Bool { b == space || b == lf || b == tab || b == cr }
    static func isNameStart(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || b == 0x5F || b == colon || b >= 0x80
    }
    static func isName(_ b: UInt8) -> Bool {
        isNameStart(b) || (b >= 0x30 && b <= 0x39) || b == dash || b == 0x2E
    }
}

/// One open element while its content is read.
private struct Frame {
    let node: XMLElementNode
    var text: [UInt8] = []
    /// How many namespace bindings were in scope before this element's own.
    let outerBindings: Int
}

private struct Attribute {
    let name: String
    let value: String
    let offset: Int
}

private struct Reader {
    let bytes: [UInt8]
    let maxDepth: Int
    var i = 0
    /// Prefix → URI bindings in scope, innermost last ("" is the default namespace).
    var bindings: [(prefix: String, uri: String)] = [("xml", XMLReader.xmlNamespace)]

    init(_ bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    // MARK: errors

    func fail(_ reason: String, at offset: Int? = nil) -> XMLReadError {
        let end = min(offset ?? i, bytes.count)
        var line = 1, column = 1
        for b in bytes[0..<end] {
            if b == Byte.lf {
                line += 1
                column = 1
            } else if b & 0xC0 != 0x80 {
                column += 1
            }
        }
        return XMLReadError(line: line, column: column, reason: reason)
    }

    // MARK: document

    mutating func document() throws(XMLReadError) -> XMLElementNode {
        try validateCharacters()
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        if looking(at: "<?xml"), i + 5 < bytes.count, Byte.isSpace(bytes[i + 5]) { try declaration() }
        while true {
            skipSpace()
            guard i < bytes.count else { throw fail("no root element") }
            if looking(at: "<!--") {
                try comment()
            } else if looking(at: "<?") {
                try processingInstruction()
            } else if looking(at: "<!DOCTYPE") {
                throw fail("DOCTYPE declarations are not supported")
            } else if bytes[i] == Byte.lt {
                break
            } else {
                throw fail("text before the root element")
            }
        }
        let root = try elements()
        while true {
            skipSpace()
            guard i < bytes.count else { return root }
            if looking(at: "<!--") {
                try comment()
            } else if looking(at: "<?") {
                try processingInstruction()
            } else {
                throw fail("content after the root element")
            }
        }
    }

    /// Every byte sequence is UTF-8 and no control character other than tab, LF and CR appears.
    func validateCharacters() throws(XMLReadError) {
        var k = 0
        let n = bytes.count
        while k < n {
            let b = bytes[k]
            if b < 0x80 {
                if b < 0x20 && b != Byte.tab && b != Byte.lf && b != Byte.cr {
                    throw fail("control character U+\(hex4(UInt32(b))) is not allowed in XML", at: k)
                }
                k += 1
                continue
            }
            var length = 0
            var low: UInt8 = 0x80, high: UInt8 = 0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; high = 0x9F
            case 0xF0: length = 4; low = 0x90
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; high = 0x8F
            default: throw fail("invalid UTF-8 byte 0x\(hex2(b))", at: k)
            }
            guard k + length <= n else { throw fail("truncated UTF-8 sequence", at: k) }
            for j in 1..<length {
                let c = bytes[k + j]
                let (lo, hi) = j == 1 ? (low, high) : (UInt8(0x80), UInt8(0xBF))
                guard c >= lo && c <= hi else { throw fail("invalid UTF-8 byte 0x\(hex2(c))", at: k + j) }
            }
            // U+FFFE and U+FFFF are not XML characters.
            if b == 0xEF && bytes[k + 1] == 0xBF && bytes[k + 2] >= 0xBE {
                throw fail("character U+\(bytes[k + 2] == 0xBE ? "FFFE" : "FFFF") is not allowed in XML", at: k)
            }
            k += length
        }
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>`: only UTF-8 (or no encoding) is accepted.
    mutating func declaration() throws(XMLReadError) {
        let start = i
        i += 5
        guard let end = find("?>") else { throw fail("unterminated XML declaration", at: start) }
        let text = String(decoding: bytes[i..<end], as: UTF8.self)
        i = end + 2
        // The pseudo-attributes' values, found by name; quotes either kind.
        if let range = text.firstRange(of: "encoding") {
            let rest = text[range.upperBound...].drop { $0 == " " || $0 == "=" || $0 == "\t" || $0 == "\n" || $0 == "\r" }
            guard let q = rest.first, q == "\"" || q == "'" else { throw fail("malformed encoding in the XML declaration", at: start) }
            let value = rest.dropFirst().prefix { $0 != q }
            let name = value.lowercased()
            guard name == "utf-8" || name == "utf8" else {
                throw fail("encoding \(value) is not supported (UTF-8 only)", at: start)
            }
        }
    }

    // MARK: elements

    /// Reads the root element and everything inside it.
    mutating func elements() throws(XMLReadError) -> XMLElementNode {
        guard let first = try startTag(depth: 1) else { return lastSelfClosed! }
        let root = first.node
        var stack = [first]
        while !stack.isEmpty {
            // The node only: holding the frame would copy its text buffer on every append.
            let top = stack[stack.count - 1].node
            guard i < bytes.count else {
                throw fail("unexpected end of input: <\(top.qualifiedName)> is not closed")
            }
            let b = bytes[i]
            if b == Byte.lt {
                if looking(at: "</") {
                    let at = i
                    i += 2
                    let name = try name()
                    skipSpace()
                    try expect(Byte.gt, "'>' to end </\(name)>")
                    guard name == top.qualifiedName else {
                        throw fail("end tag </\(name)> does not match <\(top.qualifiedName)>", at: at)
                    }
                    let frame = stack.removeLast()
                    frame.node.text = String(decoding: frame.text, as: UTF8.self)
                    bindings.removeSubrange(frame.outerBindings...)
                    if stack.isEmpty { return root }
                } else if looking(at: "<!--") {
                    try comment()
                } else if looking(at: "<![CDATA[") {
                    let start = i
                    i += 9
                    guard let end = find("]]>") else { throw fail("unterminated CDATA section", at: start) }
                    appendNormalized(bytes[i..<end], to: &stack[stack.count - 1].text)
                    i = end + 3
                } else if looking(at: "<?") {
                    try processingInstruction()
                } else if looking(at: "<!") {
                    throw fail("unexpected markup '<!' inside <\(top.qualifiedName)>")
                } else {
                    if let frame = try startTag(depth: stack.count + 1) {
                        stack[stack.count - 1].node.children.append(frame.node)
                        stack.append(frame)
                    } else {
                        stack[stack.count - 1].node.children.append(lastSelfClosed!)
                    }
                }
            } else if b == Byte.amp {
                try reference(into: &stack[stack.count - 1].text)
            } else {
                let start = i
                while i < bytes.count && bytes[i] != Byte.lt && bytes[i] != Byte.amp {
                    if bytes[i] == Byte.gt && i >= start + 2 && bytes[i - 1] == Byte.bracket && bytes[i - 2] == Byte.bracket {
                        throw fail("']]>' is not allowed in text", at: i - 2)
                    }
                    i += 1
                }
                appendNormalized(bytes[start..<i], to: &stack[stack.count - 1].text)
            }
        }
        return root
    }

    /// The element a `<name/>` tag made (startTag returns nil for those).
    var lastSelfClosed: XMLElementNode?

    /// Reads a start tag at `<`; the open frame, or nil for an empty-element tag (in `lastSelfClosed`).
    mutating func startTag(depth: Int) throws(XMLReadError) -> Frame? {
        let tagStart = i
        i += 1
        guard i < bytes.count, Byte.isNameStart(bytes[i]) else { throw fail("expected an element name after '<'") }
        guard depth <= maxDepth else { throw fail("elements nested deeper than \(maxDepth)", at: tagStart) }
        let qname = try name()
        var attributes: [Attribute] = []
        var selfClosing = false
        while true {
            let spaced = skipSpace()
            guard i < bytes.count else { throw fail("unexpected end of input in the tag <\(qname)>") }
            if bytes[i] == Byte.gt {
                i += 1
                break
            }
            if looking(at: "/>") {
                i += 2
                selfClosing = true
                break
            }
            guard spaced else { throw fail("expected whitespace, '>' or '/>' in the tag <\(qname)>") }
            let at = i
            let attributeName = try name()
            skipSpace()
            try expect(Byte.equals, "'=' after the attribute \(attributeName)")
            skipSpace()
            let value = try attributeValue()
            if attributes.contains(where: { $0.name == attributeName }) {
                throw fail("attribute \(attributeName) appears twice in <\(qname)>", at: at)
            }
            attributes.append(Attribute(name: attributeName, value: value, offset: at))
        }

        let outer = bindings.count
        for a in attributes {
            if a.name == "xmlns" {
                bindings.append(("", a.value))
            } else if a.name.hasPrefix("xmlns:") {
                let prefix = String(a.name.dropFirst(6))
                if prefix == "xmlns" || (prefix == "xml") != (a.value == XMLReader.xmlNamespace) {
                    throw fail("the prefix \(prefix) cannot be bound to \(a.value.isEmpty ? "an empty URI" : a.value)", at: a.offset)
                }
                if a.value.isEmpty { throw fail("the prefix \(prefix) cannot be bound to an empty URI", at: a.offset) }
                bindings.append((prefix, a.value))
            }
        }
        let (prefix, local) = try split(qname, at: tagStart + 1)
        guard let namespace = lookup(prefix) else {
            throw fail("namespace prefix \(prefix) is not declared", at: tagStart + 1)
        }
        let node = XMLElementNode(qualifiedName: qname, prefix: prefix, name: local, namespace: namespace)
        var seen = Set<String>()
        for a in attributes {
            let (aPrefix, aLocal) = try split(a.name, at: a.offset)
            let isDeclaration = a.name == "xmlns" || aPrefix == "xmlns"
            var aNamespace = isDeclaration ? XMLReader.xmlnsNamespace : ""
            if !aPrefix.isEmpty && !isDeclaration {
                guard let uri = lookup(aPrefix) else { throw fail("namespace prefix \(aPrefix) is not declared", at: a.offset) }
                aNamespace = uri
            }
            guard seen.insert(aNamespace + "}" + aLocal).inserted else {
                throw fail("attribute \(a.name) repeats another one's namespace and name in <\(qname)>", at: a.offset)
            }
            node.attributeList.append(XMLAttribute(qualifiedName: a.name, name: aLocal, namespace: aNamespace, value: a.value))
            if !isDeclaration && node.attributes[aLocal] == nil { node.attributes[aLocal] = a.value }
        }
        if selfClosing {
            bindings.removeSubrange(outer...)
            lastSelfClosed = node
            return nil
        }
        return Frame(node: node, outerBindings: outer)
    }

    /// `prefix:local` → (prefix, local); no colon → ("", name).
    func split(_ qname: String, at offset: Int) throws(XMLReadError) -> (String, String) {
        let parts = qname.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return ("", qname)
        case 2 where !parts[0].isEmpty && !parts[1].isEmpty: return (String(parts[0]), String(parts[1]))
        default: throw fail("\(qname) is not a valid qualified name", at: offset)
        }
    }

    /// The URI bound to `prefix` ("" for no prefix without a default namespace); nil when undeclared.
    func lookup(_ prefix: String) -> String? {
        if let binding = bindings.last(where: { $0.prefix == prefix }) { return binding.uri }
        return prefix.isEmpty ? "" : nil
    }

    /// A quoted attribute value, references resolved and whitespace normalised to spaces.
    mutating func attributeValue() throws(XMLReadError) -> String {
        guard i < bytes.count, bytes[i] == Byte.quote || bytes[i] == Byte.apostrophe else {
            throw fail("expected a quoted attribute value")
        }
        let quote = bytes[i]
        i += 1
        var value: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unexpected end of input in an attribute value") }
            let b = bytes[i]
            switch b {
            case quote:
                i += 1
                return String(decoding: value, as: UTF8.self)
            case Byte.lt:
                throw fail("'<' is not allowed in an attribute value")
            case Byte.amp:
                try reference(into: &value)
            case Byte.cr:
                value.append(Byte.space)
                i += (i + 1 < bytes.count && bytes[i + 1] == Byte.lf) ? 2 : 1
            case Byte.lf, Byte.tab:
                value.append(Byte.space)
                i += 1
            default:
                value.append(b)
                i += 1
            }
        }
    }

    /// `&name;`, `&#N;` or `&#xH;` at `&`, appended as UTF-8.
    mutating func reference(into out: inout [UInt8]) throws(XMLReadError) {
        let start = i
        i += 1
        var end = i
        while end < bytes.count && end - i <= 32 && bytes[end] != Byte.semicolon && !Byte.isSpace(bytes[end]) && bytes[end] != Byte.lt {
            end += 1
        }
        guard end < bytes.count, bytes[end] == Byte.semicolon, end > i else {
            throw fail("'&' does not start an entity reference ending in ';'", at: start)
        }
        let body = String(decoding: bytes[i..<end], as: UTF8.self)
        i = end + 1
        switch body {
        case "lt": out.append(Byte.lt)
        case "gt": out.append(Byte.gt)
        case "amp": out.append(Byte.amp)
        case "apos": out.append(Byte.apostrophe)
        case "quot": out.append(Byte.quote)
        default:
            guard body.hasPrefix("#") else { throw fail("undefined entity &\(body);", at: start) }
            let hex = body.hasPrefix("#x")
            let digits = body.dropFirst(hex ? 2 : 1)
            guard !digits.isEmpty, let value = UInt32(digits, radix: hex ? 16 : 10),
                  let scalar = Unicode.Scalar(value), Reader.isXMLCharacter(value) else {
                throw fail("&\(body); is not a valid character reference", at: start)
            }
            UTF8.encode(scalar) { out.append($0) }
        }
    }

    static func isXMLCharacter(_ v: UInt32) -> Bool {
        v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v) || (0x10000...0x10FFFF).contains(v)
    }

    /// Character data with CR LF and lone CR turned into LF, as XML requires.
    func appendNormalized(_ slice: ArraySlice<UInt8>, to out: inout [UInt8]) {
        guard slice.contains(Byte.cr) else {
            out.append(contentsOf: slice)
            return
        }
        var k = slice.startIndex
        while k < slice.endIndex {
            if slice[k] == Byte.cr {
                out.append(Byte.lf)
                if k + 1 < slice.endIndex && slice[k + 1] == Byte.lf { k += 1 }
            } else {
                out.append(slice[k])
            }
            k += 1
        }
    }

    // MARK: skipped markup

    mutating func comment() throws(XMLReadError) {
        let start = i
        i += 4
        guard let end = find("--") else { throw fail("unterminated comment", at: start) }
        guard end + 2 < bytes.count, bytes[end + 2] == Byte.gt else { throw fail("'--' is not allowed inside a comment", at: end) }
        i = end + 3
    }

    mutating func processingInstruction() throws(XMLReadError) {
        let start = i
        i += 2
        let target = try name()
        if target.lowercased() == "xml" {
            throw fail("the XML declaration is only allowed at the very start", at: start)
        }
        guard let end = find("?>") else { throw fail("unterminated processing instruction <?\(target)", at: start) }
        if end > i && !Byte.isSpace(bytes[i]) { throw fail("expected whitespace after <?\(target)") }
        i = end + 2
    }

    // MARK: scanning

    /// A name (letters, digits, `_ : - .`, any non-ASCII) at the current position.
    mutating func name() throws(XMLReadError) -> String {
        guard i < bytes.count, Byte.isNameStart(bytes[i]) else {
            throw fail(i < bytes.count ? "expected a name" : "unexpected end of input where a name was expected")
        }
        let start = i
        while i < bytes.count && Byte.isName(bytes[i]) { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    @discardableResult
    mutating func skipSpace() -> Bool {
        let start = i
        while i < bytes.count && Byte.isSpace(bytes[i]) { i += 1 }
        return i > start
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(XMLReadError) {
        guard i < bytes.count, bytes[i] == byte else {
            throw fail(i < bytes.count ? "expected \(what)" : "unexpected end of input where \(what) was expected")
        }
        i += 1
    }

    func looking(at literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[i + k] != p[k] { return false }
        return true
    }

    /// Where `literal` next starts at or after the current position.
    func find(_ literal: StaticString) -> Int? {
        let n = literal.utf8CodeUnitCount
        let p = literal.utf8Start
        var k = i
        while k + n <= bytes.count {
            if bytes[k] == p[0] {
                var j = 1
                while j < n && bytes[k + j] == p[j] { j += 1 }
                if j == n { return k }
            }
            k += 1
        }
        return nil
    }

    func hex2(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count < 2 ? "0" + s : s
    }

    func hex4(_ v: UInt32) -> String {
        let s = String(v, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }
}
