import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// A namespace-aware XML element tree, small enough for SOAP envelopes: elements are
/// matched by namespace URI and local name, never by prefix (clients choose prefixes freely).
public final class XMLElementNode: @unchecked Sendable {
    /// The namespace URI ("" when none).
    public let namespace: String
    /// The local name.
    public let name: String
    /// Attributes by local name (prefixes dropped: `s:mustUnderstand` → `mustUnderstand`).
    public var attributes: [String: String]
    /// Child elements in order.
    public var children: [XMLElementNode] = []
    /// The element's own character data (text and CDATA), concatenated.
    public var text = ""

    init(namespace: String, name: String, attributes: [String: String]) {
        self.namespace = namespace
        self.name = name
        self.attributes = attributes
    }

    /// Parses a document; nil when it is not well-formed XML.
    public static func parse(_ bytes: [UInt8]) -> XMLElementNode? {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), builder.failed == false else { return nil }
        return builder.root
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

    /// The text, trimmed of surrounding whitespace.
    public var trimmedText: String { text.trimmingCharacters(in: .whitespacesAndNewlines) }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var root: XMLElementNode?
    var stack: [XMLElementNode] = []
    var failed = false

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        var attrs: [String: String] = [:]
        for (k, v) in attributeDict {
            let local = k.split(separator: ":").last.map(String.init) ?? k
            attrs[local] = v
        }
        let local = elementName.split(separator: ":").last.map(String.init) ?? elementName
        let node = XMLElementNode(namespace: namespaceURI ?? "", name: local, attributes: attrs)
        if let parent = stack.last { parent.children.append(node) } else { root = node }
        stack.append(node)
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        _ = stack.popLast()
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        stack.last?.text += string
    }

    func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
        stack.last?.text += String(decoding: CDATABlock, as: UTF8.self)
    }

    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { failed = true }
}
