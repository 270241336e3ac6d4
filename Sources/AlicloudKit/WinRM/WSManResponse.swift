import FoundationEssentials

/// A SOAP fault returned by a WinRM service (HTTP 500).
public struct WSManFault: Error, Sendable, Equatable {
    /// The `s:Subcode/s:Value` (e.g. `w:TimedOut`, `w:InvalidSelectors`).
    public var subcode: String
    /// The `WSManFault@Code` (e.g. `2150858793`), when present.
    public var code: String?
    /// The human text (`s:Reason/s:Text` or `f:Message`).
    public var reason: String

    /// Makes a fault.
    public init(subcode: String, code: String?, reason: String) {
        self.subcode = subcode
        self.code = code
        self.reason = reason
    }

    /// Whether this is the OperationTimeout fault that only means "ask again".
    public var isTimedOut: Bool {
        code == WSMan.timedOutCode || subcode.hasSuffix("TimedOut")
    }

    /// Reads a fault from a response envelope; nil when the body holds none.
    public static func parse(_ root: XMLElementNode) -> WSManFault? {
        guard let fault = root.first("Fault", WSMan.soap) else { return nil }
        let sub = fault.first("Subcode", WSMan.soap)?.child("Value")?.trimmedText
            ?? fault.first("Value", WSMan.soap)?.trimmedText ?? ""
        let wsmanFault = fault.first("WSManFault")
        let message = wsmanFault?.first("Message")?.trimmedText
        let reason = fault.first("Reason", WSMan.soap)?.first("Text")?.trimmedText
        return WSManFault(subcode: sub, code: wsmanFault?.attributes["Code"],
                          reason: (message?.isEmpty == false ? message : reason) ?? "")
    }
}

/// What one Receive answered: stream chunks in order and, once finished, the exit code.
public struct WSManReceive: Sendable, Equatable {
    /// `(stream name, decoded bytes)` in document order; empty chunks are dropped.
    public var chunks: [(name: String, bytes: [UInt8])]
    /// Whether `CommandState` is `Done`.
    public var done: Bool
    /// The exit code (a DWORD), present when done; nil when a server omitted it.
    public var exitCode: UInt32?

    /// Makes one.
    public init(chunks: [(name: String, bytes: [UInt8])], done: Bool, exitCode: UInt32?) {
        self.chunks = chunks
        self.done = done
        self.exitCode = exitCode
    }

    public static func == (a: WSManReceive, b: WSManReceive) -> Bool {
        a.done == b.done && a.exitCode == b.exitCode && a.chunks.count == b.chunks.count
            && zip(a.chunks, b.chunks).allSatisfy { $0.name == $1.name && $0.bytes == $1.bytes }
    }

    /// Reads a ReceiveResponse.
    public static func parse(_ root: XMLElementNode) throws -> WSManReceive {
        guard let response = root.first("ReceiveResponse", WSMan.shell) else {
            throw ToolError(.remoteRunner, "winrm: receive: no ReceiveResponse in the answer")
        }
        var chunks: [(String, [UInt8])] = []
        for stream in response.children("Stream", WSMan.shell) {
            let text = stream.trimmedText
            guard !text.isEmpty else { continue }
            guard let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) else {
                throw ToolError(.remoteRunner, "winrm: receive: a \(stream.attributes["Name"] ?? "?") chunk is not base64")
            }
            chunks.append((stream.attributes["Name"] ?? "stdout", [UInt8](data)))
        }
        var done = false
        var exitCode: UInt32?
        if let state = response.child("CommandState", WSMan.shell) {
            done = (state.attributes["State"] ?? "").hasSuffix("/Done")
            if let code = state.child("ExitCode", WSMan.shell)?.trimmedText {
                if let v = UInt32(code) { exitCode = v } else if let v = Int32(code) { exitCode = UInt32(bitPattern: v) }
            }
        }
        return WSManReceive(chunks: chunks, done: done, exitCode: exitCode)
    }
}

/// Readers for the identifiers in Create and Command responses.
public enum WSManResponse {
    /// The ShellId of a CreateResponse: the `ShellId` selector, or `rsp:ShellId`.
    public static func shellID(_ root: XMLElementNode) -> String? {
        if let sel = root.descendants("Selector").first(where: { $0.attributes["Name"] == "ShellId" }) {
            let id = sel.trimmedText
            if !id.isEmpty { return id }
        }
        let id = root.first("ShellId", WSMan.shell)?.trimmedText
        return id?.isEmpty == false ? id : nil
    }

    /// The CommandId of a CommandResponse.
    public static func commandID(_ root: XMLElementNode) -> String? {
        let id = root.first("CommandId", WSMan.shell)?.trimmedText
        return id?.isEmpty == false ? id : nil
    }
}
