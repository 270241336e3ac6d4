import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

extension HCLFunctions {
    /// abspath, basename, dirname, file, filebase64, fileexists, fileset, pathexpand.
    /// Relative paths of `file`, `fileexists` and `fileset` are taken from the template's
    /// directory (`path.root`), those of `abspath` and `filebase64` from the current one,
    /// as Packer does.
    static let filesystem: [String: HCLFunction] = [
        "abspath": HCLFunction([HCLParameter("path", .string)]) { a, c in
            let p = a[0].argString
            return .string(GoPath.clean(p.hasPrefix("/") ? p : GoPath.join(c.pwd, p)))
        },
        "basename": HCLFunction([HCLParameter("path", .string)]) { a, _ in .string(GoPath.base(a[0].argString)) },
        "dirname": HCLFunction([HCLParameter("path", .string)]) { a, _ in .string(GoPath.dir(a[0].argString)) },
        "pathexpand": HCLFunction([HCLParameter("path", .string)]) { a, c throws(HCLFunctionError) in
            .string(try GoPath.expandHome(a[0].argString, c))
        },
        "file": HCLFunction([HCLParameter("path", .string)]) { a, c throws(HCLFunctionError) in
            let path = try GoPath.resolve(a[0].argString, c)
            let bytes = try GoPath.read(path)
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw HCLFunctionError("contents of \(path) are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead")
            }
            return .string(text)
        },
        "filebase64": HCLFunction([HCLParameter("path", .string)]) { a, c throws(HCLFunctionError) in
            let p = a[0].argString
            let full = p.hasPrefix("/") ? p : GoPath.join(c.pwd, p)
            guard let data = FileManager.default.contents(atPath: full) else {
                throw HCLFunctionError("failed to read file \(GoFormat.quote(p)): open \(p): no such file or directory")
            }
            return .string(data.base64EncodedString())
        },
        "fileexists": HCLFunction([HCLParameter("path", .string)]) { a, c throws(HCLFunctionError) in
            let path = try GoPath.resolve(a[0].argString, c)
            var st = stat()
            guard stat(path, &st) == 0 else {
                if errno == ENOENT || errno == ENOTDIR { return .bool(false) }
                throw HCLFunctionError("failed to stat \(path)")
            }
            if st.st_mode & S_IFMT == S_IFREG { return .bool(true) }
            throw HCLFunctionError("\(path) is not a regular file, but \(GoFormat.quote(GoPath.modeString(st.st_mode)))")
        },
        "fileset": HCLFunction([HCLParameter("path", .string), HCLParameter("pattern", .string)]) { a, c throws(HCLFunctionError) in
            var root = a[0].argString
            if !root.hasPrefix("/") { root = GoPath.join(c.baseDir, root) }
            root = GoPath.clean(root)
            let pattern = GoPath.join(root, a[1].argString)
            let relative = pattern == root ? "" : String(pattern.dropFirst(root == "/" ? 1 : root.count + 1))
            guard pattern.hasPrefix(root) else { return .set([], of: .string) }
            let matches = try Glob.files(under: root, matching: relative.split(separator: "/").map(String.init), fullPattern: pattern)
            return .set(matches.map(HCLValue.string), of: .string)
        },
    ]
}

/// Go's `path/filepath` on Unix: Clean, Join, Base, Dir, and the home expansion of
/// mitchellh/go-homedir that Packer's file functions use.
enum GoPath {
    /// Go's `filepath.Clean`.
    static func clean(_ path: String) -> String {
        if path.isEmpty { return "." }
        let rooted = path.hasPrefix("/")
        var out: [Substring] = []
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..":
                if let last = out.last, last != ".." { out.removeLast() } else if !rooted { out.append(part) }
            default: out.append(part)
            }
        }
        let joined = out.joined(separator: "/")
        if rooted { return "/" + joined }
        return joined.isEmpty ? "." : joined
    }

    /// Go's `filepath.Join`: non-empty elements joined by `/`, then cleaned.
    static func join(_ parts: String...) -> String {
        let kept = parts.filter { !$0.isEmpty }
        return kept.isEmpty ? "" : clean(kept.joined(separator: "/"))
    }

    /// Go's `filepath.Base`.
    static func base(_ path: String) -> String {
        if path.isEmpty { return "." }
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        if p == "/" { return "/" }
        if let slash = p.lastIndex(of: "/") { p = p[p.index(after: slash)...] }
        return p.isEmpty ? "/" : String(p)
    }

    /// Go's `filepath.Dir`.
    static func dir(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return clean(String(path[...slash]))
    }

    /// `~` and `~/…` with the environment's HOME (go-homedir's Expand).
    static func expandHome(_ path: String, _ c: HCLFunctionContext) throws(HCLFunctionError) -> String {
        guard path.hasPrefix("~") else { return path }
        if path.count > 1, !path.hasPrefix("~/") {
            throw HCLFunctionError("cannot expand user-specific home dir")
        }
        guard let home = c.environment["HOME"], !home.isEmpty else {
            throw HCLFunctionError("HOME is not set, so ~ cannot be expanded")
        }
        return home + path.dropFirst()
    }

    /// A path argument as Packer's file functions take it: `~` expanded, relative to the
    /// template's directory, cleaned.
    static func resolve(_ path: String, _ c: HCLFunctionContext) throws(HCLFunctionError) -> String {
        var p: String
        do throws(HCLFunctionError) { p = try expandHome(path, c) } catch { throw HCLFunctionError("failed to expand ~: \(error.message)") }
        if !p.hasPrefix("/") { p = join(c.baseDir, p) }
        return clean(p)
    }

    /// The bytes of a file, with go-cty-funcs' messages.
    static func read(_ path: String) throws(HCLFunctionError) -> [UInt8] {
        var st = stat()
        if stat(path, &st) != 0, errno == ENOENT || errno == ENOTDIR { throw HCLFunctionError("no file exists at \(path)") }
        guard st.st_mode & S_IFMT != S_IFDIR, let data = FileManager.default.contents(atPath: path) else {
            throw HCLFunctionError("failed to read \(path)")
        }
        return Array(data)
    }

    /// Go's `FileMode.String()` for a stat mode: `drwxr-xr-x`, `Lrwxrwxrwx`, `prw-r--r--`.
    static func modeString(_ mode: mode_t) -> String {
        var out = ""
        switch mode & S_IFMT {
        case S_IFDIR: out += "d"
        case S_IFLNK: out += "L"
        case S_IFIFO: out += "p"
        case S_IFSOCK: out += "S"
        case S_IFCHR: out += "Dc"
        case S_IFBLK: out += "D"
        default: break
        }
        let rwx = Array("rwxrwxrwx")
        for i in 0..<9 { out.append(mode & (1 << (8 - UInt32(i))) != 0 ? rwx[i] : "-") }
        return out
    }
}

