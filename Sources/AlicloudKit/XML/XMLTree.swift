/// A small XML element tree, enough for OSS request and response bodies.
public struct XMLTree: Sendable, Equatable {
    /// The element name.
    public var name: String
    /// The text directly inside the element (whitespace-trimmed).
    public var text: String
    /// Child elements in document order.
    public var children: [XMLTree]

    /// Makes an element.
    public init(name: String, text: String = "", children: [XMLTree] = []) {
        self.name = name
        self.text = text
        self.children = children
    }

    /// The first child called `name`.
    public func child(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    /// Every child called `name`.
    public func all(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }
    /// The text of the first child called `name`.
    public subscript(_ name: String) -> String? { child(name)?.text }

    /// Parses a document; nil when it is not well-formed XML (`XMLReader.read` says why).
    /// Names are kept as written, prefixes included; CDATA counts as text.
    public static func parse(_ bytes: [UInt8]) -> XMLTree? {
        guard let root = try? XMLReader.read(bytes) else { return nil }
        return XMLTree(root)
    }

    /// The tree of `element`: names as written, text trimmed.
    public init(_ element: XMLElementNode) {
        self.init(name: element.qualifiedName, text: element.trimmedText, children: element.children.map(XMLTree.init))
    }

    /// The element serialised (with an XML declaration when `declaration`).
    public func serialized(declaration: Bool = true) -> String {
        (declaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : "") + render()
    }

    private func render() -> String {
        if children.isEmpty { return "<\(name)>\(XMLTree.escape(text))</\(name)>" }
        return "<\(name)>" + children.map { $0.render() }.joined() + "</\(name)>"
    }

    /// Escapes `& < > "` and, unless `apostrophe` is false, `'`, for element text and
    /// attribute values in double quotes (by Unicode scalar: an `&` followed by a combining
    /// mark is still escaped).
    public static func escape(_ s: String, apostrophe: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'" where apostrophe: out += "&apos;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
