/// A set of API error codes given on a command line: `Throttling,*.NotFound,DependencyViolation*`
/// (comma lists; a leading or trailing `*` matches any text).
public struct CodePatterns: Sendable {
    let patterns: [String]

    /// Parses every comma-separated item of every argument.
    public init(_ arguments: [String]) {
        patterns = arguments.flatMap { $0.split(separator: ",") }.map { $0.trimmingBlanks() }.filter { !$0.isEmpty }
    }

    /// Whether `code` matches any pattern.
    public func matches(_ code: String) -> Bool {
        patterns.contains { p in
            if p == "*" { return true }
            if p.hasPrefix("*") { return code.hasSuffix(p.dropFirst()) }
            if p.hasSuffix("*") { return code.hasPrefix(p.dropLast()) }
            return code == p
        }
    }
}

import FoundationEssentials
