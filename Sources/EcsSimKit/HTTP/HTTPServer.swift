#if canImport(Glibc)
import Glibc
#endif
import AlicloudKit
import Dispatch
import FoundationEssentials

/// One parsed HTTP/1.1 request.
public struct ServerRequest: Sendable {
    /// The method, upper case as sent (`GET`, `POST`, `CONNECT`).
    public var method: String
    /// The request target as sent: origin form (`/?a=b`) or absolute form (`http://host/?a=b`).
    public var target: String
    /// The path of the target (`/`), without the query.
    public var path: String
    /// The raw query string (after `?`, not decoded), empty when there is none.
    public var query: String
    /// The header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body bytes (de-chunked).
    public var body: [UInt8]
    /// The host named by an absolute-form target, else by the Host header.
    public var host: String
    /// The peer address, for the request log.
    public var peer: String

    /// The first value of a header, by case-insensitive name.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }

    /// Makes a request (used by tests and by the parser).
    public init(method: String, target: String, headers: [(name: String, value: String)] = [], body: [UInt8] = [], peer: String = "127.0.0.1") {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.peer = peer
        var rest = Substring(target)
        var host = ""
        if let schemeEnd = rest.rangeOfText("://") {
            rest = rest[schemeEnd.upperBound...]
            let slash = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
            host = String(rest[..<slash])
            rest = rest[slash...]
            if rest.isEmpty { rest = "/" }
        }
        if let q = rest.firstIndex(of: "?") {
            path = String(rest[..<q])
            query = String(rest[rest.index(after: q)...])
        } else {
            path = String(rest)
            query = ""
        }
        if path.isEmpty { path = "/" }
        if host.isEmpty { host = headers.first { $0.name.lowercased() == "host" }?.value ?? "" }
        self.host = host
    }
}

/// One HTTP response.
public struct ServerResponse: Sendable {
    /// The status code.
    public var status: Int
    /// Extra header fields (Content-Length and Connection are added by the server).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: [UInt8]
    /// Whether the server must close the connection after this response.
    public var close: Bool
    /// Close the connection without sending anything (fault injection: a lost response).
    public var drop = false

    /// Makes a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = [], close: Bool = false) {
        self.status = status
        self.headers = headers
        self.body = body
        self.close = close
    }

    /// A JSON response.
    public static func json(_ status: Int, _ text: String) -> ServerResponse {
        ServerResponse(status: status, headers: [("Content-Type", "application/json;charset=utf-8")], body: Array(text.utf8))
    }

    /// The reason phrase of a status code.
    static func reason(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 413: return "Payload Too Large"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        default: return "Status"
        }
    }

    /// The bytes on the wire.
    func serialized(keepAlive: Bool) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(ServerResponse.reason(status))\r\n"
        for h in headers { head += "\(h.name): \(h.value)\r\n" }
        head += "Content-Length: \(body.count)\r\n"
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        return Array(head.utf8) + body
    }
}

/// A malformed request: answered with `status` and the connection closed.
struct HTTPParseError: Error {
    var status: Int
    var message: String
}

/// A small HTTP/1.1 server on a loopback address: keep-alive, Content-Length and chunked
/// bodies, `Expect: 100-continue`, absolute-form targets (so clients can use it as their
/// HTTP_PROXY). One thread per connection with blocking I/O; idle connections time out.
/// With an object store, OSS requests (by host name or Authorization scheme) share the port:
/// their bodies are streamed to the store instead of buffered, whatever their size.
public final class HTTPServer: @unchecked Sendable {
    /// Answers one request; called concurrently from connection threads.
    public typealias Handler = @Sendable (ServerRequest) -> ServerResponse

    private let handler: Handler
    private let objectStore: OSSService?
    private var listenFD: Int32 = -1
    private let lock = Lock()
    private var connections: Set<Int32> = []
    private var stopped = false
    /// Left when the accept loop has returned and closed the listening socket.
    private let acceptLoopDone = DispatchGroup()
    /// Largest accepted request head and body.
    static let maxHead = 64 * 1024
    static let maxBody = 64 * 1024 * 1024
    /// Seconds an idle keep-alive connection is kept.
    static let idleTimeout = 120

    /// The bound port (after `start`).
    public private(set) var port: UInt16 = 0
    /// The bound address.
    public private(set) var address: String = "127.0.0.1"

