#if canImport(Glibc)
import Glibc
#endif
import AlicloudKit
import Dispatch
import FoundationEssentials

/// The WS-Management remote shell of one emulated Windows instance: Create, Command,
/// Receive (with the OperationTimeout → w:TimedOut loop), Send, Signal and Delete, with
/// commands translated by `WindowsCommandTranslator` and run under chroot in `rootDisk`.
final class WinRMService: @unchecked Sendable {
    let rootDisk: URL
    let computerName: String
    private let lock = Lock()
    private var shells: [String: Shell] = [:]
    /// The longest OperationTimeout honoured (Windows' MaxTimeoutms as the seed sets it).
    var maxOperationTimeout = 1800.0

    final class Shell {
        let id: String
        var environment: [String: String]
        var commands: [String: WinRMCommandProcess] = [:]
        init(id: String, environment: [String: String]) {
            self.id = id
            self.environment = environment
        }
    }

    init(rootDisk: URL, computerName: String) {
        self.rootDisk = rootDisk
        self.computerName = computerName
    }

    /// The environment of every command, as cmd sees it on a fresh Windows Server.
    var baseEnvironment: [String: String] {
        [
            "COMPUTERNAME": computerName, "OS": "Windows_NT", "SystemRoot": "C:\\Windows", "windir": "C:\\Windows",
            "SystemDrive": "C:", "TEMP": "C:\\Windows\\Temp", "TMP": "C:\\Windows\\Temp", "USERNAME": "Administrator",
            "USERPROFILE": "C:\\Users\\Administrator", "HOMEDRIVE": "C:", "HOMEPATH": "\\Users\\Administrator",
            "ProgramFiles": "C:\\Program Files", "PATHEXT": ".COM;.EXE;.BAT;.CMD;.PS1",
        ]
    }

    /// Handles one authenticated POST body; returns the HTTP status and the response envelope.
    func handle(_ body: [UInt8]) -> (Int, String) {
        guard let root = XMLElementNode.parse(body), let header = root.child("Header", WSMan.soap) else {
            return fault(relatesTo: nil, subcode: "w:SchemaValidationError", code: "2150858817",
                         text: "The SOAP XML in the message does not match the corresponding XML schema definition.")
        }
        let messageID = header.child("MessageID", WSMan.addressing)?.trimmedText
        let actionURI = header.child("Action", WSMan.addressing)?.trimmedText ?? ""
        guard let action = WSMan.Action(rawValue: actionURI) else {
            return fault(relatesTo: messageID, subcode: "a:ActionNotSupported", code: "2150858771",
                         text: "The action is not supported by the service.")
        }
        let timeout = min(maxOperationTimeout,
                          header.child("OperationTimeout", WSMan.wsman).flatMap { WSMan.seconds(fromDuration: $0.trimmedText) } ?? 60)
        let maxEnvelope = header.child("MaxEnvelopeSize", WSMan.wsman).flatMap { Int($0.trimmedText) } ?? 153600
        let shellID = header.child("SelectorSet", WSMan.wsman)?.children("Selector").first { $0.attributes["Name"] == "ShellId" }?.trimmedText
        let requestBody = root.child("Body", WSMan.soap)

        if action == .create { return create(requestBody, relatesTo: messageID) }
        lock.lock()
        let shell = shellID.flatMap { shells[$0] }
        lock.unlock()
        guard let shell, let shellID else {
            return fault(relatesTo: messageID, subcode: "w:InvalidSelectors", code: WSMan.invalidSelectorsCode,
                         text: "The request for the Windows Remote Shell with ShellId \(shellID ?? "") failed because the shell was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell no longer exists on the server. Provide the correct ShellId or create a new shell and retry the operation.")
        }
        switch action {
        case .create: fatalError("handled above")
        case .command:
            let line = requestBody?.first("CommandLine", WSMan.shell)
            let command = line?.child("Command", WSMan.shell)?.trimmedText ?? ""
            let args = line?.children("Arguments", WSMan.shell).map { $0.text } ?? []
            return startCommand(shell, ([command] + args).joined(separator: " "), relatesTo: messageID)
        case .receive:
            guard let cid = requestBody?.first("DesiredStream", WSMan.shell)?.attributes["CommandId"],
                  let process = commandProcess(shell, cid) else { return unknownCommand(messageID) }
            return receive(process, shellID: shellID, commandID: cid, timeout: timeout, maxEnvelope: maxEnvelope, relatesTo: messageID)
        case .send:
            guard let stream = requestBody?.first("Stream", WSMan.shell), let cid = stream.attributes["CommandId"],
                  let process = commandProcess(shell, cid) else { return unknownCommand(messageID) }
            let text = stream.trimmedText
            if !text.isEmpty, let data = Data(base64Encoded: text, options: .ignoreUnknownCharacters) { process.write([UInt8](data)) }
            if stream.attributes["End"]?.lowercased() == "true" { process.closeStdin() }
            return (200, envelope(.send, relatesTo: messageID, body: "<rsp:SendResponse/>"))
        case .signal:
            let signal = requestBody?.first("Signal", WSMan.shell)
            let cid = signal?.attributes["CommandId"] ?? ""
            let code = signal?.child("Code", WSMan.shell)?.trimmedText ?? ""
            if let process = commandProcess(shell, cid) {
                if code.hasSuffix("/ctrl_c") || code.hasSuffix("/ctrl_break") {
                    process.signal(SIGINT)
                } else {
                    process.signal(SIGKILL)
                    process.closeStdin()
                    lock.lock(); shell.commands[cid] = nil; lock.unlock()
                }
            }
            return (200, envelope(.signal, relatesTo: messageID, body: "<rsp:SignalResponse/>"))
        case .delete:
            lock.lock()
            let commands = Array(shell.commands.values)
            shells[shellID] = nil
            lock.unlock()
            for p in commands { p.signal(SIGKILL); p.closeStdin() }
            return (200, envelope(.delete, relatesTo: messageID, body: ""))
        }
    }

