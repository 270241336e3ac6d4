import AlicloudKit
import FoundationEssentials

/// Turns the small cmd.exe and PowerShell subset that emulated Windows instances support
/// into POSIX sh run (busybox) inside the instance's root. It is deliberately small: what
/// it does not know it reports the way Windows does ("is not recognized") instead of
/// guessing. man/winrm-run.1 lists exactly what is emulated.
struct WindowsCommandTranslator {
    /// cmd's environment for `%NAME%` (names matched case-insensitively).
    var environment: [String: String]
    /// Reads a file of the instance by its sh path (`/Windows/Temp/x.ps1`).
    let readFile: (String) -> String?

    /// Shell functions every translation relies on.
    static let prelude = #"""
        w_out() { for l in "$@"; do printf '%s\r\n' "$l"; done; }
        w_xml() { printf '%s' "$1" | sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g'; }
        w_err() { if [ -z "$PS_CLIXML" ]; then printf '#< CLIXML\r\n' >&2; PS_CLIXML=1; fi; printf '<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">%s_x000D__x000A_</S></Objs>' "$(w_xml "$1")" >&2; PS_OK=0; }
        winpath() { printf '%s' "$1" | tr '\\' '/' | sed -e 's#^[A-Za-z]:##' -e 's#^$#/#'; }
        w_gci_row() { t=$(date -d "@$(stat -c %Y "$1")" '+%-m/%-d/%Y %l:%M %p'); if [ -d "$1" ]; then printf 'd----%28s%11s %s\r\n' "$t" '' "${1##*/}"; else printf -- '-a---%28s%11s %s\r\n' "$t" "$(stat -c %s "$1")" "${1##*/}"; fi; }
        w_gci() {
            if [ ! -e "$1" ]; then w_err "Cannot find path '$2' because it does not exist."; return 0; fi
            if [ -d "$1" ]; then g_dir=$1; g_names=$(ls -1 "$1" | sort -f); else g_dir=$(dirname "$1"); g_names=${1##*/}; fi
            [ -n "$g_names" ] || return 0
            printf '\r\n    Directory: C:%s\r\n\r\n\r\n' "$(cd "$g_dir" && pwd | tr '/' '\\')"
            printf 'Mode                LastWriteTime     Length Name\r\n----                -------------     ------ ----\r\n'
            for g_kind in d f; do
                printf '%s\n' "$g_names" | while IFS= read -r g_n; do
                    g_is=f; [ -d "$g_dir/$g_n" ] && g_is=d
                    [ "$g_is" != "$g_kind" ] || w_gci_row "$g_dir/$g_n"
                done
            done
            printf '\r\n'
        }
        not_recognized() { printf "'%s' is not recognized as an internal or external command,\r\noperable program or batch file.\r\n" "$1" >&2; W_EL=9009; return 1; }
        """#

    // MARK: cmd.exe

    /// One cmd.exe command line (as `cmd /c` runs it) → sh.
    mutating func cmdLine(_ line: String) -> String {
        let expanded = expandPercent(line)
        var out = ""
        for (segment, joiner) in splitCmd(expanded) {
            out += cmdSegment(segment) + joiner
        }
        return out.isEmpty ? ":" : out
    }

    func expandPercent(_ line: String) -> String {
        var result = ""
        var rest = Substring(line)
        while let start = rest.firstIndex(of: "%") {
            result += rest[..<start]
            let after = rest.index(after: start)
            guard let end = rest[after...].firstIndex(of: "%") else { result += rest[start...]; return result }
            let name = String(rest[after..<end])
            if let value = lookup(name), !name.isEmpty, !name.contains(" ") {
                result += value
                rest = rest[rest.index(after: end)...]
            } else {
                result += "%"
                rest = rest[after...]
            }
        }
        return result + rest
    }

    func lookup(_ name: String) -> String? {
        environment.first { $0.key.equalsIgnoringCase(name) }?.value
    }

    /// Splits on unquoted `&`, `&&`, `||` (a `&` right after `>` belongs to a redirection).
    func splitCmd(_ line: String) -> [(String, String)] {
        var parts: [(String, String)] = []
        var current = "", quoted = false
        let chars = Array(line)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "\"" { quoted.toggle() }
            if !quoted && c == "&" && current.last != ">" {
                if i + 1 < chars.count && chars[i + 1] == "&" { parts.append((current, " && ")); i += 2 } else { parts.append((current, "; ")); i += 1 }
                current = ""; continue
            }
            if !quoted && c == "|" && i + 1 < chars.count && chars[i + 1] == "|" {
                parts.append((current, " || ")); current = ""; i += 2; continue
            }
            current.append(c); i += 1
        }
        parts.append((current, ""))
        return parts.filter { !$0.0.trimmingBlanks().isEmpty }
    }

    mutating func cmdSegment(_ raw: String) -> String {
        var (text, redirects) = splitRedirects(raw)
        text = text.trimmingBlanks()
        if text.hasPrefix("@") { text.removeFirst() }
        let words = cmdWords(text)
        guard let first = words.first else { return ":" }
        let verb = first.lowercased()
        let rest = text.dropFirst(text.prefix(while: { !$0.isWhitespace }).count).drop(while: { $0.isWhitespace })
        let code: String
        switch verb {
        case "echo":
            if rest.isEmpty { code = "w_out 'ECHO is on.'" }
            else if ["off", "on"].contains(rest.lowercased()) { code = ":" }
            else { code = "w_out \(sq(String(rest)))" }
        case "echo.": code = "w_out ''"
        case "rem", "::": code = ":"
        case "exit":
            let args = words.dropFirst().filter { $0.lowercased() != "/b" }
            code = "exit \(Int(args.first ?? "0") ?? 0)"
        case "type", "more":
            if words.count == 1 { code = "cat" } else if words[1].lowercased() == "nul" { code = ":" } else {
                let p = winPath(words[1])
                code = "if [ -f \(p) ]; then cat \(p); else printf 'The system cannot find the file specified.\\r\\n' >&2; false; fi"
            }
        case "dir": code = "ls -la \(words.count > 1 ? winPath(words.last!) : ".")"
        case "cd", "chdir": code = words.count > 1 ? "cd \(winPath(words[1]))" : "pwd"
        case "del", "erase": code = "rm -f " + words.dropFirst().filter { !$0.hasPrefix("/") }.map(winPath).joined(separator: " ")
        case "mkdir", "md": code = "mkdir -p " + words.dropFirst().map(winPath).joined(separator: " ")
        case "set":
            let assignment = String(rest).trimming(where: { $0 == "\"" })
            if let eq = assignment.firstIndex(of: "="), !assignment.hasPrefix("/") {
                let name = String(assignment[..<eq]), value = String(assignment[assignment.index(after: eq)...])
                environment[name] = value
                code = "export \(shName(name))=\(sq(value))"
            } else {
                code = "env | sort | sed 's/$/\\r/'"
            }
        case "cmd", "cmd.exe":
            let inner = words.dropFirst().drop { $0.hasPrefix("/") && $0.lowercased() != "/c" && $0.lowercased() != "/k" }
            guard inner.first?.lowercased() == "/c" || inner.first?.lowercased() == "/k" else { code = ":"; break }
            let line = text.components(separatedBy: inner.first!).dropFirst().joined(separator: inner.first!)
            code = "( \(cmdLine(line)) )"
        case "powershell", "powershell.exe":
            code = powershellInvocation(Array(words.dropFirst()))
        case "call": code = runBatch(words.count > 1 ? words[1] : "")
        default:
            let lower = verb
            if lower.hasSuffix(".bat") || lower.hasSuffix(".cmd") { code = runBatch(first) }
            else if lower.hasSuffix(".ps1") { code = runPSFile(first, arguments: []) }
            else { code = "not_recognized \(sq(first))" }
        }
        return redirects.isEmpty ? "{ \(code); }" : "{ \(code); } \(redirects)"
    }

    /// Separates redirections (`>f`, `>>f`, `2>f`, `2>&1`, `1>&2`, `>nul`) from a segment.
    func splitRedirects(_ segment: String) -> (String, String) {
        var text = "", redirects: [String] = []
        let chars = Array(segment)
        var i = 0, quoted = false
        while i < chars.count {
            let c = chars[i]
            if c == "\"" { quoted.toggle() }
            if !quoted && c == ">" {
                var fd = ""
                if let last = text.last, last == "1" || last == "2", text.dropLast().last?.isWhitespace ?? true {
                    fd = String(last); text.removeLast()
                }
                var op = ">"
                i += 1
                if i < chars.count && chars[i] == ">" { op = ">>"; i += 1 }
                if i < chars.count && chars[i] == "&" {
                    i += 1
                    let target = i < chars.count ? String(chars[i]) : "1"
                    i += 1
                    redirects.append("\(fd)>&\(target)")
                    continue
                }
                while i < chars.count && chars[i] == " " { i += 1 }
                var target = "", q = false
                while i < chars.count && (q || !chars[i].isWhitespace) {
                    if chars[i] == "\"" { q.toggle() } else { target.append(chars[i]) }
                    i += 1
                }
                redirects.append("\(fd)\(op) \(target.lowercased() == "nul" ? "/dev/null" : winPath(target))")
                continue
            }
            text.append(c); i += 1
        }
        return (text, redirects.joined(separator: " "))
    }

    /// Words of a cmd segment, quotes removed.
    func cmdWords(_ text: String) -> [String] {
        var words: [String] = [], current = "", quoted = false, has = false
        for c in text {
            if c == "\"" { quoted.toggle(); has = true; continue }
            if c.isWhitespace && !quoted {
                if has || !current.isEmpty { words.append(current) }
                current = ""; has = false
            } else { current.append(c) }
        }
        if has || !current.isEmpty { words.append(current) }
        return words
    }

    mutating func runBatch(_ path: String) -> String {
        let file = windowsPathInRoot(path)
        guard let content = readFile(file) else { return "not_recognized \(sq(path))" }
        var lines: [String] = []
        for line in content.replacingText("\r\n", with: "\n").split(separator: "\n") {
            let l = line.trimmingBlanks()
            if l.isEmpty || l.lowercased().hasPrefix("rem ") || l.hasPrefix("::") { continue }
            lines.append(cmdLine(l))
        }
        return "( \(lines.isEmpty ? ":" : lines.joined(separator: "\n")) )"
    }

    // MARK: PowerShell

    mutating func powershellInvocation(_ args: [String]) -> String {
        var i = 0
        while i < args.count {
            let a = args[i].lowercased()
            switch a {
            case "-encodedcommand", "-enc", "-ec", "-e":
                guard i + 1 < args.count, let script = PowerShell.decode(args[i + 1]) else {
                    return "w_err 'Cannot process the command because the value of -EncodedCommand is not valid.'; exit 1"
                }
                return psScript(script)
            case "-file", "-f":
                guard i + 1 < args.count else { return "exit 1" }
                return runPSFile(args[i + 1], arguments: Array(args.dropFirst(i + 2)))
            case "-command", "-c":
                return psScript(args.dropFirst(i + 1).joined(separator: " "))
            case "-executionpolicy", "-ep", "-inputformat", "-outputformat", "-windowstyle":
                i += 2
            default:
                if a.hasPrefix("-") { i += 1 } else { return psScript(args[i...].joined(separator: " ")) }
            }
        }
        return ":"
    }

    mutating func runPSFile(_ path: String, arguments: [String]) -> String {
        guard let content = readFile(windowsPathInRoot(path)) else {
            return "( PS_OK=1; PS_CLIXML=; w_err \(sq("The argument '\(path)' to the -File parameter does not exist.")); exit 1 )"
        }
        return psScript(content)
    }

    /// A whole PowerShell process: its statements in a subshell that exits like powershell.exe.
    mutating func psScript(_ script: String) -> String {
        "( LASTEXITCODE=; PS_OK=1; PS_CLIXML=\n" + psStatements(script) + "\n[ \"$PS_OK\" = 1 ] )"
    }

    mutating func psStatements(_ script: String) -> String {
        let stmts = PSLexer.statements(script)
        // `$?` of the last statement decides powershell.exe's status when there is no
        // `exit`: every statement starts out successful, w_err (an error record) clears it.
        let code = stmts.map { "PS_OK=1; " + psStatement($0) }
        return code.isEmpty ? ":" : code.joined(separator: "\n")
    }

    mutating func psStatement(_ raw: String) -> String {
        var s = raw.trimmingSpace()
        if s.isEmpty || s.hasPrefix("#") { return ":" }
        var suffix = ""
        if let r = s.firstRange(of: /\|\s*Out-Null\s*$/.ignoresCase().matchingSemantics(.unicodeScalar)) {  // s ends in no line break
            s = String(s[..<r.lowerBound]).trimmingBlanks()
            suffix = " >/dev/null"
        }
        let lower = s.lowercased()
        // & { block }   &'script.ps1'   . 'vars.ps1'
        if s.hasPrefix("&") {
            let body = s.dropFirst().trimmingBlanks()
            if body.hasPrefix("{"), body.hasSuffix("}") { return "{ \(psStatements(String(body.dropFirst().dropLast()))); }" + suffix }
            let tokens = PSLexer.tokens(body)
            guard let path = tokens.first.map(literalText) else { return ":" }
            guard let content = readFile(windowsPathInRoot(path)) else { return notRecognized(path) }
            return "( LASTEXITCODE=\n\(psStatements(content))\nexit ${LASTEXITCODE:-0} ); LASTEXITCODE=$?" + suffix
        }
        if s.hasPrefix(". ") || s.hasPrefix(".\t") {
            let path = literalText(String(s.dropFirst(2)).trimmingBlanks())
            guard let content = readFile(windowsPathInRoot(path)) else { return notRecognized(path) }
            return psStatements(content)
        }
        if lower.hasPrefix("if") && (lower.dropFirst(2).first == "(" || lower.dropFirst(2).first == " ") {
            return psIf(s) + suffix
        }
        if lower == "exit" { return "exit 0" }
        if lower.hasPrefix("exit ") {
            let arg = s.dropFirst(5).trimmingBlanks()
            if arg.lowercased() == "$lastexitcode" { return "exit ${LASTEXITCODE:-0}" }
            if let n = Int(arg) { return "exit \(n & 0xff)" }
            return "exit \(psWord(arg))"
        }
        // [System.IO.File]::WriteAllBytes(dst, [System.Convert]::FromBase64String((Get-Content -Path src) -join ''))
        if let m = s.winrmMatch(#"^\[(System\.)?IO\.File\]::WriteAllBytes\((.+?),\s*\[(System\.)?Convert\]::FromBase64String\(\(Get-Content (-Path )?(.+?)\) -join ''\)\)$"#) {
            let dst = psPathExpr(m[2]), src = psPathExpr(m[5])
            return "mkdir -p \"$(dirname \(dst))\" && tr -d '\\r\\n' < \(src) | base64 -d > \(dst)" + suffix
        }
        // $env:NAME = value   $name = value
        if let m = s.winrmMatch(#"^\$env:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$"#) {
            return "export \(m[1])=\(psExpr(m[2]))"
        }
        if let m = s.winrmMatch(#"^\$([A-Za-z_][A-Za-z0-9_:]*)\s*=\s*(.+)$"#) {
            return "\(psVar(m[1]))=\(psExpr(m[2]))"
        }
        return psCommand(s) + suffix
    }

    mutating func psIf(_ s: String) -> String {
        // if (cond) { a } [elseif (cond) { b }] [else { c }]
        var rest = Substring(s)
        var out = ""
        var keyword = "if"
        while true {
            rest = rest.drop { $0.isWhitespace }
            let lower = rest.lowercased()
            if keyword != "else" {
                rest = rest.dropFirst(keyword == "if" ? 2 : 6).drop { $0.isWhitespace }
                guard rest.first == "(", let condEnd = PSLexer.matching(rest, open: "(", close: ")") else { return notRecognized("if") }
                let cond = String(rest[rest.index(after: rest.startIndex)..<condEnd])
                rest = rest[rest.index(after: condEnd)...].drop { $0.isWhitespace }
                out += (keyword == "if" ? "if " : "elif ") + psCondition(cond) + "; then "
            } else {
                rest = rest.dropFirst(4).drop { $0.isWhitespace }
                out += "else "
            }
            guard rest.first == "{", let blockEnd = PSLexer.matching(rest, open: "{", close: "}") else { return notRecognized("if") }
            out += psStatements(String(rest[rest.index(after: rest.startIndex)..<blockEnd])) + "\n"
            rest = rest[rest.index(after: blockEnd)...].drop { $0.isWhitespace }
            _ = lower
            let next = rest.lowercased()
            if next.hasPrefix("elseif") { keyword = "elseif" } else if next.hasPrefix("else") && keyword != "else" { keyword = "else" } else { break }
        }
        return out + "fi"
    }

    func psCondition(_ raw: String) -> String {
        let c = raw.trimmingBlanks()
        let lower = c.lowercased()
        if lower.hasPrefix("-not ") || lower.hasPrefix("!") {
            let inner = c.dropFirst(lower.hasPrefix("!") ? 1 : 5).trimmingBlanks()
            let stripped = inner.hasPrefix("(") && inner.hasSuffix(")") ? String(inner.dropFirst().dropLast()) : inner
            return "! { \(psCondition(stripped)); }"
        }
        if lower.hasPrefix("test-path") {
            let args = PSLexer.tokens(String(c.dropFirst(9)))
            var path: String?, type = ""
            var i = 0
            while i < args.count {
                let a = args[i].lowercased()
                if a == "-path" || a == "-literalpath" { path = args[winrmSafe: i + 1]; i += 2 }
                else if a == "-pathtype" { type = args[winrmSafe: i + 1]?.lowercased() ?? ""; i += 2 }
                else if a.hasPrefix("-") { i += 1 }
                else { path = path ?? args[i]; i += 1 }
            }
            guard let path else { return "false" }
            if path.lowercased().hasPrefix("variable:") { return "true" }
            let flag = type == "container" ? "-d" : type == "leaf" ? "-f" : "-e"
            return "[ \(flag) \(psPathExpr(path)) ]"
        }
        if let m = c.winrmMatch(#"^(\S+)\s+-(eq|ne|gt|lt|ge|le)\s+(\S+)$"#) {
            return "[ \"\(unquoted(psWord(m[1])))\" -\(m[2].lowercased()) \"\(unquoted(psWord(m[3])))\" ] 2>/dev/null"
        }
        if lower == "$true" { return "true" }
        return "false"
    }

    mutating func psCommand(_ s: String) -> String {
        let tokens = PSLexer.tokens(s)
        guard let verb = tokens.first?.lowercased() else { return ":" }
        let args = Array(tokens.dropFirst())
        func bind(_ names: [String]) -> (named: [String: String], positional: [String], switches: Set<String>) {
            var named: [String: String] = [:], positional: [String] = [], switches = Set<String>()
            var i = 0
            while i < args.count {
                let a = args[i]
                if a.hasPrefix("-"), a.count > 1, a.dropFirst().first!.isLetter {
                    let n = String(a.dropFirst()).lowercased().trimming(where: { $0 == ":" })
                    if names.contains(n), i + 1 < args.count { named[n] = args[i + 1]; i += 2 } else { switches.insert(n); i += 1 }
                } else { positional.append(a); i += 1 }
            }
            return (named, positional, switches)
        }
        switch verb {
        case "write-output", "echo", "write", "write-host":
            let b = bind(["inputobject", "object", "foregroundcolor", "backgroundcolor", "separator"])
            let values = (b.named["inputobject"] ?? b.named["object"]).map { [$0] } ?? b.positional
            return values.isEmpty ? ":" : "w_out " + values.map(psWord).joined(separator: " ")
        case "write-error":
            let b = bind(["message", "category", "erroraction"])
            let message = b.named["message"] ?? b.positional.first ?? ""
            return "w_err \(psWord(message))"
        case "start-sleep", "sleep":
            let b = bind(["seconds", "s", "milliseconds", "m"])
            if let ms = b.named["milliseconds"] ?? b.named["m"], let v = Double(ms) { return "sleep \(v / 1000)" }
            let v = Double(b.named["seconds"] ?? b.named["s"] ?? b.positional.first ?? "0") ?? 0
            return "sleep \(v)"
        case "set-content", "add-content", "out-file":
            let b = bind(["path", "value", "filepath", "encoding", "inputobject"])
            guard let path = b.named["path"] ?? b.named["filepath"] ?? b.positional.first else { return notRecognized(verb) }
            let value = b.named["value"] ?? b.named["inputobject"] ?? b.positional.dropFirst().first ?? "''"
            let op = verb == "add-content" || b.switches.contains("append") ? ">>" : ">"
            let p = psPathExpr(path)
            return "mkdir -p \"$(dirname \(p))\" && printf '%s\\r\\n' \(psWord(value)) \(op) \(p)"
        case "get-content", "type", "cat", "gc":
            let b = bind(["path", "literalpath", "encoding"])
            guard let path = b.named["path"] ?? b.named["literalpath"] ?? b.positional.first else { return notRecognized(verb) }
            let p = psPathExpr(path)
            return "if [ -f \(p) ]; then cat \(p); else w_err \"Cannot find path '\(unquoted(psWord(path)))' because it does not exist.\"; fi"
        case "get-childitem", "dir", "ls", "gci":
            let b = bind(["path", "literalpath", "filter"])
            let path = b.named["path"] ?? b.named["literalpath"] ?? b.positional.first
            return path.map { "w_gci \(psPathExpr($0)) \(psWord($0))" } ?? "w_gci . ."
        case "remove-item", "del", "rm", "erase", "ri":
            let b = bind(["path", "literalpath", "erroraction"])
            let paths = ((b.named["path"] ?? b.named["literalpath"]).map { [$0] } ?? []) + b.positional
            return "rm -rf " + paths.flatMap { $0.split(separator: ",").map(String.init) }.map(psPathExpr).joined(separator: " ")
        case "new-item", "mkdir", "md", "ni":
            let b = bind(["path", "itemtype", "type", "name", "value", "erroraction"])
            guard let path = b.named["path"] ?? b.positional.first else { return notRecognized(verb) }
            let type = (b.named["itemtype"] ?? b.named["type"] ?? (verb == "new-item" || verb == "ni" ? "file" : "directory")).lowercased()
            let p = psPathExpr(path)
            return type.hasPrefix("dir") ? "mkdir -p \(p)" : "mkdir -p \"$(dirname \(p))\" && : > \(p)"
        case "set-variable", "sv":
            let b = bind(["name", "value", "scope"])
            guard let name = b.named["name"] ?? b.positional.first else { return ":" }
            let plain = name.split(separator: ":").last.map(String.init) ?? name
            return "\(psVar(plain))=\(psWord(b.named["value"] ?? b.positional.dropFirst().first ?? "''"))"
        case "set-executionpolicy", "set-strictmode", "set-psdebug", "import-module":
            return ":"
        case "cmd", "cmd.exe":
            let line = s.dropFirst(tokens[0].count).trimmingBlanks()
            return "( \(cmdLine(line.hasPrefix("/c ") || line.hasPrefix("/C ") ? String(line.dropFirst(3)) : line)) ); LASTEXITCODE=$?; [ $LASTEXITCODE = 0 ] || PS_OK=0"
        default:
            if verb.hasSuffix(".ps1"), let content = readFile(windowsPathInRoot(tokens[0])) {
                return "( LASTEXITCODE=\n\(psStatements(content))\nexit ${LASTEXITCODE:-0} ); LASTEXITCODE=$?"
            }
            return notRecognized(tokens[0])
        }
    }

    func notRecognized(_ name: String) -> String {
        "w_err \(sq("The term '\(name)' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."))"
    }

    // MARK: PowerShell values → sh words

    /// An expression on the right of `=`.
    func psExpr(_ raw: String) -> String {
        let e = raw.trimmingBlanks()
        if let m = e.winrmMatch(#"^\[(System\.)?IO\.Path\]::GetFullPath\((.+)\)$"#) { return psWord(m[2]) }
        if let m = e.winrmMatch(#"^\[(System\.)?IO\.Path\]::GetDirectoryName\((.+)\)$"#) { return "\"$(dirname \(psPathExpr(m[2])))\"" }
        if let m = e.winrmMatch(#"^\[(System\.)?Environment\]::ExpandEnvironmentVariables\((.+)\)$"#) { return psWord(m[2]) }
        return psWord(e)
    }

    /// One PowerShell token as a double-quoted sh word.
    func psWord(_ raw: String) -> String {
        let t = raw.trimmingBlanks()
        if t.hasPrefix("'") && t.hasSuffix("'") && t.count >= 2 {
            return sq(String(t.dropFirst().dropLast()).replacingText("''", with: "'"))
        }
        if t.hasPrefix("(") && t.hasSuffix(")") { return psExpr(String(t.dropFirst().dropLast())) }
        let body = t.hasPrefix("\"") && t.hasSuffix("\"") && t.count >= 2 ? String(t.dropFirst().dropLast()) : t
        var out = "\""
        let chars = Array(body)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "`", i + 1 < chars.count {
                let n = chars[i + 1]
                switch n {
                case "n": out += "\n"
                case "r": out += "\r"
                case "t": out += "\t"
                case "0": break
                default: out += shEscape(n)
                }
                i += 2; continue
            }
            if c == "$", i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1] == "_" {
                var j = i + 1, name = ""
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || chars[j] == "_" || chars[j] == ":" { name.append(chars[j]); j += 1 }
                if name.hasSuffix(":") { name.removeLast(); j -= 1 }
                let lower = name.lowercased()
                if lower.hasPrefix("env:") { out += "${\(name.dropFirst(4))}" }
                else if lower == "lastexitcode" { out += "${LASTEXITCODE}" }
                else if lower == "null" { }
                else if lower == "true" { out += "True" }
                else if lower == "false" { out += "False" }
                else { out += "${\(psVar(name))}" }
                i = j; continue
            }
            out += shEscape(c)
            i += 1
        }
        return out + "\""
    }

    /// A path expression converted at run time to a path inside the instance root.
    func psPathExpr(_ raw: String) -> String { "\"$(winpath \(psWord(raw)))\"" }

    /// A cmd path (already expanded) as a single-quoted sh path inside the root.
    func winPath(_ raw: String) -> String { sq(windowsPathInRoot(raw)) }

    func psVar(_ name: String) -> String {
        "ps_" + name.lowercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
    }

    func shName(_ name: String) -> String { name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined() }

    func literalText(_ token: String) -> String {
        let t = token.trimmingBlanks()
        if (t.hasPrefix("'") && t.hasSuffix("'")) || (t.hasPrefix("\"") && t.hasSuffix("\"")), t.count >= 2 {
            return String(t.dropFirst().dropLast())
        }
        return t
    }

    func unquoted(_ word: String) -> String { word.count >= 2 ? String(word.dropFirst().dropLast()) : word }

    func sq(_ s: String) -> String { "'" + s.replacingText("'", with: "'\\''") + "'" }

    func shEscape(_ c: Character) -> String { "\\$\"`".contains(c) ? "\\\(c)" : String(c) }
}

/// Maps a Windows path (`C:\Windows\Temp\x`, `c:/x`, a relative path) into the root.
func windowsPathInRoot(_ windows: String) -> String {
    var p = windows.replacingText("\\", with: "/")
    if p.count >= 2, p.first!.isLetter, p.dropFirst().first == ":" { p = String(p.dropFirst(2)) }
    if p.isEmpty { p = "/" }
    return p
}

/// Statement and token splitting for the PowerShell subset.
enum PSLexer {
    /// Top-level statements: split on newlines and `;` outside quotes, braces and parens.
    static func statements(_ script: String) -> [String] {
        var out: [String] = [], current = ""
        var depth = 0, quote: Character?
        var chars = Array(script.replacingText("\r\n", with: "\n"))
        // Block comments are dropped up front.
        if let text = Optional(String(chars)), text.contains("<#") {
            chars = Array(text.replacing(/<#[\s\S]*?#>/.matchingSemantics(.unicodeScalar), with: ""))
        }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                current.append(c)
                if c == "`" && q == "\"" && i + 1 < chars.count { current.append(chars[i + 1]); i += 2; continue }
                if c == q { quote = nil }
                i += 1; continue
            }
            if c == "#" && depth == 0 && current.trimmingBlanks().isEmpty {
                while i < chars.count && chars[i] != "\n" { i += 1 }
                continue
            }
            switch c {
            case "'", "\"": quote = c
            case "{", "(": depth += 1
            case "}", ")": depth -= 1
            default: break
            }
            if depth <= 0 && (c == "\n" || c == ";") {
                // An `if {...}` followed by else/elseif on the next line continues.
                out.append(current); current = ""; i += 1; continue
            }
            current.append(c)
            i += 1
        }
        out.append(current)
        var merged: [String] = []
        for s in out.map({ $0.trimmingBlanks() }) where !s.isEmpty {
            if s.lowercased().hasPrefix("else"), let last = merged.last, last.lowercased().hasPrefix("if") {
                merged[merged.count - 1] = last + " " + s
            } else {
                merged.append(s)
            }
        }
        return merged
    }

    /// Tokens of a command: quoted strings kept with their quotes, parens kept whole.
    static func tokens(_ text: String) -> [String] {
        var out: [String] = [], current = ""
        var quote: Character?, depth = 0
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if let q = quote {
                current.append(c)
                if c == "`" && q == "\"" && i + 1 < chars.count { current.append(chars[i + 1]); i += 2; continue }
                if c == q { quote = nil }
                i += 1; continue
            }
            if depth == 0 && (c == " " || c == "\t" || c == ",") {
                if !current.isEmpty { out.append(current) }
                current = ""; i += 1; continue
            }
            if c == "'" || c == "\"" { quote = c }
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1 }
            current.append(c)
            i += 1
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The index of the bracket closing the one at `text.startIndex`.
    static func matching(_ text: Substring, open: Character, close: Character) -> Substring.Index? {
        var depth = 0
        var quote: Character?
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if let q = quote { if c == q { quote = nil } }
            else if c == "'" || c == "\"" { quote = c }
            else if c == open { depth += 1 }
            else if c == close { depth -= 1; if depth == 0 { return i } }
            i = text.index(after: i)
        }
        return nil
    }
}

extension String {  // WinRM translator helpers (names prefixed: this module is shared)
    /// Capture groups of the first case-insensitive match (missing groups are ""), matched by
    /// Unicode scalars with "." matching line breaks. A `$` ending `pattern` means what it did to
    /// NSRegularExpression: the end, or just before a line break that ends the text.
    func winrmMatch(_ pattern: String) -> [String]? {
        var source = pattern
        if source.hasSuffix("$") && !source.hasSuffix(#"\$"#) { source = String(source.dropLast()) + #"(?=\R?\z)"# }
        guard let re = try? Regex(source).ignoresCase().dotMatchesNewlines().matchingSemantics(.unicodeScalar),
              let m = try? re.firstMatch(in: self) else { return nil }
        return m.output.map { $0.substring.map(String.init) ?? "" }
    }
}

extension Array {
    subscript(winrmSafe index: Int) -> Element? { indices.contains(index) ? self[index] : nil }
}
