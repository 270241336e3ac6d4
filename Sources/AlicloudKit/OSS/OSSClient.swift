import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Where OSS requests go. Real endpoints use virtual-hosted URLs
/// (`https://<bucket>.oss-<region>.aliyuncs.com/<key>`); an override whose host is an IP
/// address or `localhost` (the emulator) uses path-style URLs
/// (`http://127.0.0.1:PORT/<bucket>/<key>`), as the official SDKs do for such hosts.
/// Signatures do not depend on the addressing, so one server can accept both.
public struct OSSEndpoint: Sendable, Equatable {
    /// `https` or `http`.
    public var scheme: String
    /// The service host with an optional port: `oss-cn-hangzhou.aliyuncs.com`, `127.0.0.1:9000`.
    public var host: String
    /// Path-style addressing (bucket in the path, not the host name).
    public var pathStyle: Bool

    /// Makes an endpoint.
    public init(scheme: String = "https", host: String, pathStyle: Bool = false) {
        self.scheme = scheme
        self.host = host
        self.pathStyle = pathStyle
    }

    /// The public endpoint of a region (`oss-<region>.aliyuncs.com`, HTTPS).
    public static func region(_ region: String, internalNetwork: Bool = false) -> OSSEndpoint {
        OSSEndpoint(host: "oss-\(region)\(internalNetwork ? "-internal" : "").aliyuncs.com")
    }

    /// An override URL (`--oss-endpoint`, `ALICLOUD_OSS_ENDPOINT`): `http(s)://host[:port]`
    /// or a bare host (HTTPS); IP and `localhost` hosts get path-style addressing.
    public static func parse(_ text: String) throws -> OSSEndpoint {
        var scheme = "https"
        var rest = Substring(text)
        if let r = text.rangeOfText("://") {
            scheme = text[..<r.lowerBound].lowercased()
            rest = text[r.upperBound...]
        }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard scheme == "http" || scheme == "https", !rest.isEmpty, !rest.contains("/"), !rest.contains("?") else {
            throw ToolError.usage("oss endpoint \(text): expected http(s)://host[:port]")
        }
        let host = String(rest)
        var name = host
        if name.hasPrefix("[") { name = String(name.dropFirst().prefix { $0 != "]" }) }
        else if let colon = name.lastIndex(of: ":") { name = String(name[..<colon]) }
        let isIP = name == "localhost" || name.contains(":")
            || name.split(separator: ".").count == 4 && name.split(separator: ".").allSatisfy { UInt8($0) != nil }
        return OSSEndpoint(scheme: scheme, host: host, pathStyle: isIP)
    }

    /// The URL of a bucket/object request with an encoded query string.
    public func url(bucket: String?, key: String?, query: [(String, String)]) -> String {
        var url = "\(scheme)://"
        var path = "/"
        if let bucket {
            if pathStyle {
                url += host
                path += bucket + "/"
            } else {
                url += "\(bucket).\(host)"
            }
            if let key { path += PercentEncoding.encode(key, keepSlash: true) }
        } else {
            url += host
        }
        url += path
        if !query.isEmpty {
            url += "?" + query.map { $0.1.isEmpty ? PercentEncoding.encode($0.0) : "\(PercentEncoding.encode($0.0))=\(PercentEncoding.encode($0.1))" }
                .joined(separator: "&")
        }
        return url
    }
}

/// AccessKey credentials for OSS (the STS token is sent and signed when present).
public struct OSSCredentials: Sendable {
    /// The AccessKey id.
    public var accessKeyId: String
    /// The AccessKey secret (never printed).
    public var accessKeySecret: String
    /// The STS security token, if the key is temporary.
    public var securityToken: String?

    /// Makes credentials and registers the secrets for redaction.
    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken?.isEmpty == true ? nil : securityToken
        Secrets.register(accessKeySecret)
        Secrets.register(self.securityToken)
    }
}

/// An error answer from OSS: HTTP status and the `<Error>` document's fields.
public struct OSSError: Error, CustomStringConvertible, Sendable {
    /// The HTTP status.
    public var status: Int
    /// `Code` (`NoSuchBucket`, `InvalidDigest`, ...), or `HTTP<status>` without a body.
    public var code: String
    /// `Message`.
    public var message: String
    /// `RequestId` (or the `x-oss-request-id` header).
    public var requestId: String