    /// A server that answers with `handler`, and OSS requests with `objectStore` when given.
    public init(objectStore: OSSService? = nil, handler: @escaping Handler) {
        self.handler = handler
        self.objectStore = objectStore
    }

    /// Binds `address:port` (port 0 picks a free one) and starts accepting on a thread.
    /// Only loopback addresses are accepted. `context` starts the error messages (the
    /// option or endpoint that named the address).
    public func start(address: String, port: UInt16, context: String = "--listen") throws {
        guard HTTPServer.isLoopback(address) else {
            throw ToolError.usage("\(context): \(address): only loopback addresses (127.0.0.0/8) are allowed")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ToolError(.cantCreate, "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        guard inet_pton(AF_INET, address, &sin.sin_addr) == 1 else {
            close(fd)
            throw ToolError.usage("\(context): not an IPv4 address: \(address)")
        }
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let cause = String(cString: strerror(errno))
            close(fd)
            throw ToolError(.unavailable, "\(context): \(address):\(port): \(cause)")
        }
        guard listen(fd, 512) == 0 else {
            close(fd)
            throw ToolError(.unavailable, "listen: \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
        self.address = address
        listenFD = fd
        acceptLoopDone.enter()
        startThread { [self] in
            self.acceptLoop(fd)
            self.acceptLoopDone.leave()
        }
    }

    /// Stops accepting and closes every open connection; returns once the listening socket
    /// is closed, so its address can be bound again at once.
    public func stop() {
        lock.lock()
        stopped = true
        let fd = listenFD
        listenFD = -1
        let open = connections
        lock.unlock()
        // Shut down only: the accept loop closes the descriptor when it returns, so its
        // number cannot be reused (and accepted on) while the loop may still call accept().
        if fd >= 0 { shutdown(fd, Int32(SHUT_RDWR)) }
        for c in open { shutdown(c, Int32(SHUT_RDWR)) }
        acceptLoopDone.wait()
    }

    /// Whether `address` is an IPv4 loopback address.
    public static func isLoopback(_ address: String) -> Bool {
        var a = in_addr()
        guard inet_pton(AF_INET, address, &a) == 1 else { return false }
        return UInt32(bigEndian: a.s_addr) >> 24 == 127
    }

    private func acceptLoop(_ fd: Int32) {
        defer { close(fd) }
        while true {
            var peer = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let c = withUnsafeMutablePointer(to: &peer) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(fd, $0, &len) }
            }
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                lock.lock()
                let done = stopped
                lock.unlock()
                if done { return }
                usleep(10_000)
                continue
            }
            var buf = [CChar](repeating: 0, count: 32)
            var addr = peer.sin_addr
            inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
            let peerText = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            // Loopback only: anything else is closed at once (the bind already prevents it).
            guard HTTPServer.isLoopback(peerText) else { close(c); continue }
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var tv = timeval(tv_sec: HTTPServer.idleTimeout, tv_usec: 0)
            setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            lock.lock()
            connections.insert(c)
            lock.unlock()
            startThread(stackSize: 1 << 20) { [self] in
                self.serve(c, peer: peerText)
                self.lock.lock()
                self.connections.remove(c)
                self.lock.unlock()
                close(c)
            }
        }
    }

    private func serve(_ fd: Int32, peer: String) {
        var reader = SocketReader(fd: fd)
        while true {
            let request: ServerRequest
            let keepAlive: Bool
            do {
                guard let head = try HTTPServer.readHead(&reader) else { return }
                if let store = objectStore, head.method != "CONNECT",
                   OSSService.isOSSRequest(target: head.target, headers: head.headers.map { ($0.name, $0.value) }) {
                    guard serveObjectStore(store, head, &reader) else { return }
                    continue
                }
                request = try HTTPServer.readBody(head, &reader, peer: peer)
                keepAlive = head.keepAlive
            } catch let e as HTTPParseError {
                let r = ServerResponse(status: e.status, headers: [("Content-Type", "text/plain")], body: Array((e.message + "\n").utf8), close: true)
                _ = HTTPServer.sendAll(fd, r.serialized(keepAlive: false))
                return
            } catch {
                return
            }
            if request.method == "CONNECT" {
                // No tunnelling: refuse at once so proxy-aware clients fall back immediately.
                let r = ServerResponse(status: 405, headers: [("Allow", "GET, POST"), ("Content-Type", "text/plain")], body: Array("CONNECT is not supported by ecs-sim\n".utf8), close: true)
                _ = HTTPServer.sendAll(fd, r.serialized(keepAlive: false))
                return
            }
            let response = handler(request)
            if response.drop { return }
            let again = keepAlive && !response.close
            guard HTTPServer.sendAll(fd, response.serialized(keepAlive: again)) else { return }
            if !again { return }
        }
    }

    /// Answers one OSS request with its body streamed from the socket; false when the
    /// connection must close (a body left unread, Connection: close, a write failure).
    private func serveObjectStore(_ store: OSSService, _ head: RequestHead, _ reader: inout SocketReader) -> Bool {
        let fd = reader.fd
        if head.header("transfer-encoding") != nil {
            // OSS needs a Content-Length on uploads (MissingContentLength); chunked is not taken.
            _ = HTTPServer.sendAll(fd, Array("HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return false
        }
        let lengthText = head.header("content-length")
        let length = lengthText.map { Int64($0) ?? -1 } ?? 0
        guard length >= 0 else {
            _ = HTTPServer.sendAll(fd, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
            return false
        }
        if length > 0, head.header("expect")?.lowercased() == "100-continue" {
            guard HTTPServer.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return false }
        }
        let body = StreamedBody(reader: reader, length: length)
        let response = store.handle(OSSRequest(method: head.method, target: head.target, headers: head.headers.map { ($0.name, $0.value) },
                                               body: length > 0 ? body : nil))
        reader = body.reader
        let keepAlive = body.remaining == 0 && head.keepAlive
        guard response.write(to: fd, method: head.method, keepAlive: keepAlive) else { return false }
        return keepAlive
    }

    /// Reads one request; nil at a clean end of stream before a request starts.
    static func readRequest(_ reader: inout SocketReader, peer: String) throws -> (request: ServerRequest, keepAlive: Bool)? {
        guard let head = try readHead(&reader) else { return nil }
        return (try readBody(head, &reader, peer: peer), head.keepAlive)
    }

    /// Reads and parses a request head; nil at a clean end of stream before a request starts.
    static func readHead(_ reader: inout SocketReader) throws -> RequestHead? {
        guard let headBytes = try reader.readHead(limit: maxHead) else { return nil }
        guard let head = String(bytes: headBytes, encoding: .utf8) ?? String(bytes: headBytes, encoding: .isoLatin1) else {
            throw HTTPParseError(status: 400, message: "bad request head")
        }
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else {
            throw HTTPParseError(status: 400, message: "bad request line")
        }
        let method = String(requestLine[0])
        let target = String(requestLine[1])
        let version = String(requestLine[2])
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw HTTPParseError(status: 400, message: "bad header line") }
            let name = String(line[..<colon]).trimmingBlanks()
            let value = String(line[line.index(after: colon)...]).trimmingBlanks()
            headers.append((name, value))
        }
        var parsed = RequestHead(method: method, target: target, headers: headers, keepAlive: false)
        let connection = parsed.header("connection")?.lowercased() ?? ""
        parsed.keepAlive = method != "CONNECT" && (version == "HTTP/1.1" ? !connection.contains("close") : connection.contains("keep-alive"))
        return parsed
    }

    /// Reads the (bounded) body of a request whose head was read.
    static func readBody(_ head: RequestHead, _ reader: inout SocketReader, peer: String) throws -> ServerRequest {
        let method = head.method, target = head.target, headers = head.headers
        func header(_ n: String) -> String? { head.header(n) }
        if method == "CONNECT" {
            return ServerRequest(method: method, target: target, headers: headers, peer: peer)
        }
        var body: [UInt8] = []
        let chunked = header("transfer-encoding")?.lowercased().contains("chunked") ?? false
        let length = header("content-length").flatMap { Int($0) }
        if header("content-length") != nil && length == nil { throw HTTPParseError(status: 400, message: "bad Content-Length") }
        if let length, length > maxBody { throw HTTPParseError(status: 413, message: "body too large") }
        if chunked || (length ?? 0) > 0, header("expect")?.lowercased() == "100-continue" {
            guard sendAll(reader.fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { throw HTTPParseError(status: 400, message: "peer gone") }
        }
        if chunked {
            while true {
                guard let sizeLine = try reader.readLine(limit: 1024) else { throw HTTPParseError(status: 400, message: "truncated chunk") }
                let hex = sizeLine.split(separator: ";").first.map { String($0).trimmingBlanks() } ?? ""
                guard let size = Int(hex, radix: 16), size >= 0 else { throw HTTPParseError(status: 400, message: "bad chunk size") }
                if size == 0 {
                    // Trailers, up to the empty line.
                    while let trailer = try reader.readLine(limit: 8192), !trailer.isEmpty {}
                    break
                }
                guard body.count + size <= maxBody else { throw HTTPParseError(status: 413, message: "body too large") }
                guard let chunk = try reader.readExactly(size) else { throw HTTPParseError(status: 400, message: "truncated chunk") }
                body += chunk
                _ = try reader.readLine(limit: 16)
            }
        } else if let length, length > 0 {
            guard let bytes = try reader.readExactly(length) else { throw HTTPParseError(status: 400, message: "truncated body") }
            body = bytes
        }
        return ServerRequest(method: method, target: target, headers: headers, body: body, peer: peer)
    }

    /// Writes every byte; false when the peer has gone.
    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}

