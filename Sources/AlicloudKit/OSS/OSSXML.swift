import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

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

    /// Parses a document; nil when it is not well-formed XML.
    public static func parse(_ bytes: [UInt8]) -> XMLTree? {
        let builder = TreeBuilder()
        let parser = XMLParser(data: Data(bytes))
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else { return nil }
        return root
    }

    /// The element serialised (with an XML declaration when `declaration`).
    public func serialized(declaration: Bool = true) -> String {
        (declaration ? "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" : "") + render()
    }

    private func render() -> String {
        if children.isEmpty { return "<\(name)>\(XMLTree.escape(text))</\(name)>" }
        return "<\(name)>" + children.map { $0.render() }.joined() + "</\(name)>"
    }

    /// Escapes `& < > " '` for element text.
    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

private final class TreeBuilder: NSObject, XMLParserDelegate {
    var stack: [XMLTree] = []
    var texts: [String] = []
    var root: XMLTree?

    func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
        stack.append(XMLTree(name: elementName))
        texts.append("")
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if !texts.isEmpty { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
        guard var element = stack.popLast(), let text = texts.popLast() else { return }
        element.text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if stack.isEmpty { root = element } else { stack[stack.count - 1].children.append(element) }
    }
}
