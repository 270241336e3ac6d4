import CCurl
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 client on libcurl: one easy handle reused (keep-alive), millisecond
/// timeouts, streamed file bodies with exact Content-Length, custom CA / insecure TLS,
/// proxies from the environment. Calls are serialised by a lock, so one client may be
/// shared, but concurrent transfers need one client each.
public final class HTTPClient: @unchecked Sendable {
    /// The settings for every request.
    public let options: HTTPOptions
    private let handle: UnsafeMutableRawPointer
    private let lock = Lock()
    private let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)

    private static let globalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

    /// Makes a client; fails only if libcurl cannot start.
    public init(options: HTTPOptions = HTTPOptions()) {
        _ = HTTPClient.globalInit
        self.options = options
        guard let h = curl_easy_init() else { fatalError("libcurl: curl_easy_init failed") }
        handle = h
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    /// Sends a request and returns the response. With a `sink`, a 2xx body is handed to it
    /// in pieces instead of being kept (large downloads); other bodies are kept (≤ 4 MiB).
    /// Transport failures throw `ToolError`: 69 (unreachable, DNS, TLS, reset) or 75 (timeout).
    public func send(_ request: HTTPRequest, sink: ((UnsafeRawBufferPointer) throws -> Void)? = nil) throws -> HTTPResponse {
        try perform(request, sink: sink.map { body in { piece, _ in try body(piece) } })
    }

    /// Streams a 2xx body into `sink`, which also receives the length the final response
    /// announced (Content-Length), when it did: a download with progress. Other bodies are
    /// kept in the response, as `send` does.
    public func download(_ request: HTTPRequest, sink: @escaping (UnsafeRawBufferPointer, Int64?) throws -> Void) throws -> HTTPResponse {
        try perform(request, sink: sink)
    }

    private func perform(_ request: HTTPRequest, sink: ((UnsafeRawBufferPointer, Int64?) throws -> Void)?) throws -> HTTPResponse {
        lock.lock()
        defer { lock.unlock() }
        let transfer = try Transfer(request: request, sink: sink)
        defer { transfer.close() }
        curl_easy_reset(handle)
        errorBuffer[0] = 0
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }

        try setup(request, transfer: transfer, headerList: &headerList)
        let rc = curl_easy_perform(handle)
        if let error = transfer.sinkError { throw error }
        if rc != CURLE_OK { throw transportError(rc, url: request.url) }
        var status = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
        return HTTPResponse(status: status, headers: transfer.headers, body: transfer.bodyBytes)
    }

    private func check(_ rc: CURLcode, _ what: String) throws {
        if rc != CURLE_OK {
            throw ToolError(.software, "libcurl: \(what): \(String(cString: curl_easy_strerror(rc)))")
        }
    }

    private func setup(_ request: HTTPRequest, transfer: Transfer, headerList: inout UnsafeMutablePointer<curl_slist>?) throws {
        let h = handle
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        try check(ccurl_set_error_buffer(h, errorBuffer), "error buffer")
        try check(ccurl_setopt_str(h, CURLOPT_URL, request.url), "url")
        try check(ccurl_setopt_long(h, CURLOPT_NOSIGNAL, 1), "nosignal")
        try check(ccurl_setopt_long(h, CURLOPT_TCP_NODELAY, 1), "nodelay")
        try check(ccurl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000)), "connect timeout")
        if let t = options.timeout, t > 0 {
            try check(ccurl_setopt_long(h, CURLOPT_TIMEOUT_MS, max(1, Int(t * 1000))), "timeout")
        }
        try check(ccurl_setopt_str(h, CURLOPT_USERAGENT, options.userAgent), "user agent")
        try check(ccurl_setopt_long(h, CURLOPT_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)), "protocols")
        if options.followRedirects {
            try check(ccurl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 1), "follow redirects")
            try check(ccurl_setopt_long(h, CURLOPT_MAXREDIRS, 10), "redirect limit")
            try check(ccurl_setopt_long(h, CURLOPT_REDIR_PROTOCOLS, Int(CURLPROTO_HTTP | CURLPROTO_HTTPS)), "redirect protocols")
        }
        if let stall = options.stallTimeout, stall > 0 {
            try check(ccurl_setopt_long(h, CURLOPT_LOW_SPEED_LIMIT, 1), "low speed limit")
            try check(ccurl_setopt_long(h, CURLOPT_LOW_SPEED_TIME, max(1, Int(stall))), "low speed time")
        }
        if let ca = options.caFile { try check(ccurl_setopt_str(h, CURLOPT_CAINFO, ca), "ca file") }
        if options.insecure {
            try check(ccurl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 0), "verify peer")
            try check(ccurl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 0), "verify host")
        }
        try applyProxy(url: request.url)

        try check(ccurl_set_write_function(h, writeCallback, context), "write function")
        try check(ccurl_set_header_function(h, headerCallback, context), "header function")

        let method = request.method.uppercased()
        let length = request.body.length
        switch method {
        case "GET" where request.body == .none:
            try check(ccurl_setopt_long(h, CURLOPT_HTTPGET, 1), "get")
        case "HEAD":
            try check(ccurl_setopt_long(h, CURLOPT_NOBODY, 1), "head")
        case "POST":
            try check(ccurl_setopt_long(h, CURLOPT_POST, 1), "post")
            try check(ccurl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(length)), "post size")
            try check(ccurl_set_read_function(h, readCallback, context), "read function")
        default:
            if request.body != .none || method == "PUT" {
                try check(ccurl_setopt_long(h, CURLOPT_UPLOAD, 1), "upload")
                try check(ccurl_setopt_off(h, CURLOPT_INFILESIZE_LARGE, curl_off_t(length)), "upload size")
                try check(ccurl_set_read_function(h, readCallback, context), "read function")
                try check(ccurl_setopt_long(h, CURLOPT_UPLOAD_BUFFERSIZE, 512 * 1024), "upload buffer")
            }
            if method != "PUT" && method != "GET" {
                try check(ccurl_setopt_str(h, CURLOPT_CUSTOMREQUEST, method), "method")
            }
        }

        // No `Expect: 100-continue` round trip; the caller's headers as given.
        headerList = curl_slist_append(headerList, "Expect:")
        for (name, value) in request.headers {
            // "Name;" sends an empty value; "Name:" would remove the header.
            headerList = curl_slist_append(headerList, value.isEmpty ? "\(name);" : "\(name): \(value)")
        }
        try check(ccurl_set_headers(h, headerList), "headers")
    }

    /// libcurl reads lowercase `http_proxy` only (uppercase is ignored for http:// by
    /// design) and uppercase `HTTPS_PROXY`/`NO_PROXY` inconsistently: pass them explicitly.
    private func applyProxy(url: String) throws {
        let env = options.environment
        func first(_ names: String...) -> String? {
            for n in names { if let v = env.map({ $0[n] }) ?? ProcessEnvironment.value(n), !v.isEmpty { return v } }
            return nil
        }
        let https = url.lowercased().hasPrefix("https:")
        let proxy = https ? first("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
            : first("http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY")
        if let proxy { try check(ccurl_setopt_str(handle, CURLOPT_PROXY, proxy), "proxy") }
        if let noProxy = first("no_proxy", "NO_PROXY") {
            try check(ccurl_setopt_str(handle, CURLOPT_NOPROXY, noProxy), "no proxy")
        }
    }

    private func transportError(_ rc: CURLcode, url: String) -> ToolError {
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(rc))
        let target = HTTPClient.redactedURL(url)
        switch rc {
        case CURLE_OPERATION_TIMEDOUT:
            return ToolError(.tempFail, "\(target): timed out: \(detail)")
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return ToolError(.usage, "\(target): bad URL: \(detail)")
        default:
            return ToolError(.unavailable, "\(target): \(detail)")
        }
    }

    /// The URL without its query (which may carry signed parameters).
    public static func redactedURL(_ url: String) -> String {
        if let q = url.firstIndex(of: "?") { return String(url[..<q]) }
        return url
    }
}