    func commandProcess(_ shell: Shell, _ id: String) -> WinRMCommandProcess? {
        lock.lock()
        defer { lock.unlock() }
        return shell.commands[id]
    }

    func create(_ body: XMLElementNode?, relatesTo: String?) -> (Int, String) {
        let id = UUID().uuidString
        var env = baseEnvironment
        for v in body?.first("Environment", WSMan.shell)?.children("Variable", WSMan.shell) ?? [] {
            if let name = v.attributes["Name"] { env[name] = v.text }
        }
        lock.lock()
        shells[id] = Shell(id: id, environment: env)
        lock.unlock()
        let created = """
            <x:ResourceCreated><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>\
            <a:ReferenceParameters><w:ResourceURI>\(WSMan.cmdResource)</w:ResourceURI><w:SelectorSet>\
            <w:Selector Name="ShellId">\(id)</w:Selector></w:SelectorSet></a:ReferenceParameters></x:ResourceCreated>\
            <rsp:Shell><rsp:ShellId>\(id)</rsp:ShellId><rsp:ResourceUri>\(WSMan.cmdResource)</rsp:ResourceUri>\
            <rsp:Owner>Administrator</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP><rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>\
            <rsp:InputStreams>stdin</rsp:InputStreams><rsp:OutputStreams>stdout stderr</rsp:OutputStreams>\
            <rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime><rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>
            """
        return (200, envelope(.create, relatesTo: relatesTo, body: created))
    }

