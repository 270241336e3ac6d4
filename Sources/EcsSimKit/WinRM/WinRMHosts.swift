#if canImport(Glibc)
import Glibc
#endif
import AlicloudKit
import Dispatch
import FoundationEssentials

/// The WinRM endpoints of emulated Windows instances. Each instance gets an `HTTPServer`
/// (keep-alive, Basic authentication) speaking the WS-Management remote shell on its
/// address, plus an HTTPS front (socat with a self-signed certificate made by the openssl
/// CLI) when asked. Commands run confined to the instance's root directory.
public final class WinRMHosts: @unchecked Sendable {
    /// `<state>/host/winrm`: certificates and logs, one directory per instance.
    public let root: URL
    private let lock = Lock()
    private var endpoints: [String: Endpoint] = [:]

    final class Endpoint {
        let server: HTTPServer
        let service: WinRMService
        var tlsFront: pid_t?
        init(server: HTTPServer, service: WinRMService) {
            self.server = server
            self.service = service
        }
    }

    /// Uses (and creates) `root`.
    public init(root: URL) throws {
        self.root = root
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    /// Starts a WinRM endpoint for an instance on address:port (HTTP), and on httpsPort
    /// (HTTPS, self-signed certificate `<root>/<id>/cert.pem`) when given; Basic auth for
    /// `user` with `password`; commands run with chroot in `rootDisk`, which gets busybox
    /// and the Windows directories it lacks. Starting an already started instance restarts it.
    /// Port 0 takes a free port; returns the HTTP port bound.
    @discardableResult
    public func start(instance id: String, address: String, port: Int, httpsPort: Int?, rootDisk: URL,
                      user: String, password: String) throws -> Int {
        stop(instance: id)
        try Self.prepareRoot(rootDisk)
        let service = WinRMService(rootDisk: rootDisk, computerName: Self.computerName(id))
        let server = HTTPServer(handler: wsmanHandler(service: service, user: user, password: password))
        guard let port16 = UInt16(exactly: port) else { throw WinRMServerError("winrm endpoint: port \(port) out of range") }
        try server.start(address: address, port: port16, context: "winrm endpoint")
        let endpoint = Endpoint(server: server, service: service)
        if let httpsPort {
            do {
                endpoint.tlsFront = try startTLSFront(instance: id, address: address, httpsPort: httpsPort, backendPort: Int(server.port))
            } catch {
                server.stop()
                throw error
            }
        }
        lock.lock()
        endpoints[id] = endpoint
        lock.unlock()
        return Int(server.port)
    }

    /// The PEM certificate of an instance's HTTPS endpoint (a test's `--ca-file`).
    public func certificate(instance id: String) -> URL {
        root.appendingPathComponent(id).appendingPathComponent("cert.pem")
    }

    /// Stops an instance's endpoint and every command it runs (no-op when not started).
    public func stop(instance id: String) {
        lock.lock()
        let endpoint = endpoints.removeValue(forKey: id)
        lock.unlock()
        guard let endpoint else { return }
        if let pid = endpoint.tlsFront {
            kill(pid, SIGTERM)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        endpoint.server.stop()
        endpoint.service.stopAll()
    }

    /// How many shells an instance's endpoint holds open (leak checks in tests).
    func openShells(instance id: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        return endpoints[id]?.service.openShells ?? 0
    }

    /// Stops every endpoint.
    public func stopAll() {
        lock.lock()
        let ids = Array(endpoints.keys)
        lock.unlock()
        for id in ids { stop(instance: id) }
    }

    deinit { stopAll() }

    /// A Windows-like computer name from an instance id (`i-abc...` → `IZABC...`, ≤ 15 chars).
    static func computerName(_ id: String) -> String {
        String(("iz" + id.replacingText("i-", with: "")).uppercased().prefix(15))
    }

    /// busybox as /bin/sh and the directories Windows paths map to.
    static func prepareRoot(_ rootDisk: URL) throws {
        let fm = FileManager.default
        let r = rootDisk.path
        for dir in ["bin", "Windows/Temp", "Users/Administrator", "Program Files", "tmp"] {
            try fm.createDirectory(atPath: r + "/" + dir, withIntermediateDirectories: true)
        }
        try fm.createDirectory(atPath: r + "/dev", withIntermediateDirectories: true)
        if !fm.fileExists(atPath: r + "/dev/null") {
            // Scripts redirect to /dev/null; a character device needs root, as chroot does.
            guard mknod(r + "/dev/null", S_IFCHR | 0o666, dev_t((1 << 8) | 3)) == 0 else {
                throw WinRMServerError("\(r)/dev/null: \(String(cString: strerror(errno)))")
            }
            chmod(r + "/dev/null", 0o666)
        }
        if !fm.fileExists(atPath: r + "/bin/sh") {
            guard let busybox = ["/bin/busybox", "/usr/bin/busybox"].first(where: { fm.isExecutableFile(atPath: $0) }) else {
                throw WinRMServerError("busybox is not installed (apt-get install busybox-static)")
            }
            if !fm.fileExists(atPath: r + "/bin/busybox") { try fm.copyItem(atPath: busybox, toPath: r + "/bin/busybox") }
            let p = try WinRMCommandProcess.start(["/usr/sbin/chroot", r, "/bin/busybox", "--install", "-s", "/bin"], environment: [:])
            _ = p.finish(within: 30)
            guard fm.fileExists(atPath: r + "/bin/sh") else { throw WinRMServerError("\(r): cannot install busybox applets") }
        }
    }

    func startTLSFront(instance id: String, address: String, httpsPort: Int, backendPort: Int) throws -> pid_t {
        let dir = root.appendingPathComponent(id)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        if !FileManager.default.fileExists(atPath: cert) {
            let san = address.allSatisfy({ $0.isNumber || $0 == "." }) ? "IP:\(address)" : "DNS:\(address)"
            let p = try WinRMCommandProcess.start(
                ["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                 "-days", "365", "-subj", "/CN=\(address)", "-addext", "subjectAltName=\(san)"],
                environment: ["PATH": "/usr/bin:/bin"])
            let r = p.finish(within: 60)
            guard r.exit == 0, FileManager.default.fileExists(atPath: cert) else {
                throw WinRMServerError("openssl: cannot make a certificate: \(String(decoding: r.stderr, as: UTF8.self))")
            }
        }
        guard let socat = ["/usr/bin/socat", "/bin/socat"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw WinRMServerError("socat is not installed (apt-get install socat): HTTPS endpoints need it")
        }
        let listen = "OPENSSL-LISTEN:\(httpsPort),bind=\(address),reuseaddr,fork,cert=\(cert),key=\(key),verify=0"
        let process = try WinRMCommandProcess.start([socat, listen, "TCP:\(address):\(backendPort)"], environment: ["PATH": "/usr/bin:/bin"])
        // Wait until the port accepts connections (socat binds at once, but asynchronously).
        for _ in 0..<100 {
            if Self.canConnect(address, httpsPort) { return process.pid }
            if process.hasExited { break }
            usleep(20_000)
        }
        process.signal(SIGTERM)
        throw WinRMServerError("socat: cannot listen on \(address):\(httpsPort)")
    }

    static func canConnect(_ address: String, _ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &addr.sin_addr)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

/// Whether a UserData payload (already base64-decoded) is the WinRM-enabling script
/// (examples/winrm_enable_userdata.ps1 or an equivalent): PowerShell user data that
/// configures WinRM's Basic authentication and an HTTP listener.
public func userDataEnablesWinRM(_ userData: String) -> Bool {
    let text = userData.lowercased()
    let isPowerShell = ["<powershell>", "[powershell]", "#powershell", "set-executionpolicy", "winrm ", "enable-psremoting"]
        .contains { text.contains($0) }
    let enablesService = text.contains("winrm quickconfig") || text.contains("enable-psremoting")
    let enablesBasic = text.contains("basic=\"true\"") || text.contains("basic='true'") || text.contains("auth\\basic")
    return isPowerShell && enablesService && enablesBasic
}

/// WS-Management over HTTP for one endpoint, as Windows' HTTP.sys answers it: Basic
/// authentication (a 401 offers Negotiate and Basic), POST to /wsman only, SOAP replies.
func wsmanHandler(service: WinRMService, user: String, password: String) -> HTTPServer.Handler {
    let expected = AlicloudKit.HTTPRequest.basicAuthorization(user: user, password: password)
    return { request in
        var headers: [(name: String, value: String)] = [("Server", "Microsoft-HTTPAPI/2.0")]
        guard request.header("authorization") == expected else {
            headers += [("WWW-Authenticate", "Negotiate"), ("WWW-Authenticate", "Basic realm=\"WSMAN\"")]
            return ServerResponse(status: 401, headers: headers)
        }
        guard request.method == "POST" else { return ServerResponse(status: 405, headers: headers) }
        guard request.path.lowercased().hasPrefix("/wsman") else { return ServerResponse(status: 404, headers: headers) }
        let (status, text) = service.handle(request.body)
        if !text.isEmpty { headers.append(("Content-Type", "application/soap+xml;charset=UTF-8")) }
        return ServerResponse(status: status, headers: headers, body: Array(text.utf8))
    }
}
