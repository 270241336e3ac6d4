import FoundationEssentials

/// Where to connect: `[user@]host[:port]`, as ssh(1) users write it.
public struct SSHTarget: Equatable, Sendable, CustomStringConvertible {
    /// The login name, if given.
    public var user: String?
    /// A host name or IP address (IPv6 may be written in brackets).
    public var host: String
    /// The port, if given.
    public var port: Int?

    /// Makes a target.
    public init(user: String? = nil, host: String, port: Int? = nil) {
        self.user = user
        self.host = host
        self.port = port
    }

    /// Parses `[user@]host`, or `[user@]host[:port]` when `allowPort` (a bastion).
    public init(parsing text: String, allowPort: Bool = false) throws {
        var rest = Substring(text)
        if let at = rest.lastIndex(of: "@") {
            user = String(rest[..<at])
            rest = rest[rest.index(after: at)...]
            if user!.isEmpty { throw ToolError.usage("\(text): empty user name") }
        }
        if allowPort {
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                let after = rest[rest.index(after: close)...]
                host = String(rest[rest.index(after: rest.startIndex)..<close])
                if after.hasPrefix(":") { port = try Self.port(String(after.dropFirst()), in: text) }
                else if !after.isEmpty { throw ToolError.usage("\(text): not [user@]host[:port]") }
            } else if let colon = rest.lastIndex(of: ":"), rest.firstIndex(of: ":") == colon {
                host = String(rest[..<colon])
                port = try Self.port(String(rest[rest.index(after: colon)...]), in: text)
            } else {
                host = String(rest)
            }
        } else {
            host = String(rest)
        }
        if host.isEmpty || host.hasPrefix("-") || host.contains(where: { $0 == " " || $0 == "\n" || $0 == "/" }) {
            throw ToolError.usage("\(text): not a host name")
        }
    }

    static func port(_ s: String, in text: String) throws -> Int {
        guard let p = Int(s), (1...65535).contains(p) else { throw ToolError.usage("\(text): bad port \(s)") }
        return p
    }

    /// `user@host` (or `host`), the destination argument for ssh.
    public var destination: String { user.map { "\($0)@\(host)" } ?? host }

    public var description: String { destination + (port.map { ":\($0)" } ?? "") }
}

/// Quotes a string for a POSIX shell: plain words stay as they are, anything else is put in
/// single quotes with each `'` written as `'\''`.
public func shellQuote(_ s: String) -> String {
    let plain = !s.isEmpty && s.unicodeScalars.allSatisfy { c in
        (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || (c >= "0" && c <= "9") || "@%+=:,./_-".unicodeScalars.contains(c)
    }
    return plain ? s : "'" + s.replacingText("'", with: "'\\''") + "'"
}
