import FoundationEssentials

extension HCLFunctions {
    /// chomp, endswith, format, formatlist, indent, join, lower, regex, regex_replace,
    /// regexall, replace, split, startswith, strcontains, strrev, substr, title, trim,
    /// trimprefix, trimspace, trimsuffix, upper.
    static let strings: [String: HCLFunction] = [
        "chomp": HCLFunction([HCLParameter("str", .string)]) { a, _ in
            var s = Substring(a[0].argString)
            while let last = s.unicodeScalars.last, last == "\n" || last == "\r" { s = Substring(s.unicodeScalars.dropLast()) }
            return .string(String(s))
        },
        "endswith": HCLFunction([HCLParameter("str", .string), HCLParameter("suffix", .string)]) { a, _ in
            .bool(a[0].argString.utf8.reversed().starts(with: a[1].argString.utf8.reversed()))
        },
        "startswith": HCLFunction([HCLParameter("str", .string), HCLParameter("prefix", .string)]) { a, _ in
            .bool(a[0].argString.utf8.starts(with: a[1].argString.utf8))
        },
        "strcontains": HCLFunction([HCLParameter("str", .string), HCLParameter("substr", .string)]) { a, _ in
            .bool(a[1].argString.isEmpty || a[0].argString.containsText(a[1].argString))
        },
        "format": HCLFunction([HCLParameter("format", .string)], variadic: HCLParameter("args", .dynamic, allowNull: true)) { a, _ throws(HCLFunctionError) in
            .string(try CtyFormat.format(a[0].argString, Array(a.dropFirst())))
        },
        "formatlist": HCLFunction([HCLParameter("format", .string)], variadic: HCLParameter("args", .dynamic, allowNull: true)) { a, _ throws(HCLFunctionError) in
            try CtyFormat.formatList(a[0].argString, Array(a.dropFirst()))
        },
        "indent": HCLFunction([HCLParameter("spaces", .number), HCLParameter("str", .string)]) { a, _ throws(HCLFunctionError) in
            let n = try HCLArgs.whole(a[0], 0, "spaces")
            return .string(TemplateFunctions.goReplace(a[1].argString, "\n", "\n" + String(repeating: " ", count: max(0, n)), -1))
        },
        "join": HCLFunction([HCLParameter("separator", .string)], variadic: HCLParameter("lists", .list(.string))) { a, _ throws(HCLFunctionError) in
            guard a.count > 1 else { throw HCLFunctionError("at least one list is required") }
            var parts: [String] = []
            for (ai, list) in a.dropFirst().enumerated() {
                for (ei, e) in (list.elements ?? []).enumerated() {
                    guard case .string(let s) = e else {
                        throw HCLFunctionError(argument: ai + 1, "element \(ei) of list \(ai + 1) is null; cannot concatenate null values")
                    }
                    parts.append(s)
                }
            }
            return .string(parts.joined(separator: a[0].argString))
        },
        "lower": HCLFunction([HCLParameter("str", .string)]) { a, _ in .string(TemplateFunctions.simpleCase(a[0].argString, upper: false)) },
        "upper": HCLFunction([HCLParameter("str", .string)]) { a, _ in .string(TemplateFunctions.simpleCase(a[0].argString, upper: true)) },
        "replace": HCLFunction([HCLParameter("str", .string), HCLParameter("substr", .string), HCLParameter("replace", .string)]) { a, _ throws(HCLFunctionError) in
            let str = a[0].argString, sub = a[1].argString, rep = a[2].argString
            if sub.count > 2, sub.hasPrefix("/"), sub.hasSuffix("/") {
                let re = try GoRegex(String(sub.dropFirst().dropLast()), argument: 1, name: "substr")
                return .string(re.replaceAll(str, rep))
            }
            return .string(TemplateFunctions.goReplace(str, sub, rep, -1))
        },
        "regex_replace": HCLFunction([HCLParameter("str", .string), HCLParameter("substr", .string), HCLParameter("replace", .string)]) { a, _ throws(HCLFunctionError) in
            let re = try GoRegex(a[1].argString, argument: 1, name: "substr")
            return .string(re.replaceAll(a[0].argString, a[2].argString))
        },
        "regex": HCLFunction([HCLParameter("pattern", .string), HCLParameter("string", .string)]) { a, _ throws(HCLFunctionError) in
            let re = try GoRegex(a[0].argString, argument: 0, name: "pattern")
            guard let m = re.matches(a[1].argString).first else {
                throw HCLFunctionError("pattern did not match any part of the given string")
            }
            return try re.result(m, in: a[1].argString)
        },
        "regexall": HCLFunction([HCLParameter("pattern", .string), HCLParameter("string", .string)]) { a, _ throws(HCLFunctionError) in
            let re = try GoRegex(a[0].argString, argument: 0, name: "pattern")
            let results = try re.matches(a[1].argString).map { (m) throws(HCLFunctionError) in try re.result(m, in: a[1].argString) }
            return .list(results, try re.resultType())
        },
        "split": HCLFunction([HCLParameter("separator", .string), HCLParameter("str", .string)]) { a, _ in
            .list(TemplateFunctions.goSplit(a[1].argString, a[0].argString).map(HCLValue.string), .string)
        },
        "strrev": HCLFunction([HCLParameter("str", .string)]) { a, _ in .string(String(a[0].argString.reversed())) },
        "substr": HCLFunction([HCLParameter("str", .string), HCLParameter("offset", .number), HCLParameter("length", .number)]) { a, _ throws(HCLFunctionError) in
            let chars = Array(a[0].argString)
            var offset = try HCLArgs.whole(a[1], 1, "offset")
            let length = try HCLArgs.whole(a[2], 2, "length")
            if offset < 0 { offset = max(0, offset + chars.count) } else if length == 0 { return .string("") }
            guard offset < chars.count else { return .string("") }
            let end = length < 0 ? chars.count : min(chars.count, offset + length)
            return .string(String(chars[offset..<end]))
        },
        "title": HCLFunction([HCLParameter("str", .string)]) { a, _ in .string(goTitle(a[0].argString)) },
        "trim": HCLFunction([HCLParameter("str", .string), HCLParameter("cutset", .string)]) { a, _ in
            let cut = Set(a[1].argString.unicodeScalars)
            return .string(trimScalars(a[0].argString) { cut.contains($0) })
        },
        "trimprefix": HCLFunction([HCLParameter("str", .string), HCLParameter("prefix", .string)]) { a, _ in
            let s = a[0].argString, p = a[1].argString
            return .string(s.utf8.starts(with: p.utf8) ? String(decoding: s.utf8.dropFirst(p.utf8.count), as: UTF8.self) : s)
        },
        "trimsuffix": HCLFunction([HCLParameter("str", .string), HCLParameter("suffix", .string)]) { a, _ in
            let s = a[0].argString, p = a[1].argString
            return .string(s.utf8.reversed().starts(with: p.utf8.reversed()) ? String(decoding: s.utf8.dropLast(p.utf8.count), as: UTF8.self) : s)
        },
        "trimspace": HCLFunction([HCLParameter("str", .string)]) { a, _ in
            .string(trimScalars(a[0].argString) { $0.properties.isWhitespace })
        },
    ]

