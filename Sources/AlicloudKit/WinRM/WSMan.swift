import FoundationEssentials

/// WS-Management names used by the Windows remote shell (MS-WSMV "Text-based Command Shell").
public enum WSMan {
    /// SOAP 1.2 envelope namespace.
    public static let soap = "http://www.w3.org/2003/05/soap-envelope"
    /// WS-Addressing namespace.
    public static let addressing = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
    /// DMTF WS-Management namespace.
    public static let wsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
    /// Microsoft WS-Management extensions namespace.
    public static let wsmv = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
    /// The remote shell namespace.
    public static let shell = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
    /// WS-Transfer namespace.
    public static let transfer = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
    /// The resource every cmd shell operation addresses.
    public static let cmdResource = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
    /// The anonymous reply address.
    public static let anonymous = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
    /// `CommandState` URI prefix; the state ends in `Done`, `Running` or `Pending`.
    public static let commandStateDone = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Done"
    /// `CommandState/Running`.
    public static let commandStateRunning = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/CommandState/Running"
    /// The WSManFault code of an OperationTimeout fault (a Receive with nothing to say yet).
    public static let timedOutCode = "2150858793"
    /// The WSManFault code of an unknown or expired ShellId.
    public static let invalidSelectorsCode = "2150858843"

    /// The operations of one remote shell, with their `a:Action` URIs.
    public enum Action: String, Sendable, CaseIterable {
        case create = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create"
        case command = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Command"
        case receive = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Receive"
        case send = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Send"
        case signal = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/Signal"
        case delete = "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete"

        /// The `a:Action` of the matching response.
        public var response: String { rawValue + "Response" }
        /// The last path component (`Create`, `Receive`, ...).
        public var name: String { String(rawValue.split(separator: "/").last ?? "") }
    }

    /// Signal codes (MS-WSMV 2.2.5.6).
    public enum Signal: String, Sendable {
        case terminate = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/terminate"
        case ctrlC = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_c"
        case ctrlBreak = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/signal/ctrl_break"
    }

    /// An ISO-8601 duration as WinRM clients send it: `PT20S`, `PT1.5S`.
    public static func duration(_ seconds: Double) -> String {
        if seconds == seconds.rounded() { return "PT\(Int(seconds))S" }
        return "PT\(cFormat("%.3f", seconds))S"
    }

    /// Parses an ISO-8601 duration (`PT20S`, `PT30M`, `PT1H2M3.5S`, `P1D`) into seconds.
    public static func seconds(fromDuration text: String) -> Double? {
        var s = Substring(text.trimmingBlanks().uppercased())
        guard s.hasPrefix("P") else { return nil }
        s = s.dropFirst()
        var total = 0.0, number = "", inTime = false, any = false
        for ch in s {
            if ch == "T" { inTime = true; continue }
            if ch.isNumber || ch == "." { number.append(ch); continue }
            guard let n = Double(number) else { return nil }
            number = ""
            any = true
            switch (ch, inTime) {
            case ("D", false): total += n * 86400
            case ("H", true): total += n * 3600
            case ("M", true): total += n * 60
            case ("S", true): total += n
            default: return nil
            }
        }
        return any && number.isEmpty ? total : nil
    }

    /// Escapes text for XML content and attribute values as WinRM writes them (apostrophes
    /// as they are).
    public static func escape(_ text: String) -> String { XMLTree.escape(text, apostrophe: false) }
}

/// Builds the request envelopes of the remote shell, in the byte layout pywinrm uses
/// (string templates: the documents are small and fixed).
public struct WSManEnvelope: Sendable {
    /// The `a:To` URL.
    public var to: String
    /// `w:OperationTimeout` in seconds.
    public var operationTimeout: Double
    /// `w:MaxEnvelopeSize`: the largest response accepted.
    public var maxEnvelopeSize = 153600

    /// Makes a builder for one endpoint.
    public init(to: String, operationTimeout: Double) {
        self.to = to
        self.operationTimeout = operationTimeout
    }

    static let prolog = """
        <?xml version="1.0" encoding="utf-8"?>
        <env:Envelope xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:env="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:b="http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd" xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config">
        """

    /// A fresh `uuid:...` message id.
    public static func newMessageID() -> String { "uuid:" + UUID().uuidString.lowercased() }

