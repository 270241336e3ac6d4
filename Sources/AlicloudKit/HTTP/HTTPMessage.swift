import FoundationEssentials

/// What a request sends after its headers.
public enum HTTPBody: Sendable, Equatable {
    /// No body.
    case none
    /// Bytes held in memory.
    case bytes([UInt8])
    /// `length` bytes of a file from `offset`, streamed with an exact Content-Length
    /// and bounded memory (OSS parts).
    case file(path: String, offset: Int64, length: Int64)

    /// The body length in bytes.
    public var length: Int64 {
        switch self {
        case .none: return 0
        case .bytes(let b): return Int64(b.count)
        case .file(_, _, let n): return n
        }
    }
}

/// One HTTP request.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`, `PUT`, `HEAD`, `DELETE`, ...
    public var method: String
    /// The absolute URL, already percent-encoded.
    public var url: String
    /// Header fields in order (names as sent).
    public var headers: [(name: String, value: String)]
    /// The body.
    public var body: HTTPBody

    /// Makes a request.
    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: HTTPBody = .none) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Adds a header field.
    public mutating func addHeader(_ name: String, _ value: String) { headers.append((name, value)) }

    /// The `Authorization` value for HTTP Basic authentication.
    public static func basicAuthorization(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

/// One HTTP response.
public struct HTTPResponse: Sendable {
    /// The status code (200, 404, ...).
    public var status: Int
    /// Header fields in order, as received.
    public var headers: [(name: String, value: String)]
    /// The body (empty when it was streamed into a sink).
    public var body: [UInt8]

    /// Makes a response.
    public init(status: Int, headers: [(name: String, value: String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The last value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.name.lowercased() == lower }?.value
    }

    /// The body as text (invalid UTF-8 replaced).
    public var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// Whether the status is 2xx.
    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// Connection settings shared by every request of one client.
public struct HTTPOptions: Sendable {
    /// Seconds to establish the TCP (and TLS) connection; sub-second values work.
    public var connectTimeout: Double = 10
    /// Seconds for the whole exchange, or nil for no limit (large transfers).
    public var timeout: Double? = 60
    /// A PEM bundle of CA certificates to trust instead of the system store.
    public var caFile: String?
    /// Skip certificate and host name verification (explicit opt-in only).
    public var insecure = false
    /// Follow redirects (up to 10, to http and https only): downloads from mirrors.
    public var followRedirects = false
    /// Seconds a transfer may move no byte before it fails as timed out, or nil (no check).
    public var stallTimeout: Double?
    /// `User-Agent` header.
    public var userAgent = "alicloud-image-tools/1.0"
    /// The environment to read proxy settings from (tests pass their own); nil reads the
    /// process's own, one variable at a time, when a request is made.
    public var environment: [String: String]?

    /// Defaults: 10 s connect, 60 s total, system trust store.
    public init() {}
}
