#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FoundationEssentials

/// Where and how to reach a WinRM service.
public struct WinRMEndpoint: Sendable {
    /// Host name or address.
    public var host: String
    /// TCP port (5985 HTTP, 5986 HTTPS).
    public var port: Int
    /// Whether to use HTTPS.
    public var https: Bool
    /// Local account name (Basic authentication).
    public var user: String
    /// The password (kept out of every message and argument list).
    public var password: String
    /// Seconds a Receive may wait on the service before it answers TimedOut.
    public var operationTimeout: Double = 60
    /// TLS and connection settings (`caFile`, `insecure`, `connectTimeout`).
    public var http = HTTPOptions()

    /// Makes an endpoint.
    public init(host: String, port: Int, https: Bool, user: String, password: String) {
        self.host = host
        self.port = port
        self.https = https
        self.user = user
        self.password = password
    }

    /// `http(s)://host:port/wsman` (IPv6 literals bracketed).
    public var url: String {
        let h = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        return "\(https ? "https" : "http")://\(h):\(port)/wsman"
    }
}

/// The output streams of a remote command.
public enum WinRMStream: String, Sendable {
    case stdout, stderr
}

/// A WinRM Basic-auth client for the remote shell: one HTTP connection (keep-alive),
/// one call at a time. Errors: 401 → ToolError 77; faults → `WSManFault`; transport
/// failures → ToolError 69/75 from the HTTP layer.
public final class WinRMClient: @unchecked Sendable {
    /// The endpoint.
    public let endpoint: WinRMEndpoint
    let http: HTTPClient
    let envelopes: WSManEnvelope
    let authorization: String

    /// Makes a client (no traffic yet).
    public init(_ endpoint: WinRMEndpoint) {
        self.endpoint = endpoint
        var options = endpoint.http
        // A Receive may legitimately block for OperationTimeout: wait a little longer.
        options.timeout = endpoint.operationTimeout + 30
        options.userAgent = "alicloud-image-tools winrm-run/1.0"
        http = HTTPClient(options: options)
        envelopes = WSManEnvelope(to: endpoint.url, operationTimeout: endpoint.operationTimeout)
        authorization = HTTPRequest.basicAuthorization(user: endpoint.user, password: endpoint.password)
        Secrets.register(endpoint.password)
    }

    /// Posts one envelope and returns the parsed answer.
    func post(_ body: String, _ action: WSMan.Action) throws -> XMLElementNode {
        var request = HTTPRequest(method: "POST", url: endpoint.url, body: .bytes(Array(body.utf8)))
        request.addHeader("Content-Type", "application/soap+xml;charset=UTF-8")
        request.addHeader("Authorization", authorization)
        let response = try http.send(request)
        let context = "\(endpoint.host):\(endpoint.port): \(action.name)"
        if response.status == 401 {
            throw ToolError(.noPermission, "\(context): 401 unauthorized: user \(endpoint.user) was rejected (wrong password, or Basic authentication is not enabled)")
        }
        let root = XMLElementNode.parse(response.body)
        if let root, let fault = WSManFault.parse(root) { throw fault }
        guard response.isSuccess, let root else {
            let snippet = String(response.bodyText.prefix(200))
            throw ToolError(.remoteRunner, "\(context): HTTP \(response.status)\(snippet.isEmpty ? "" : ": \(snippet)")")
        }
        return root
    }

    /// Opens a shell and returns its ShellId.
    public func createShell() throws -> String {
        let root = try post(envelopes.create(), .create)
        guard let id = WSManResponse.shellID(root) else {
            throw ToolError(.remoteRunner, "\(endpoint.host):\(endpoint.port): Create: no ShellId in the answer")
        }
        return id
    }

    /// Starts a cmd.exe command line in a shell and returns its CommandId.
    public func startCommand(shellID: String, _ commandLine: String) throws -> String {
        let root = try post(envelopes.command(shellID: shellID, command: commandLine), .command)
        guard let id = WSManResponse.commandID(root) else {
            throw ToolError(.remoteRunner, "\(endpoint.host):\(endpoint.port): Command: no CommandId in the answer")
        }
        return id
    }

    /// Writes to a command's stdin; `end` closes it.
    public func send(shellID: String, commandID: String, bytes: [UInt8], end: Bool) throws {
        _ = try post(envelopes.send(shellID: shellID, commandID: commandID, bytes: bytes, end: end), .send)
    }