    /// The string without leading and trailing scalars that `drop` selects (Go's `strings.Trim`).
    static func trimScalars(_ s: String, _ drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = Array(s.unicodeScalars)
        var lo = 0, hi = scalars.count
        while lo < hi, drop(scalars[lo]) { lo += 1 }
        while hi > lo, drop(scalars[hi - 1]) { hi -= 1 }
        return String(String.UnicodeScalarView(scalars[lo..<hi]))
    }

    /// Go's `strings.Title`: a letter that follows a separator (or starts the string)
    /// becomes title case. Separators are ASCII characters other than letters, digits and
    /// `_` (so "don't" becomes "Don'T", as in Go), and non-ASCII spaces.
    static func goTitle(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        var previous: Unicode.Scalar = " "
        for c in s.unicodeScalars {
            let p = previous.properties
            let separator: Bool
            if previous.isASCII {
                separator = !(("a"..."z").contains(previous) || ("A"..."Z").contains(previous) || ("0"..."9").contains(previous) || previous == "_")
            } else {
                separator = !(p.isAlphabetic || p.numericType != nil) && p.isWhitespace
            }
            if separator {
                let t = c.properties.titlecaseMapping.unicodeScalars
                if t.count == 1 { out.append(t.first!) } else { out.append(c) }
            } else {
                out.append(c)
            }
            previous = c
        }
        return String(out)
    }
}