/// The per-request state the C callbacks reach through their context pointer.
final class Transfer {
    let body: HTTPBody
    let sink: ((UnsafeRawBufferPointer, Int64?) throws -> Void)?
    var headers: [(name: String, value: String)] = []
    var status = 0
    /// The Content-Length of the response being received, when it gave one.
    var announced: Int64?
    var bodyBytes: [UInt8] = []
    var sinkError: Error?
    var fd: Int32 = -1
    var sent: Int64 = 0
    static let keptBodyLimit = 4 << 20

    init(request: HTTPRequest, sink: ((UnsafeRawBufferPointer, Int64?) throws -> Void)?) throws {
        body = request.body
        self.sink = sink
        if case .file(let path, _, _) = request.body {
            fd = open(path, O_RDONLY | O_CLOEXEC)
            if fd < 0 { throw ToolError(.noInput, "\(path): \(errnoText())") }
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd); fd = -1 }
    }
}

private func transferFrom(_ context: UnsafeMutableRawPointer?) -> Transfer {
    Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
}

private let writeCallback: ccurl_data_callback = { buffer, size, count, context in
    let t = transferFrom(context)
    let n = size * count
    guard let buffer, n > 0 else { return n }
    let raw = UnsafeRawBufferPointer(start: buffer, count: n)
    if let sink = t.sink, (200..<300).contains(t.status) {
        do { try sink(raw, t.announced) } catch {
            t.sinkError = error
            return 0
        }
    } else if t.bodyBytes.count < Transfer.keptBodyLimit {
        t.bodyBytes.append(contentsOf: raw.prefix(Transfer.keptBodyLimit - t.bodyBytes.count))
    }
    return n
}

