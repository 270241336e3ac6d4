import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tiny HTTP/1.1 server on 127.0.0.1 (ephemeral port) for tests: blocking sockets,
/// one thread per connection, keep-alive, Content-Length bodies. It records every request.
final class HTTPTestServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        var target: String
        var headers: [(String, String)]
        var body: [UInt8]
        func header(_ name: String) -> String? {
            headers.last { $0.0.lowercased() == name.lowercased() }?.1
        }
        /// The decoded query parameters of the target.
        var query: [String: String] {
            guard let q = target.firstIndex(of: "?") else { return [:] }
            var out: [String: String] = [:]
            for part in target[target.index(after: q)...].split(separator: "&") {
                let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let k = String(kv[0]).removingPercentEncoding ?? String(kv[0])
                let v = kv.count > 1 ? (String(kv[1]).removingPercentEncoding ?? String(kv[1])) : ""
                out[k] = v
            }
            return out
        }
    }

    struct Reply: Sendable {
        var status: Int = 200
        var headers: [(String, String)] = []
        var body: [UInt8] = []
        var delay: Double = 0
        static func json(_ status: Int, _ text: String) -> Reply {
            Reply(status: status, headers: [("Content-Type", "application/json")], body: Array(text.utf8))
        }
    }

    let port: UInt16
    private let listenFD: Int32
    private let lock = NSLock()
    private var _requests: [Request] = []
    private var _connections = 0
    private let handler: @Sendable (Request) -> Reply

    var requests: [Request] { lock.lock(); defer { lock.unlock() }; return _requests }
    var connections: Int { lock.lock(); defer { lock.unlock() }; return _connections }
    var url: String { "http://127.0.0.1:\(port)" }

    init(handler: @escaping @Sendable (Request) -> Reply) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 64) == 0 else { throw POSIXError(.EADDRINUSE) }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        port = UInt16(bigEndian: addr.sin_port)
        listenFD = fd
        let t = Thread { [self] in acceptLoop() }
        t.start()
    }

    private var stopped = false

    /// Stops listening (idempotent: a second close could hit another test's descriptor).
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        // Only shut down here: the accept loop closes the descriptor once it has returned.
        // Closing it now would let the loop's next accept() land on whatever socket another
        // test opens under the same number, and steal that test's connections.
        shutdown(listenFD, Int32(SHUT_RDWR))
    }

    deinit { stop() }

    private func acceptLoop() {
        defer { close(listenFD) }
        while true {
            let c = accept(listenFD, nil, nil)
            if c < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.lock()
            _connections += 1
            lock.unlock()
            let t = Thread { [self] in serve(c) }
            t.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer { close(fd) }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        func fill() -> Bool {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return false }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
        while true {
            var headerEnd: Int?
            while headerEnd == nil {
                if let r = Self.find(buffer, Array("\r\n\r\n".utf8)) { headerEnd = r } else if !fill() { return }
            }
            let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self)
            buffer.removeFirst(headerEnd! + 4)
            var lines = head.components(separatedBy: "\r\n")
            let requestLine = lines.removeFirst().split(separator: " ")
            guard requestLine.count >= 2 else { return }
            var headers: [(String, String)] = []
            for l in lines {
                guard let c = l.firstIndex(of: ":") else { continue }
                headers.append((String(l[..<c]), String(l[l.index(after: c)...]).trimmingCharacters(in: .whitespaces)))
            }
            var request = Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: [])
            let length = Int(request.header("Content-Length") ?? "0") ?? 0
            while buffer.count < length { if !fill() { return } }
            request.body = Array(buffer[0..<length])
            buffer.removeFirst(length)
            lock.lock()
            _requests.append(request)
            lock.unlock()
            let reply = handler(request)
            if reply.delay > 0 { Thread.sleep(forTimeInterval: reply.delay) }
            var out = "HTTP/1.1 \(reply.status) X\r\nContent-Length: \(reply.body.count)\r\n"
            for (k, v) in reply.headers { out += "\(k): \(v)\r\n" }
            out += "\r\n"
            let bytes = Array(out.utf8) + reply.body
            var sent = 0
            while sent < bytes.count {
                let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if Array(hay[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }
}