    /// `http 404: NoSuchBucket: The specified bucket does not exist. (request id ...)`.
    public var description: String {
        var s = "http \(status): \(code)"
        if !message.isEmpty { s += ": \(message)" }
        if !requestId.isEmpty { s += " (request \(requestId))" }
        return s
    }

    /// The exit status this error means.
    public var exitStatus: ExitStatus {
        switch (status, code) {
        case (_, "InvalidAccessKeyId"), (_, "SignatureDoesNotMatch"), (_, "AccessDenied"), (_, "InvalidSecurityToken"),
             (_, "SecurityTokenExpired"):
            return .noPermission
        case (500..<600, _), (_, "RequestTimeTooSkewed"): return .tempFail
        default: return .failed
        }
    }

    /// As a `ToolError` with a context.
    public func toolError(_ context: String) -> ToolError { ToolError(exitStatus, "\(context): \(description)") }

    /// Reads an error response.
    public init(response: HTTPResponse) {
        status = response.status
        let doc = XMLTree.parse(response.body)
        code = doc?["Code"] ?? "HTTP\(response.status)"
        message = doc?["Message"] ?? ""
        requestId = doc?["RequestId"] ?? response.header("x-oss-request-id") ?? ""
    }

    /// Makes an error.
    public init(status: Int, code: String, message: String = "", requestId: String = "") {
        self.status = status
        self.code = code
        self.message = message
        self.requestId = requestId
    }
}

/// Which OSS signature to send.
public enum OSSSignatureVersion: String, Sendable {
    /// `OSS ak:sig` (HMAC-SHA1).
    case v1
    /// `OSS4-HMAC-SHA256` (the current SDKs' default).
    case v4
}

/// One part of a multipart upload as OSS lists it.
public struct OSSPart: Sendable, Equatable {
    /// 1–10000.
    public var number: Int
    /// The ETag without quotes (uppercase hex MD5 of the part).
    public var etag: String
    /// The size in bytes.
    public var size: Int64
    /// The part's CRC-64, when reported.
    public var crc64: UInt64?

    /// Makes a part record.
    public init(number: Int, etag: String, size: Int64, crc64: UInt64?) {
        self.number = number
        self.etag = etag
        self.size = size
        self.crc64 = crc64
    }
}

/// What HeadObject reports.
public struct OSSObjectInfo: Sendable, Equatable {
    /// Content-Length.
    public var size: Int64
    /// ETag without quotes.
    public var etag: String
    /// `x-oss-hash-crc64ecma`.
    public var crc64: UInt64?
    /// `x-oss-object-type`.
    public var type: String
}

/// A hand-written OSS client on the libcurl HTTP layer. Thread-safe: each call borrows a
/// connection from a small pool, so parallel part uploads run on separate connections.
public final class OSSClient: @unchecked Sendable {
    /// Where requests go.
    public let endpoint: OSSEndpoint
    /// The region (V4 signing scope, bucket location check).
    public let region: String
    /// The signature sent.
    public let signatureVersion: OSSSignatureVersion
    /// Attempts for a request that fails with a transport error or a 5xx answer.
    public var attempts = 3
    /// Called with each request line for `--debug` (never with secrets).
    public var trace: ((String) -> Void)?
    let credentials: OSSCredentials
    let options: HTTPOptions
    private let lock = Lock()
    private var idle: [HTTPClient] = []
    let now: () -> Date

    /// Makes a client. `options.timeout` applies to each request, including part uploads.
    public init(endpoint: OSSEndpoint, region: String, credentials: OSSCredentials,
                signatureVersion: OSSSignatureVersion = .v4, options: HTTPOptions = HTTPOptions(),
                now: @escaping () -> Date = Date.init) {
        self.endpoint = endpoint
        self.region = region
        self.credentials = credentials
        self.signatureVersion = signatureVersion
        self.options = options
        self.now = now
    }

    private func borrow() -> HTTPClient {
        lock.lock()
        defer { lock.unlock() }
        return idle.popLast() ?? HTTPClient(options: options)
    }

    private func giveBack(_ client: HTTPClient) {
        lock.lock()
        idle.append(client)
        lock.unlock()
    }