private let headerCallback: ccurl_data_callback = { buffer, size, count, context in
    let t = transferFrom(context)
    let n = size * count
    guard let buffer, n > 0 else { return n }
    var raw = UnsafeRawBufferPointer(start: buffer, count: n)[...]
    while let last = raw.last, last == 0x0a || last == 0x0d { raw = raw.dropLast() }
    let line = String(decoding: raw, as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        // A new status line (after 100 Continue or a proxy CONNECT): start over.
        t.headers = []
        t.announced = nil
        let parts = line.split(separator: " ")
        t.status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        let name = String(line[..<colon])
        let value = String(line[line.index(after: colon)...]).trimmingSpaces
        t.headers.append((name, value))
        if name.lowercased() == "content-length" { t.announced = Int64(value) }
    }
    return n
}

private let readCallback: ccurl_data_callback = { buffer, size, count, context in
    let t = transferFrom(context)
    guard let buffer else { return 0 }
    let room = size * count
    let remaining = t.body.length - t.sent
    let want = Int(min(Int64(room), remaining))
    if want <= 0 { return 0 }
    switch t.body {
    case .none:
        return 0
    case .bytes(let bytes):
        bytes.withUnsafeBytes { src in
            UnsafeMutableRawPointer(buffer).copyMemory(from: src.baseAddress! + Int(t.sent), byteCount: want)
        }
        t.sent += Int64(want)
        return want
    case .file(let path, let offset, _):
        while true {
            let got = pread(t.fd, buffer, want, off_t(offset + t.sent))
            if got < 0 && errno == EINTR { continue }
            if got <= 0 {
                // A file that shrank or failed mid-upload: abort rather than send short.
                t.sinkError = ToolError(.noInput, "\(path): ended before the announced length (\(t.body.length) bytes)")
                return Int(CURL_READFUNC_ABORT)
            }
            t.sent += Int64(got)
            return got
        }
    }
}