/// bmatcuk/doublestar's glob as `fileset` uses it: `*`, `?`, `[...]`, `{a,b}` within a
/// path segment, `**` for any number of directories (dot files included); only regular
/// files are returned, relative to the root, sorted.
enum Glob {
    /// The regular files below `root` whose relative paths match the pattern's segments.
    static func files(under root: String, matching segments: [String], fullPattern: String) throws(HCLFunctionError) -> [String] {
        for s in segments where !Glob.valid(Array(s)) {
            throw HCLFunctionError("failed to glob pattern (\(fullPattern)): syntax error in pattern")
        }
        var out: [String] = []
        walk(root, "", segments[...], &out)
        return out.sorted()
    }

    private static func entries(_ dir: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
    }

    private static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR
    }

    private static func isFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }

    private static func walk(_ dir: String, _ rel: String, _ segments: ArraySlice<String>, _ out: inout [String]) {
        guard let seg = segments.first else {
            if isFile(dir), !rel.isEmpty, !out.contains(rel) { out.append(rel) }
            return
        }
        let rest = segments.dropFirst()
        if seg == "**" {
            walk(dir, rel, rest, &out)
            for name in entries(dir) where isDirectory(dir + "/" + name) {
                walk(dir + "/" + name, rel.isEmpty ? name : rel + "/" + name, segments, &out)
            }
            return
        }
        if !seg.contains(where: { "*?[{\\".contains($0) }) {
            let path = dir + "/" + seg
            if FileManager.default.fileExists(atPath: path) { walk(path, rel.isEmpty ? seg : rel + "/" + seg, rest, &out) }
            return
        }
        let alternatives = expandBraces(seg)
        for name in entries(dir).sorted() where alternatives.contains(where: { match(Array($0), Array(name)) }) {
            walk(dir + "/" + name, rel.isEmpty ? name : rel + "/" + name, rest, &out)
        }
    }

    /// `a{b,c}d` → `abd`, `acd` (nested braces expanded recursively).
    static func expandBraces(_ s: String) -> [String] {
        let c = Array(s)
        guard let open = c.firstIndex(of: "{") else { return [s] }
        var depth = 0
        var parts: [String] = []
        var current = ""
        for i in (open + 1)..<c.count {
            switch c[i] {
            case "{": depth += 1; current.append(c[i])
            case "}" where depth > 0: depth -= 1; current.append(c[i])
            case "}":
                parts.append(current)
                let head = String(c[..<open]), tail = String(c[(i + 1)...])
                return parts.flatMap { p in expandBraces(head + p + tail) }
            case "," where depth == 0: parts.append(current); current = ""
            default: current.append(c[i])
            }
        }
        return [s]
    }

    /// Whether a segment's brackets and escapes are well formed.
    static func valid(_ p: [Character]) -> Bool {
        var i = 0
        while i < p.count {
            if p[i] == "\\" { if i + 1 >= p.count { return false }; i += 2; continue }
            if p[i] == "[" {
                guard let close = p[(i + 1)...].firstIndex(of: "]"), close > i + 1 else { return false }
                i = close
            }
            i += 1
        }
        return true
    }

    /// Go's `path.Match` for one segment.
    static func match(_ p: [Character], _ s: [Character]) -> Bool {
        if p.isEmpty { return s.isEmpty }
        switch p[0] {
        case "*":
            for k in 0...s.count where match(Array(p.dropFirst()), Array(s[k...])) { return true }
            return false
        case "?":
            return !s.isEmpty && match(Array(p.dropFirst()), Array(s.dropFirst()))
        case "[":
            guard let close = p.dropFirst().firstIndex(of: "]"), !s.isEmpty else { return false }
            var set = Array(p[1..<close])
            let negate = set.first == "^" || set.first == "!"
            if negate { set.removeFirst() }
            var hit = false
            var k = 0
            while k < set.count {
                if k + 2 < set.count, set[k + 1] == "-" {
                    if set[k] <= s[0] && s[0] <= set[k + 2] { hit = true }
                    k += 3
                } else {
                    if set[k] == s[0] { hit = true }
                    k += 1
                }
            }
            return hit != negate && match(Array(p[(close + 1)...]), Array(s.dropFirst()))
        case "\\" where p.count > 1:
            return !s.isEmpty && s[0] == p[1] && match(Array(p.dropFirst(2)), Array(s.dropFirst()))
        default:
            return !s.isEmpty && s[0] == p[0] && match(Array(p.dropFirst()), Array(s.dropFirst()))
        }
    }
}