    func startCommand(_ shell: Shell, _ line: String, relatesTo: String?) -> (Int, String) {
        let root = rootDisk.path
        var translator = WindowsCommandTranslator(environment: shell.environment) { path in
            let full = root + (path.hasPrefix("/") ? path : "/Users/Administrator/" + path)
            return (try? Data(contentsOf: URL(fileURLWithPath: full))).map { String(decoding: $0, as: UTF8.self) }
        }
        let code = translator.cmdLine(line)
        // cmd's "not recognized" errorlevel (9009) does not fit a POSIX status: the script
        // reports it by SIGUSR1 to itself, which the reaper maps back.
        let script = WindowsCommandTranslator.prelude + "\ncd /Users/Administrator 2>/dev/null || cd /\nW_EL=\n" + code
            + "\nrc=$?; if [ \"$W_EL\" = 9009 ] && [ $rc = 1 ]; then kill -USR1 $$; fi; exit $rc"
        var env: [String: String] = ["PATH": "/bin:/sbin:/usr/bin:/usr/sbin", "HOME": "/Users/Administrator"]
        for (k, v) in shell.environment where k.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) { env[k] = v }
        let process: WinRMCommandProcess
        do {
            process = try WinRMCommandProcess.start(["/usr/sbin/chroot", root, "/bin/sh", "-c", script], environment: env)
        } catch {
            return fault(relatesTo: relatesTo, subcode: "w:InternalError", code: "2147942402", text: "\(error)")
        }
        let id = UUID().uuidString
        lock.lock()
        shell.commands[id] = process
        lock.unlock()
        return (200, envelope(.command, relatesTo: relatesTo, body: "<rsp:CommandResponse><rsp:CommandId>\(id)</rsp:CommandId></rsp:CommandResponse>"))
    }

    func receive(_ process: WinRMCommandProcess, shellID: String, commandID: String, timeout: Double,
                 maxEnvelope: Int, relatesTo: String?) -> (Int, String) {
        let deadline = Double(DispatchTime.now().uptimeNanoseconds) / 1e9 + max(0, timeout)
        // Raw bytes that fit the client's MaxEnvelopeSize once base64-encoded, with room to spare.
        let limit = max(1024, (maxEnvelope - 4096) / 4 * 3)
        let got = process.take(limit: limit, deadline: deadline)
        if got.stdout.isEmpty && got.stderr.isEmpty && got.exit == nil {
            return fault(relatesTo: relatesTo, subcode: "w:TimedOut", code: WSMan.timedOutCode,
                         text: "The WS-Management service cannot complete the operation within the time specified in OperationTimeout.  ")
        }
        var body = "<rsp:ReceiveResponse>"
        for (name, bytes) in [("stdout", got.stdout), ("stderr", got.stderr)] where !bytes.isEmpty {
            body += "<rsp:Stream Name=\"\(name)\" CommandId=\"\(commandID)\">\(Data(bytes).base64EncodedString())</rsp:Stream>"
        }
        if let exit = got.exit {
            body += "<rsp:Stream Name=\"stdout\" CommandId=\"\(commandID)\" End=\"true\"></rsp:Stream>"
            body += "<rsp:Stream Name=\"stderr\" CommandId=\"\(commandID)\" End=\"true\"></rsp:Stream>"
            body += "<rsp:CommandState CommandId=\"\(commandID)\" State=\"\(WSMan.commandStateDone)\"><rsp:ExitCode>\(exit)</rsp:ExitCode></rsp:CommandState>"
        } else {
            body += "<rsp:CommandState CommandId=\"\(commandID)\" State=\"\(WSMan.commandStateRunning)\"></rsp:CommandState>"
        }
        return (200, envelope(.receive, relatesTo: relatesTo, body: body + "</rsp:ReceiveResponse>"))
    }

    func unknownCommand(_ relatesTo: String?) -> (Int, String) {
        fault(relatesTo: relatesTo, subcode: "w:InvalidParameter", code: "2150858882",
              text: "The parameter is incorrect: the CommandId is not known to this shell.")
    }

    /// The number of shells not yet deleted.
    var openShells: Int {
        lock.lock()
        defer { lock.unlock() }
        return shells.count
    }

    /// Stops every command of every shell.
    func stopAll() {
        lock.lock()
        let all = shells.values.flatMap { $0.commands.values }
        shells = [:]
        lock.unlock()
        for p in all { p.signal(SIGKILL); p.closeStdin() }
    }

    static let namespaces = """
        xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" \
        xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" \
        xmlns:rsp="http://schemas.microsoft.com/wbem/wsman/1/windows/shell" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
        """

    func envelope(_ action: WSMan.Action, relatesTo: String?, body: String) -> String {
        envelope(actionURI: action.response, relatesTo: relatesTo, body: body)
    }

    func envelope(actionURI: String, relatesTo: String?, body: String) -> String {
        var h = "<s:Header><a:Action>\(actionURI)</a:Action><a:MessageID>uuid:\(UUID().uuidString)</a:MessageID>"
        h += "<a:To>\(WSMan.anonymous)</a:To>"
        if let relatesTo { h += "<a:RelatesTo>\(WSMan.escape(relatesTo))</a:RelatesTo>" }
        h += "</s:Header>"
        return "<s:Envelope xml:lang=\"en-US\" \(Self.namespaces)>\(h)<s:Body>\(body)</s:Body></s:Envelope>"
    }

    func fault(relatesTo: String?, subcode: String, code: String, text: String) -> (Int, String) {
        let t = WSMan.escape(text)
        let body = """
            <s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>\(subcode)</s:Value></s:Subcode></s:Code>\
            <s:Reason><s:Text xml:lang="en-US">\(t)</s:Text></s:Reason><s:Detail>\
            <f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="\(code)" Machine="\(WSMan.escape(computerName))">\
            <f:Message>\(t)</f:Message></f:WSManFault></s:Detail></s:Fault>
            """
        return (500, envelope(actionURI: "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relatesTo: relatesTo, body: body))
    }
}
