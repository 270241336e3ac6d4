import AlicloudKit
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 listener on 127.0.0.1 that serves only `OSSService`: one thread per
/// connection, keep-alive, `Expect: 100-continue`, Content-Length bodies streamed straight
/// from the socket. Tests and benchmarks use it; the emulator may use it for a dedicated
/// OSS port.
public final class OSSHTTPServer: @unchecked Sendable {
    /// The service answering requests.
    public let service: OSSService
    /// The bound port.
    public private(set) var port: UInt16 = 0
    private var listener: Int32 = -1
    private let lock = NSLock()
    private var stopped = false
    private var connections: Set<Int32> = []

    /// Makes a server for `service`.
    public init(service: OSSService) { self.service = service }

    /// Binds 127.0.0.1:`port` (0 = any free port) and starts accepting.
    public func start(host: String = "127.0.0.1", port: UInt16 = 0) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ToolError(.unavailable, "socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr(host)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let e = String(cString: strerror(errno))
            close(fd)
            throw ToolError(.unavailable, "\(host):\(port): \(e)")
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        self.port = UInt16(bigEndian: addr.sin_port)
        listener = fd
        let thread = Thread { [self] in acceptLoop(fd) }
        thread.start()
    }

    /// Stops accepting and closes every open connection.
    public func stop() {
        lock.lock()
        stopped = true
        let open = connections
        lock.unlock()
        // The accept loop closes the listener when it returns (see HTTPServer.stop).
        shutdown(listener, Int32(SHUT_RDWR))
        for c in open { shutdown(c, Int32(SHUT_RDWR)) }
    }

    private func acceptLoop(_ fd: Int32) {
        defer { close(fd) }
        while true {
            let c = accept(fd, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.lock()
            if stopped {
                lock.unlock()
                close(c)
                return
            }
            connections.insert(c)
            lock.unlock()
            var one: Int32 = 1
            setsockopt(c, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            let t = Thread { [self] in
                serve(Connection(fd: c))
                lock.lock()
                connections.remove(c)
                lock.unlock()
                close(c)
            }
            t.stackSize = 1 << 20
            t.start()
        }
    }

    private func serve(_ conn: Connection) {
        while let head = conn.readHead() {
            let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false).map(String.init)
            let parts = lines[0].split(separator: " ")
            guard parts.count == 3 else { return }
            var headers: [(String, String)] = []
            for line in lines.dropFirst() where !line.isEmpty {
                guard let colon = line.firstIndex(of: ":") else { return }
                headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
            }
            func header(_ n: String) -> String? { headers.last { $0.0.lowercased() == n }?.1 }
            if header("transfer-encoding") != nil {
                _ = conn.send(Array("HTTP/1.1 411 Length Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                return
            }
            let length = Int64(header("content-length") ?? "0") ?? 0
            if header("expect")?.lowercased() == "100-continue" {
                guard conn.send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
            }
            let body = SocketBody(conn: conn, length: length)
            let method = String(parts[0])
            let response = service.handle(OSSRequest(method: method, target: String(parts[1]), headers: headers,
                                                     body: length > 0 ? body : nil))
            let keepAlive = body.remaining == 0 && header("connection")?.lowercased() != "close" && parts[2] == "HTTP/1.1"
            guard response.write(to: conn.fd, method: method, keepAlive: keepAlive), keepAlive else { return }
        }
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 400: return "Bad Request"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 409: return "Conflict"
        case 411: return "Length Required"
        case 501: return "Not Implemented"
        default: return status < 400 ? "OK" : "Error"
        }
    }
}

extension OSSResponse {
    /// Sends the answer on a socket: head (Content-Length from the body; none sent to HEAD),
    /// then the body, a file with sendfile. False when the peer has gone.
    func write(to fd: Int32, method: String, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(status) \(OSSHTTPServer.reason(status))\r\n"
        for (n, v) in headers { head += "\(n): \(v)\r\n" }
        if let n = bodyLength { head += "Content-Length: \(n)\r\n" } else if header("Content-Length") == nil { head += "Content-Length: 0\r\n" }
        head += keepAlive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n"
        guard HTTPServer.sendAll(fd, Array(head.utf8)) else { return false }
        if method == "HEAD" { return true }
        switch body {
        case .none: return true
        case .bytes(let b): return HTTPServer.sendAll(fd, b)
        case .segments(let files):
            for (url, length) in files {
                let file = open(url.path, O_RDONLY | O_CLOEXEC)
                guard file >= 0 else { return false }
                defer { close(file) }
                var off: off_t = 0
                var left = length
                while left > 0 {
                    let n = sendfile(fd, file, &off, Int(min(left, 1 << 30)))
                    if n < 0 && errno == EINTR { continue }
                    guard n > 0 else { return false }
                    left -= Int64(n)
                }
            }
            return true
        }
    }
}

/// A socket with a small read-ahead buffer.
final class Connection {
    let fd: Int32
    var buffer = [UInt8](repeating: 0, count: 64 << 10)
    var start = 0
    var end = 0

    init(fd: Int32) { self.fd = fd }

    func fill() -> Bool {
        if start == end { start = 0; end = 0 }
        if end == buffer.count {
            if start == 0 { return false }
            buffer.replaceSubrange(0..<(end - start), with: buffer[start..<end])
            end -= start
            start = 0
        }
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, $0.count - end, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            end += n
            return true
        }
    }

    /// The request line and headers (without the blank line), or nil at EOF.
    func readHead() -> String? {
        while true {
            var i = start
            while i + 4 <= end {
                if buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
                    let head = String(decoding: buffer[start..<i], as: UTF8.self)
                    start = i + 4
                    return head
                }
                i += 1
            }
            guard fill() else { return nil }
        }
    }

    /// Up to `max` body bytes into `into`.
    func read(into: UnsafeMutableRawBufferPointer) -> Int {
        if start < end {
            let n = min(into.count, end - start)
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

    func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return false }
            sent += n
        }
        return true
    }
}

/// The request body: exactly Content-Length bytes of the connection.
final class SocketBody: OSSBodyReader {
    let conn: Connection
    var remaining: Int64

    init(conn: Connection, length: Int64) {
        self.conn = conn
        remaining = length
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard remaining > 0 else { return 0 }
        let want = Int(min(Int64(buffer.count), remaining))
        let n = conn.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want]))
        remaining -= Int64(n)
        return n
    }
}
