/// One attribute as written, with its prefix resolved.
public struct XMLAttribute: Sendable, Equatable {
    /// The name as written (`s:mustUnderstand`, `xmlns:w`).
    public let qualifiedName: String
    /// The local name (`mustUnderstand`).
    public let name: String
    /// The namespace URI: "" when unprefixed, `XMLReader.xmlnsNamespace` for declarations.
    public let namespace: String
    /// The value, references resolved.
    public let value: String

    /// Makes an attribute.
    public init(qualifiedName: String, name: String, namespace: String, value: String) {
        self.qualifiedName = qualifiedName
        self.name = name
        self.namespace = namespace
        self.value = value
    }
}

/// A namespace-aware XML element tree, small enough for SOAP envelopes: elements are
/// matched by namespace URI and local name, never by prefix (clients choose prefixes freely).
public final class XMLElementNode: @unchecked Sendable {
    /// The name as written (`s:Envelope`).
    public let qualifiedName: String
    /// The prefix as written ("" when none).
    public let prefix: String
    /// The namespace URI ("" when none).
    public let namespace: String
    /// The local name.
    public let name: String
    /// Attributes by local name (prefixes dropped: `s:mustUnderstand` → `mustUnderstand`; the
    /// first wins when two share a local name; namespace declarations left out).
    public var attributes: [String: String] = [:]
    /// Every attribute in document order, namespace declarations included.
    public var attributeList: [XMLAttribute] = []
    /// Child elements in order.
    public var children: [XMLElementNode] = []
    /// The element's own character data (text and CDATA), concatenated.
    public var text = ""

    init(qualifiedName: String, prefix: String, name: String, namespace: String) {
        self.qualifiedName = qualifiedName
        self.prefix = prefix
        self.name = name
        self.namespace = namespace
    }

    /// Parses a document; nil when it is not well-formed XML (`XMLReader.read` says why).
    public static func parse(_ bytes: [UInt8]) -> XMLElementNode? {
        try? XMLReader.read(bytes)
    }

    /// Direct children with this name (and namespace, when given).
    public func children(_ name: String, _ namespace: String? = nil) -> [XMLElementNode] {
        children.filter { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// The first direct child with this name.
    public func child(_ name: String, _ namespace: String? = nil) -> XMLElementNode? {
        children.first { $0.name == name && (namespace == nil || $0.namespace == namespace) }
    }

    /// Every descendant (depth first, self excluded) with this name.
    public func descendants(_ name: String, _ namespace: String? = nil) -> [XMLElementNode] {
        var out: [XMLElementNode] = []
        for c in children {
            if c.name == name && (namespace == nil || c.namespace == namespace) { out.append(c) }
            out += c.descendants(name, namespace)
        }
        return out
    }

    /// The first descendant with this name.
    public func first(_ name: String, _ namespace: String? = nil) -> XMLElementNode? {
        for c in children {
            if c.name == name && (namespace == nil || c.namespace == namespace) { return c }
            if let d = c.first(name, namespace) { return d }
        }
        return nil
    }

    /// The text, trimmed of surrounding whitespace (Unicode White_Space scalars, the set
    /// Foundation's `.whitespacesAndNewlines` holds; standard library only).
    public var trimmedText: String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }
}