    func header(_ action: WSMan.Action, messageID: String, shellID: String?, options: [(String, String)]) -> String {
        var h = "<env:Header><a:To>\(WSMan.escape(to))</a:To>"
        h += "<a:ReplyTo><a:Address mustUnderstand=\"true\">\(WSMan.anonymous)</a:Address></a:ReplyTo>"
        h += "<w:MaxEnvelopeSize mustUnderstand=\"true\">\(maxEnvelopeSize)</w:MaxEnvelopeSize>"
        h += "<a:MessageID>\(messageID)</a:MessageID>"
        h += "<w:Locale mustUnderstand=\"false\" xml:lang=\"en-US\"></w:Locale>"
        h += "<p:DataLocale mustUnderstand=\"false\" xml:lang=\"en-US\"></p:DataLocale>"
        h += "<w:OperationTimeout>\(WSMan.duration(operationTimeout))</w:OperationTimeout>"
        h += "<w:ResourceURI mustUnderstand=\"true\">\(WSMan.cmdResource)</w:ResourceURI>"
        h += "<a:Action mustUnderstand=\"true\">\(action.rawValue)</a:Action>"
        if let shellID {
            h += "<w:SelectorSet><w:Selector Name=\"ShellId\">\(WSMan.escape(shellID))</w:Selector></w:SelectorSet>"
        }
        if !options.isEmpty {
            h += "<w:OptionSet>"
            for (name, value) in options { h += "<w:Option Name=\"\(name)\">\(WSMan.escape(value))</w:Option>" }
            h += "</w:OptionSet>"
        }
        return h + "</env:Header>"
    }

    func envelope(_ header: String, _ body: String) -> String {
        Self.prolog + header + "<env:Body>" + body + "</env:Body></env:Envelope>"
    }

    /// Create: opens a shell (`WINRS_NOPROFILE`, `WINRS_CODEPAGE`).
    public func create(noProfile: Bool = true, codepage: Int = 65001, messageID: String = newMessageID()) -> String {
        let options = [("WINRS_NOPROFILE", noProfile ? "TRUE" : "FALSE"), ("WINRS_CODEPAGE", String(codepage))]
        return envelope(header(.create, messageID: messageID, shellID: nil, options: options),
                        "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams></rsp:Shell>")
    }

    /// Command: starts `command` (with optional `arguments`) through cmd.exe.
    public func command(shellID: String, command: String, arguments: [String] = [], messageID: String = newMessageID()) -> String {
        let options = [("WINRS_CONSOLEMODE_STDIN", "TRUE"), ("WINRS_SKIP_CMD_SHELL", "FALSE")]
        var body = "<rsp:CommandLine><rsp:Command>\(WSMan.escape(command))</rsp:Command>"
        for a in arguments { body += "<rsp:Arguments>\(WSMan.escape(a))</rsp:Arguments>" }
        body += "</rsp:CommandLine>"
        return envelope(header(.command, messageID: messageID, shellID: shellID, options: options), body)
    }

    /// Receive: asks for the stdout and stderr of a command.
    public func receive(shellID: String, commandID: String, messageID: String = newMessageID()) -> String {
        envelope(header(.receive, messageID: messageID, shellID: shellID, options: []),
                 "<rsp:Receive><rsp:DesiredStream CommandId=\"\(WSMan.escape(commandID))\">stdout stderr</rsp:DesiredStream></rsp:Receive>")
    }

    /// Send: writes bytes to a command's stdin; `end` closes it.
    public func send(shellID: String, commandID: String, bytes: [UInt8], end: Bool, messageID: String = newMessageID()) -> String {
        let endAttr = end ? " End=\"true\"" : ""
        let body = "<rsp:Send><rsp:Stream CommandId=\"\(WSMan.escape(commandID))\" Name=\"stdin\"\(endAttr) xmlns:rsp=\"\(WSMan.shell)\">"
            + Data(bytes).base64EncodedString() + "</rsp:Stream></rsp:Send>"
        return envelope(header(.send, messageID: messageID, shellID: shellID, options: []), body)
    }

    /// Signal: terminate or ctrl_c a command.
    public func signal(shellID: String, commandID: String, code: WSMan.Signal, messageID: String = newMessageID()) -> String {
        envelope(header(.signal, messageID: messageID, shellID: shellID, options: []),
                 "<rsp:Signal CommandId=\"\(WSMan.escape(commandID))\"><rsp:Code>\(code.rawValue)</rsp:Code></rsp:Signal>")
    }

    /// Delete: closes the shell.
    public func delete(shellID: String, messageID: String = newMessageID()) -> String {
        envelope(header(.delete, messageID: messageID, shellID: shellID, options: []), "")
    }
}
