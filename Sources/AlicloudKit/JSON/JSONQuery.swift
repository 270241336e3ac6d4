import FoundationEssentials

/// The `--query PATH` language shared by every JSON-printing tool:
/// `Images.Image[0].ImageId`, `Vpcs.Vpc[*].VpcId`, `TotalCount`, `builds[-1].name`,
/// `Tags["a.b"]`. An empty path or `.` selects the whole document.
public struct JSONQuery: Sendable, CustomStringConvertible {
    enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)
        case all
    }

    let steps: [Step]
    /// The path as the user wrote it.
    public let description: String

    /// Parses a path; a malformed path is a usage error.
    public init(_ path: String) throws {
        description = path
        var steps: [Step] = []
        let chars = Array(path)
        var i = 0
        var name = ""
        func flush() { if !name.isEmpty { steps.append(.key(name)); name = "" } }
        if path == "." { self.steps = []; return }
        while i < chars.count {
            let c = chars[i]
            if c == "." {
                if i == 0 || chars[i - 1] == "." || i + 1 >= chars.count {
                    throw ToolError.usage("--query \(path): empty name at offset \(i)")
                }
                flush()
                i += 1
            } else if c == "[" {
                flush()
                guard let close = chars[i...].firstIndex(of: "]") else {
                    throw ToolError.usage("--query \(path): missing ']'")
                }
                let inner = String(chars[(i + 1)..<close])
                if inner == "*" {
                    steps.append(.all)
                } else if let n = Int(inner) {
                    steps.append(.index(n))
                } else if inner.count >= 2, inner.first == "\"", inner.last == "\"" {
                    steps.append(.key(String(inner.dropFirst().dropLast())))
                } else {
                    throw ToolError.usage("--query \(path): bad index [\(inner)]")
                }
                i = close + 1
            } else {
                name.append(c)
                i += 1
            }
        }
        flush()
        self.steps = steps
    }

    /// Every value the path selects (more than one only through `[*]`). A missing member
    /// or index is a data error naming the path.
    public func select(in value: JSONValue) throws -> [JSONValue] {
        var current = [value]
        var walked = ""
        for step in steps {
            var next: [JSONValue] = []
            switch step {
            case .key(let k): walked += walked.isEmpty ? k : ".\(k)"
            case .index(let n): walked += "[\(n)]"
            case .all: walked += "[*]"
            }
            for v in current {
                switch (step, v) {
                case (.key(let k), .object(let o)):
                    guard let m = o[k] else { throw ToolError.data("--query \(description): no value at \(walked)") }
                    next.append(m)
                case (.index(let n), .array(let a)):
                    let idx = n < 0 ? a.count + n : n
                    guard idx >= 0, idx < a.count else {
                        throw ToolError.data("--query \(description): no value at \(walked) (\(a.count) items)")
                    }
                    next.append(a[idx])
                case (.all, .array(let a)):
                    next.append(contentsOf: a)
                case (.all, .object(let o)):
                    next.append(contentsOf: o.keys.sorted().map { o[$0]! })
                default:
                    throw ToolError.data("--query \(description): no value at \(walked) (found \(v.typeName))")
                }
            }
            current = next
        }
        return current
    }

    /// The selected values as `--query` prints them: one raw value per line.
    public func render(_ value: JSONValue) throws -> String {
        try select(in: value).map { $0.rawText + "\n" }.joined()
    }
}

extension JSONQuery {
    /// The selected object as POSIX shell assignments, one `PREFIXkey='value'` line per
    /// member (keys sorted; characters outside [A-Za-z0-9_] become `_`). Scalars print as
    /// `--query` prints them, arrays of scalars one item per line, other values as compact
    /// JSON; single quotes are escaped, so `eval` is safe. A non-object is a data error.
    public func renderShell(_ value: JSONValue, prefix: String = "") throws -> String {
        let selected = try select(in: value)
        var out = ""
        for item in selected {
            guard case .object(let members) = item else {
                throw ToolError.data("--query \(description): --format sh needs an object (found \(item.typeName))")
            }
            for key in members.keys.sorted() {
                let name = prefix + String(key.unicodeScalars.map { scalar -> Character in
                    let c = Character(scalar)
                    return (c.isASCII && (c.isLetter || c.isNumber)) || c == "_" ? c : "_"
                })
                out += "\(name)=\(shellQuote(JSONQuery.shellText(members[key]!)))\n"
            }
        }
        return out
    }

    static func shellText(_ value: JSONValue) -> String {
        if case .array(let items) = value, items.allSatisfy({ $0.isScalar }) {
            return items.map(\.rawText).joined(separator: "\n")
        }
        return value.rawText
    }
}

extension JSONValue {
    /// Whether this is a string, number, boolean or null.
    public var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}
