import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// A request body the HTTP server hands to `OSSService` without buffering it: `read`
/// fills up to `buffer.count` bytes and returns how many (0 at the end of the body).
public protocol OSSBodyReader: AnyObject {
    /// Reads the next bytes of the body; 0 means the body is finished.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// A body held in memory (tests, small bodies).
public final class OSSBytesReader: OSSBodyReader {
    private let bytes: [UInt8]
    private var position = 0

    /// Wraps bytes.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Copies the next bytes.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - position)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
        }
        return n
    }
}

/// One HTTP request as the emulator's server received it.
public struct OSSRequest {
    /// `GET`, `PUT`, `POST`, `HEAD`, `DELETE`.
    public var method: String
    /// The request target as sent: percent-encoded path and query (`/bucket/key?uploads`).
    public var target: String
    /// Header fields in order (any case). `Host` decides virtual-host vs path-style.
    public var headers: [(String, String)]
    /// The body, streamed; nil when there is none.
    public var body: OSSBodyReader?

    /// Makes a request.
    public init(method: String, target: String, headers: [(String, String)], body: OSSBodyReader? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }

    /// The last value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.0.lowercased() == lower }?.1
    }
}

/// What the server must send back.
public struct OSSResponse {
    /// What follows the headers.
    public enum Body {
        /// Nothing (HEAD, 204, or a 404 to HEAD). A `Content-Length` header, if set, is sent as is.
        case none
        /// Bytes in memory (XML documents).
        case bytes([UInt8])
        /// Whole files one after the other, each with its length (GetObject: an object's
        /// data file or its parts), streamed with sendfile.
        case segments([(URL, Int64)])
    }

    /// The HTTP status.
    public var status: Int
    /// Header fields (without Content-Length for `.bytes`/`.file` bodies: the server adds it).
    public var headers: [(String, String)]
    /// The body.
    public var body: Body

    /// Makes a response.
    public init(status: Int, headers: [(String, String)] = [], body: Body = .none) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body's length in bytes (nil for `.none`).
    public var bodyLength: Int64? {
        switch body {
        case .none: return nil
        case .bytes(let b): return Int64(b.count)
        case .segments(let files): return files.reduce(0) { $0 + $1.1 }
        }
    }

    /// The last value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.0.lowercased() == lower }?.1
    }
}

/// An OSS error answer (`<Error><Code>…`).
struct OSSFailure: Error {
    var status: Int
    var code: String
    var message: String
    var extra: [(String, String)] = []

    init(_ status: Int, _ code: String, _ message: String, extra: [(String, String)] = []) {
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
    }
}

extension OSSResponse {
    /// Sends the answer on a socket: head (Content-Length from the body; none sent to HEAD),
    /// then the body, files with sendfile. False when the peer has gone.
    func write(to fd: Int32, method: String, keepAlive: Bool) -> Bool {
        var head = "HTTP/1.1 \(status) \(ServerResponse.reason(status))\r\n"
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