    /// One Receive; a TimedOut fault (nothing to report yet) is an empty, unfinished answer.
    public func receive(shellID: String, commandID: String) throws -> WSManReceive {
        do {
            return try WSManReceive.parse(post(envelopes.receive(shellID: shellID, commandID: commandID), .receive))
        } catch let fault as WSManFault where fault.isTimedOut {
            return WSManReceive(chunks: [], done: false, exitCode: nil)
        }
    }

    /// Signals a command.
    public func signal(shellID: String, commandID: String, _ code: WSMan.Signal) throws {
        _ = try post(envelopes.signal(shellID: shellID, commandID: commandID, code: code), .signal)
    }

    /// Closes a shell.
    public func deleteShell(_ shellID: String) throws {
        _ = try post(envelopes.delete(shellID: shellID), .delete)
    }

    /// Raw stdin chunks are kept ≤ 96 KiB so their base64 fits well within MaxEnvelopeSize.
    public static let stdinChunk = 96 * 1024

    /// Runs one command line in a new shell: Create, Command, Send (stdin, when given),
    /// Receive until Done, then always Signal terminate and Delete, even after an error
    /// or a signal. Output bytes go to `output` as they arrive. On SIGINT/SIGTERM the
    /// command gets ctrl_c (from a second connection, while the Receive is pending) and
    /// the call ends with `ExitRequest(128+n)` once the shell is closed.
    public func run(_ commandLine: String, stdin: [UInt8]? = nil,
                    output: (WinRMStream, [UInt8]) throws -> Void) throws -> UInt32 {
        SignalForwarding.install()
        try SignalForwarding.checkInterrupted()
        let shellID = try createShell()
        var commandID: String?
        defer {
            if let commandID { try? signal(shellID: shellID, commandID: commandID, .terminate) }
            try? deleteShell(shellID)
        }
        let cid = try startCommand(shellID: shellID, commandLine)
        commandID = cid
        let watcher = InterruptWatcher(endpoint: endpoint, shellID: shellID, commandID: cid)
        defer { watcher.cancel() }
        if let stdin {
            var offset = 0
            repeat {
                let end = min(stdin.count, offset + Self.stdinChunk)
                try send(shellID: shellID, commandID: cid, bytes: Array(stdin[offset..<end]), end: end == stdin.count)
                offset = end
            } while offset < stdin.count
        }
        while true {
            let answer = try receive(shellID: shellID, commandID: cid)
            for chunk in answer.chunks {
                try output(chunk.name == "stderr" ? .stderr : .stdout, chunk.bytes)
            }
            if answer.done {
                try SignalForwarding.checkInterrupted()
                return answer.exitCode ?? 0
            }
            try SignalForwarding.checkInterrupted()
        }
    }
}

/// Sends ctrl_c to a running command when the tool gets SIGINT/SIGTERM/SIGHUP, from its
/// own connection (the main one is blocked in a Receive).
final class InterruptWatcher: @unchecked Sendable {
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "winrm.interrupt")
    private let lock = Lock()
    private var sent = false

    init(endpoint: WinRMEndpoint, shellID: String, commandID: String) {
        for sig in SignalForwarding.forwarded {
            let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                let first = !self.sent
                self.sent = true
                self.lock.unlock()
                guard first else { return }
                var ep = endpoint
                ep.operationTimeout = 10
                ep.http.connectTimeout = 5
                let client = WinRMClient(ep)
                try? client.signal(shellID: shellID, commandID: commandID, .ctrlC)
                try? client.signal(shellID: shellID, commandID: commandID, .terminate)
            }
            source.resume()
            sources.append(source)
        }
        // A signal that arrived before the sources were armed is handled now.
        if SignalForwarding.received != nil {
            queue.async { [weak self] in
                guard let self else { return }
                self.lock.lock(); let first = !self.sent; self.sent = true; self.lock.unlock()
                guard first else { return }
                var ep = endpoint
                ep.operationTimeout = 10
                let client = WinRMClient(ep)
                try? client.signal(shellID: shellID, commandID: commandID, .ctrlC)
            }
        }
    }

    func cancel() {
        for s in sources { s.cancel() }
        sources = []
    }
}