/// A Go (RE2) regular expression over the standard library's `Regex`, matching Unicode
/// scalar by scalar as RE2 does (a match may split a "\r\n" Character): `(?P<name>…)` is
/// rewritten to `(?<name>…)`; `$` outside multi-line mode to `\z` (Swift's `$` would also
/// match before a final newline, RE2's does not) and inside it to "before \n or at the end";
/// `.` outside dot-all mode to `[^\n]` (only "\n" ends a line in RE2, while Swift's `.` also
/// stops at "\r" and the other line ends). Replacement templates expand as Go's
/// `Regexp.Expand` does (`$1`, `${1}`, `$name`, `${name}`, `$$`). Swift accepts a superset of
/// RE2's syntax (backreferences, lookahead), so a few patterns Packer rejects are accepted
/// here; in multi-line mode `^` also matches after "\r" (Swift has no lookbehind to say
/// otherwise).
struct GoRegex {
    let regex: Regex<AnyRegexOutput>
    /// Capture group names in order, "" for an unnamed group.
    let names: [String]

    /// Compiles `pattern`; errors name the argument as cty does.
    init(_ pattern: String, argument: Int, name: String) throws(HCLFunctionError) {
        let translated = GoRegex.swiftPattern(pattern)
        do {
            regex = try Regex(translated).matchingSemantics(.unicodeScalar)
        } catch {
            throw .invalid(argument, name, "invalid regexp pattern: \(GoRegex.syntaxProblem(pattern))")
        }
        names = GoRegex.groupNames(translated)
    }

    /// RE2's words for the commonest mistakes (`missing closing ) in (a`), else a general
    /// one naming the pattern.
    static func syntaxProblem(_ pattern: String) -> String {
        let p = Array(pattern)
        var depth = 0
        var i = 0
        while i < p.count {
            switch p[i] {
            case "\\": i += 1
            case "[":
                let start = i
                i += 1
                if i < p.count, p[i] == "^" { i += 1 }
                if i < p.count, p[i] == "]" { i += 1 }
                while i < p.count, p[i] != "]" { if p[i] == "\\" { i += 1 }; i += 1 }
                if i >= p.count { return "missing closing ] in \(String(p[start...]))" }
            case "(": depth += 1
            case ")":
                if depth == 0 { return "unexpected ) in \(pattern)" }
                depth -= 1
            case "*", "+", "?":
                if i == 0 || p[i - 1] == "(" || p[i - 1] == "|" { return "missing argument to repetition operator in \(p[i])" }
            default: break
            }
            i += 1
        }
        if depth > 0 { return "missing closing ) in \(pattern)" }
        return "cannot compile \(pattern)"
    }

    /// Whether a flag group (`(?m)`, `(?is:…)`) in `pattern` turns on `flag`.
    static func hasFlag(_ flag: Character, in pattern: String) -> Bool {
        let p = Array(pattern)
        var i = 0
        while i + 1 < p.count {
            if p[i] == "(", p[i + 1] == "?" {
                var j = i + 2
                while j < p.count, p[j].isASCII, p[j].isLetter {
                    if p[j] == flag { return true }
                    j += 1
                }
            }
            i += 1
        }
        return false
    }