    /// Signs the request's headers in place (adds Date / x-oss-date, token, Authorization).
    public func sign(method: String, bucket: String?, key: String?, query: [(String, String)],
                     headers: inout [(name: String, value: String)]) {
        let date = now()
        if let token = credentials.securityToken { headers.append(("x-oss-security-token", token)) }
        switch signatureVersion {
        case .v1:
            headers.append(("Date", OSSSignature.httpDate(date)))
            let input = OSSCanonicalInput(method: method, bucket: bucket, key: key, query: query,
                                          headers: headers.map { ($0.name, $0.value) })
            headers.append(("Authorization", OSSSignature.v1Authorization(
                input, accessKeyId: credentials.accessKeyId, secret: credentials.accessKeySecret)))
        case .v4:
            headers.append(("x-oss-date", OSSSignature.v4Timestamp(date)))
            headers.append(("x-oss-content-sha256", "UNSIGNED-PAYLOAD"))
            let input = OSSCanonicalInput(method: method, bucket: bucket, key: key, query: query,
                                          headers: headers.map { ($0.name, $0.value) })
            headers.append(("Authorization", OSSSignature.v4Authorization(
                input, accessKeyId: credentials.accessKeyId, secret: credentials.accessKeySecret, region: region)))
        }
    }

    /// Sends one signed request, retrying transport failures and 5xx answers; a non-2xx
    /// final answer throws `OSSError`.
    public func send(_ method: String, bucket: String?, key: String? = nil, query: [(String, String)] = [],
                     headers: [(name: String, value: String)] = [], body: HTTPBody = .none) throws -> HTTPResponse {
        var headers = headers
        // libcurl would add a form Content-Type to a POST: say it, so it is signed.
        if method == "POST" && !headers.contains(where: { $0.name.lowercased() == "content-type" }) {
            headers.append(("Content-Type", "application/octet-stream"))
        }
        var attempt = 0
        while true {
            attempt += 1
            var signed = headers
            sign(method: method, bucket: bucket, key: key, query: query, headers: &signed)
            let url = endpoint.url(bucket: bucket, key: key, query: query)
            trace?("\(method) \(HTTPClient.redactedURL(url))\(query.isEmpty ? "" : "?" + query.map { $0.0 }.joined(separator: "&"))")
            let client = borrow()
            let response: HTTPResponse
            do {
                response = try client.send(HTTPRequest(method: method, url: url, headers: signed, body: body))
                giveBack(client)
            } catch let error as ToolError where (error.status == .unavailable || error.status == .tempFail) && attempt < attempts {
                retryPause(attempt)
                continue
            }
            if response.isSuccess { return response }
            let error = OSSError(response: response)
            if error.status >= 500 && attempt < attempts {
                retryPause(attempt)
                continue
            }
            throw error
        }
    }

    private func retryPause(_ attempt: Int) {
        sleepSeconds(min(20, 0.2 * pow(2, Double(attempt - 1))))
    }

    // MARK: buckets

    /// PutBucket (private ACL, Standard storage).
    public func putBucket(_ bucket: String) throws {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CreateBucketConfiguration><StorageClass>Standard</StorageClass></CreateBucketConfiguration>"
        _ = try send("PUT", bucket: bucket, headers: [("Content-Type", "application/xml"), ("x-oss-acl", "private")],
                     body: .bytes(Array(body.utf8)))
    }

    /// GetBucketInfo: the bucket's location (`oss-cn-hangzhou`).
    public func bucketLocation(_ bucket: String) throws -> String {
        let response = try send("GET", bucket: bucket, query: [("bucketInfo", "")])
        guard let doc = XMLTree.parse(response.body), let location = doc.child("Bucket")?["Location"] else {
            throw ToolError.failed("bucket \(bucket): unreadable GetBucketInfo answer")
        }
        return location
    }

    // MARK: objects

