import FoundationEssentials

/// One step of a typed boot command: a key pressed (with shift for upper-case and shifted
/// characters), a key held down or let go (`<leftCtrlOn>` ... `<leftCtrlOff>`), or a pause.
public enum BootAction: Equatable, Sendable {
    /// Press and release `qcode` (QEMU's key name), with shift held when `shift`.
    case press(String, shift: Bool)
    /// Hold `qcode` down.
    case down(String)
    /// Let `qcode` go.
    case up(String)
    /// Pause for this many seconds.
    case wait(Double)
}

/// A boot_command that cannot be typed.
public struct BootCommandError: Error, Equatable, Sendable {
    /// What is wrong, lowercase, naming the text at fault.
    public var message: String
}

/// Packer's boot_command language (common/bootcommand in Packer 1.6.6): literal text, special
/// keys such as `<enter>`, `<tab>`, `<f1>`, `<leftCtrlOn>`/`<leftCtrlOff>`, a character held
/// with `<aOn>`/`<aOff>`, and pauses `<wait>`, `<wait5>`, `<wait1m30s>`; template data
/// `{{ .HTTPIP }}`, `{{ .HTTPPort }}` and `{{ .Name }}` is filled in before typing.
///
/// One difference from Packer, on purpose: text such as `<entr>` that looks like a key but
/// names none is refused instead of being typed as eight characters, so a typo fails before
/// the virtual machine starts rather than halfway through an unattended install.
public enum BootCommand {
    /// Special keys by their lower-case Packer names, as QEMU qcodes.
    public static let specialKeys: [String: String] = {
        var keys: [String: String] = [
            "bs": "backspace", "del": "delete", "enter": "ret", "return": "ret", "esc": "esc", "tab": "tab",
            "up": "up", "down": "down", "left": "left", "right": "right", "spacebar": "spc", "insert": "insert",
            "home": "home", "end": "end", "pageup": "pgup", "pagedown": "pgdn", "menu": "menu",
            "leftalt": "alt", "rightalt": "alt_r", "leftctrl": "ctrl", "rightctrl": "ctrl_r",
            "leftshift": "shift", "rightshift": "shift_r", "leftsuper": "meta_l", "rightsuper": "meta_r",
        ]
        for n in 1...12 { keys["f\(n)"] = "f\(n)" }
        return keys
    }()

    /// The template data a boot_command may use.
    public static let dataNames = ["HTTPIP", "HTTPPort", "Name"]

    /// Replaces `{{ .HTTPIP }}`, `{{ .HTTPPort }}` and `{{ .Name }}`; any other `{{ ... }}` is an error.
    public static func fill(_ text: String, _ data: [String: String]) throws(BootCommandError) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.rangeOfText("{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].rangeOfText("}}") else {
                throw BootCommandError(message: "\"\(rest[open.lowerBound...].prefix(30))\": unclosed template action")
            }
            let inner = rest[open.upperBound..<close.lowerBound].trimmingBlanks()
            guard inner.hasPrefix("."), let value = data[String(inner.dropFirst())] else {
                throw BootCommandError(message: "{{\(rest[open.upperBound..<close.lowerBound])}}: a boot_command can use only \(dataNames.map { "{{ .\($0) }}" }.joined(separator: ", "))")
            }
            out += value
            rest = rest[close.upperBound...]
        }
        return out + rest
    }

    /// The keys of one character on a US keyboard, or nil when it cannot be typed.
    public static func key(for ch: Character) -> BootAction? {
        let plain: [Character: String] = [
            " ": "spc", "\n": "ret", "\t": "tab", "-": "minus", "=": "equal", "[": "bracket_left", "]": "bracket_right",
            "\\": "backslash", ";": "semicolon", "'": "apostrophe", "`": "grave_accent", ",": "comma", ".": "dot", "/": "slash",
        ]
        let shifted: [Character: String] = [
            "!": "1", "@": "2", "#": "3", "$": "4", "%": "5", "^": "6", "&": "7", "*": "8", "(": "9", ")": "0",
            "_": "minus", "+": "equal", "{": "bracket_left", "}": "bracket_right", "|": "backslash", ":": "semicolon",
            "\"": "apostrophe", "~": "grave_accent", "<": "comma", ">": "dot", "?": "slash",
        ]
        if let k = plain[ch] { return .press(k, shift: false) }
        if let k = shifted[ch] { return .press(k, shift: true) }
        guard ch.isASCII else { return nil }
        if ("a"..."z").contains(ch) || ("0"..."9").contains(ch) { return .press(String(ch), shift: false) }
        if ("A"..."Z").contains(ch) { return .press(String(ch).lowercased(), shift: true) }
        return nil
    }

    /// Parses one boot_command entry (template data already filled in).
    public static func parse(_ text: String) throws(BootCommandError) -> [BootAction] {
        var actions: [BootAction] = []
        let chars = Array(text)
        var i = 0
        while i < chars.count {
            if chars[i] == "<", let close = chars[(i + 1)...].firstIndex(of: ">") {
                let word = String(chars[(i + 1)..<close])
                if let action = try special(word) {
                    actions += action
                    i = close + 1
                    continue
                }
            }
            guard let action = key(for: chars[i]) else {
                throw BootCommandError(message: "\"\(chars[i])\" cannot be typed (only ASCII characters of a US keyboard)")
            }
            actions.append(action)
            i += 1
        }
        return actions
    }

    /// The actions of `<word>`; nil when `word` is not meant as a key (then `<` is typed).
    static func special(_ word: String) throws(BootCommandError) -> [BootAction]? {
        guard !word.isEmpty, word.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == ".") }) else { return nil }
        let lower = word.lowercased()
        if lower.hasPrefix("wait") {
            let spec = String(word.dropFirst(4))
            if spec.isEmpty { return [.wait(1)] }
            if let n = Int(spec), n >= 0 { return [.wait(Double(n))] }
            if let d = parseGoDuration(spec), d >= 0 { return [.wait(d)] }
            throw BootCommandError(message: "<\(word)>: not a wait: expected <wait>, <wait5> or <wait1m30s>")
        }
        if let qcode = specialKeys[lower] { return [.press(qcode, shift: false)] }
        for (suffix, down) in [("on", true), ("off", false)] where lower.hasSuffix(suffix) {
            let base = String(word.dropLast(suffix.count))
            var qcode = specialKeys[base.lowercased()]
            if qcode == nil, base.count == 1, case .press(let k, false)? = key(for: base.first!) { qcode = k }
            if let qcode { return [down ? .down(qcode) : .up(qcode)] }
        }
        var message = "<\(word)>: unknown key"
        if let near = Suggest.closest(lower, in: Array(specialKeys.keys) + ["wait"]) { message += " (did you mean <\(near)>?)" }
        throw BootCommandError(message: message)
    }
}