    /// The pattern in Swift's syntax (see the type's summary).
    static func swiftPattern(_ pattern: String) -> String {
        let p = Array(pattern)
        let multiLine = hasFlag("m", in: pattern)
        let dotAll = hasFlag("s", in: pattern)
        var out = ""
        var i = 0
        var inClass = false
        while i < p.count {
            let c = p[i]
            if c == "\\", i + 1 < p.count { out.append(c); out.append(p[i + 1]); i += 2; continue }
            if inClass {
                if c == "]" { inClass = false }
            } else if c == "[" {
                // A "]" first in the class is one of its members (Swift would end the class).
                inClass = true
                out.append(c)
                i += 1
                if i < p.count, p[i] == "^" { out.append("^"); i += 1 }
                if i < p.count, p[i] == "]" { out += "\\]"; i += 1 }
                continue
            } else if c == "$" {
                out += multiLine ? "(?=\\n|\\z)" : "\\z"; i += 1; continue
            } else if c == ".", !dotAll {
                out += "[^\\n]"; i += 1; continue
            } else if c == "(", i + 2 < p.count, p[i + 1] == "?", p[i + 2] == "P", i + 3 < p.count, p[i + 3] == "<" {
                out += "(?<"; i += 4; continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    /// The names of the capture groups, scanning the pattern for `(` that opens a group.
    private static func groupNames(_ pattern: String) -> [String] {
        var names: [String] = []
        let p = Array(pattern)
        var i = 0
        var inClass = false
        while i < p.count {
            let c = p[i]
            if c == "\\" { i += 2; continue }
            if inClass { if c == "]" { inClass = false }; i += 1; continue }
            if c == "[" { inClass = true; i += 1; continue }
            if c == "(" {
                if i + 1 < p.count, p[i + 1] == "?" {
                    if i + 2 < p.count, p[i + 2] == "<", i + 3 < p.count, p[i + 3] != "=", p[i + 3] != "!" {
                        var j = i + 3
                        var name = ""
                        while j < p.count, p[j] != ">" { name.append(p[j]); j += 1 }
                        names.append(name)
                    }
                } else {
                    names.append("")
                }
            }
            i += 1
        }
        return names
    }

    /// Every non-overlapping match, left to right.
    func matches(_ s: String) -> [Regex<AnyRegexOutput>.Match] {
        s.matches(of: regex)
    }

    /// Capture `k` of `m` (0: the whole match), nil when it took no part, cut from `s` by
    /// scalars so that a match splitting a "\r\n" Character keeps its exact text.
    private func capture(_ k: Int, of m: Regex<AnyRegexOutput>.Match, in s: String) -> String? {
        guard k < m.output.count, let r = m.output[k].range else { return nil }
        return String(s.unicodeScalars[r])
    }

    /// cty's result type: the whole match, a tuple of unnamed captures, or an object of
    /// named ones (mixing both is an error).
    func resultType() throws(HCLFunctionError) -> HCLType {
        let named = names.filter { !$0.isEmpty }
        if names.isEmpty { return .string }
        if !named.isEmpty && named.count != names.count {
            throw .invalid(0, "pattern", "invalid regexp pattern: cannot mix both named and unnamed capture groups")
        }
        if named.isEmpty { return .tuple(Array(repeating: .string, count: names.count)) }
        return .object(Dictionary(named.map { ($0, HCLType.string) }) { a, _ in a })
    }

    /// One match as cty's regex function returns it; groups that took no part are null.
    func result(_ m: Regex<AnyRegexOutput>.Match, in s: String) throws(HCLFunctionError) -> HCLValue {
        let type = try resultType()
        func group(_ k: Int) -> HCLValue { capture(k, of: m, in: s).map { .string($0) } ?? .null(.string) }
        switch type {
        case .string: return group(0)
        case .tuple: return .tuple((1...names.count).map(group))
        default: return .object(Dictionary(names.enumerated().map { ($0.element, group($0.offset + 1)) }) { a, _ in a })
        }
    }

    /// Go's `ReplaceAllString`: every match replaced by `template` expanded.
    func replaceAll(_ s: String, _ template: String) -> String {
        var out = ""
        var last = s.startIndex
        for m in matches(s) {
            out += String(s.unicodeScalars[last..<m.range.lowerBound])
            out += expand(template, m, s)
            last = m.range.upperBound
        }
        return out + String(s.unicodeScalars[last...])
    }

    /// Go's `Regexp.Expand`.
    private func expand(_ template: String, _ m: Regex<AnyRegexOutput>.Match, _ s: String) -> String {
        func group(_ name: String) -> String {
            var k: Int?
            if let n = Int(name), name.allSatisfy(\.isASCII) { k = n } else if let i = names.firstIndex(of: name) { k = i + 1 }
            guard let k, k <= names.count else { return "" }
            return capture(k, of: m, in: s) ?? ""
        }
        var out = ""
        let t = Array(template.unicodeScalars)
        var i = 0
        func isNameChar(_ c: Unicode.Scalar) -> Bool { c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) }
        while i < t.count {
            guard t[i] == "$", i + 1 < t.count else { out.unicodeScalars.append(t[i]); i += 1; continue }
            if t[i + 1] == "$" { out += "$"; i += 2; continue }
            if t[i + 1] == "{" {
                var j = i + 2
                var name = ""
                while j < t.count, isNameChar(t[j]) { name.unicodeScalars.append(t[j]); j += 1 }
                if j < t.count, t[j] == "}", !name.isEmpty { out += group(name); i = j + 1; continue }
                out += "$"; i += 1; continue
            }
            var j = i + 1
            var name = ""
            while j < t.count, isNameChar(t[j]) { name.unicodeScalars.append(t[j]); j += 1 }
            if name.isEmpty { out += "$"; i += 1; continue }
            out += group(name)
            i = j
        }
        return out
    }
}