    /// PutObject from a file range with its Content-MD5; returns the ETag and CRC-64 OSS reports.
    public func putObject(bucket: String, key: String, body: HTTPBody, contentMD5: String?) throws -> (etag: String, crc64: UInt64?) {
        var headers: [(name: String, value: String)] = [("Content-Type", "application/octet-stream")]
        if let contentMD5 { headers.append(("Content-MD5", contentMD5)) }
        let r = try send("PUT", bucket: bucket, key: key, headers: headers, body: body)
        return (unquote(r.header("ETag") ?? ""), r.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) })
    }

    /// HeadObject; nil when the object does not exist.
    public func headObject(bucket: String, key: String) throws -> OSSObjectInfo? {
        do {
            let r = try send("HEAD", bucket: bucket, key: key)
            return OSSObjectInfo(size: Int64(r.header("Content-Length") ?? "") ?? 0, etag: unquote(r.header("ETag") ?? ""),
                                 crc64: r.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) },
                                 type: r.header("x-oss-object-type") ?? "")
        } catch let error as OSSError where error.status == 404 {
            return nil
        }
    }

    /// DeleteObject (success also when it is already gone).
    public func deleteObject(bucket: String, key: String) throws {
        _ = try send("DELETE", bucket: bucket, key: key)
    }

    // MARK: multipart

    /// InitiateMultipartUpload: the upload id.
    public func initiateMultipartUpload(bucket: String, key: String) throws -> String {
        let r = try send("POST", bucket: bucket, key: key, query: [("uploads", "")])
        guard let id = XMLTree.parse(r.body)?["UploadId"], !id.isEmpty else {
            throw ToolError.failed("oss://\(bucket)/\(key): no UploadId in the InitiateMultipartUpload answer")
        }
        return id
    }

    /// UploadPart from a file range with its Content-MD5; returns the ETag and part CRC-64.
    public func uploadPart(bucket: String, key: String, uploadId: String, number: Int, body: HTTPBody,
                           contentMD5: String) throws -> (etag: String, crc64: UInt64?) {
        let r = try send("PUT", bucket: bucket, key: key, query: [("partNumber", String(number)), ("uploadId", uploadId)],
                         headers: [("Content-MD5", contentMD5)], body: body)
        return (unquote(r.header("ETag") ?? ""), r.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) })
    }

    /// CompleteMultipartUpload with parts in ascending order; returns the whole object's CRC-64.
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [OSSPart]) throws -> UInt64? {
        let doc = XMLTree(name: "CompleteMultipartUpload", children: parts.sorted { $0.number < $1.number }.map {
            XMLTree(name: "Part", children: [XMLTree(name: "PartNumber", text: String($0.number)),
                                             XMLTree(name: "ETag", text: "\"\($0.etag)\"")])
        })
        let r = try send("POST", bucket: bucket, key: key, query: [("uploadId", uploadId)],
                         headers: [("Content-Type", "application/xml")], body: .bytes(Array(doc.serialized().utf8)))
        return r.header("x-oss-hash-crc64ecma").flatMap { UInt64($0) }
    }

    /// AbortMultipartUpload (success also when the upload is already gone).
    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) throws {
        do {
            _ = try send("DELETE", bucket: bucket, key: key, query: [("uploadId", uploadId)])
        } catch let error as OSSError where error.code == "NoSuchUpload" {
        }
    }

    /// ListParts, every page; nil when the upload does not exist (completed or aborted).
    public func listParts(bucket: String, key: String, uploadId: String) throws -> [OSSPart]? {
        var parts: [OSSPart] = []
        var marker = 0
        while true {
            var query = [("max-parts", "1000"), ("uploadId", uploadId)]
            if marker > 0 { query.append(("part-number-marker", String(marker))) }
            let r: HTTPResponse
            do {
                r = try send("GET", bucket: bucket, key: key, query: query)
            } catch let error as OSSError where error.code == "NoSuchUpload" {
                return nil
            }
            guard let doc = XMLTree.parse(r.body) else { throw ToolError.failed("oss://\(bucket)/\(key): unreadable ListParts answer") }
            for p in doc.all("Part") {
                guard let n = Int(p["PartNumber"] ?? ""), let size = Int64(p["Size"] ?? "") else { continue }
                parts.append(OSSPart(number: n, etag: unquote(p["ETag"] ?? ""), size: size,
                                     crc64: (p["HashCrc64ecma"]).flatMap { UInt64($0) }))
            }
            guard doc["IsTruncated"] == "true", let next = Int(doc["NextPartNumberMarker"] ?? ""), next > marker else { break }
            marker = next
        }
        return parts
    }
}

/// An ETag without its quotes.
func unquote(_ s: String) -> String {
    var t = Substring(s)
    if t.hasPrefix("\"") { t = t.dropFirst() }
    if t.hasSuffix("\"") { t = t.dropLast() }
    return String(t)
}