/// A parsed request line and header fields, before the body.
struct RequestHead {
    var method: String
    var target: String
    var headers: [(name: String, value: String)]
    var keepAlive: Bool

    func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name.lowercased() == lower }?.value
    }
}

/// A request body of exactly `length` bytes read straight from the connection (OSS uploads):
/// the read-ahead buffer first, then the socket, never more than the body.
final class StreamedBody: OSSBodyReader {
    var reader: SocketReader
    var remaining: Int64

    init(reader: SocketReader, length: Int64) {
        self.reader = reader
        remaining = length
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0, buffer.count > 0 else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        let n = reader.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        remaining -= Int64(n)
        return n
    }
}

/// Buffered reads from a socket.
struct SocketReader {
    let fd: Int32
    var buffer: [UInt8] = []
    var start = 0
    var chunk = [UInt8](repeating: 0, count: 65536)

    init(fd: Int32) { self.fd = fd }

    /// Reads more bytes into the buffer; false at end of stream.
    mutating func fill() throws -> Bool {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 65536, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    /// Reads up to and excluding the blank line that ends a request head; nil at EOF before any byte.
    mutating func readHead(limit: Int) throws -> [UInt8]? {
        var scanned = 0   // bytes after `start` already known not to end the head
        while true {
            // Tolerate stray CRLFs between keep-alive requests.
            while start + 1 < buffer.count && buffer[start] == 13 && buffer[start + 1] == 10 { start += 2; scanned = 0 }
            var i = start + max(0, scanned - 3)
            while i + 3 < buffer.count {
                if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    let head = Array(buffer[start..<i])
                    start = i + 4
                    return head
                }
                i += 1
            }
            scanned = buffer.count - start
            if scanned > limit { throw HTTPParseError(status: 431, message: "request head too large") }
            let hadBytes = scanned > 0
            guard try fill() else {
                if hadBytes { throw HTTPParseError(status: 400, message: "truncated request head") }
                return nil
            }
        }
    }

    /// Reads one CRLF-terminated line (without the CRLF).
    mutating func readLine(limit: Int) throws -> String? {
        while true {
            if let nl = buffer[start...].firstIndex(of: 10) {
                var end = nl
                if end > start && buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = nl + 1
                return line
            }
            if buffer.count - start > limit { throw HTTPParseError(status: 400, message: "line too long") }
            guard try fill() else { return nil }
        }
    }

    /// Up to `into.count` bytes: buffered ones first, else one recv straight into `into`
    /// (no copy through the buffer); 0 at the end of the stream.
    mutating func read(into: UnsafeMutableRawBufferPointer) -> Int {
        if start < buffer.count {
            let n = min(into.count, buffer.count - start)
            buffer.withUnsafeBytes { into.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: n) }
            start += n
            return n
        }
        while true {
            let n = recv(fd, into.baseAddress, into.count, 0)
            if n < 0 && errno == EINTR { continue }
            return max(0, n)
        }
    }

    /// Reads exactly `n` bytes; nil at a premature end of stream.
    mutating func readExactly(_ n: Int) throws -> [UInt8]? {
        while buffer.count - start < n {
            guard try fill() else { return nil }
        }
        let out = Array(buffer[start..<(start + n)])
        start += n
        return out
    }
}
