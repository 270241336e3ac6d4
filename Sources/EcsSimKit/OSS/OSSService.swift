import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The OSS side of the emulator: buckets and objects as files under `root`, bodies streamed
/// to disk (never held in memory), Content-MD5 and CRC-64 checks, signature V1/V4 checked
/// against the emulator's keys, and OSS's error documents.
///
/// Layout: `root/<bucket>/bucket.json`, `root/<bucket>/objects/<sha256(key)>.{data,json}`,
/// `root/<bucket>/uploads/<uploadId>/{upload.json,<n>.part,<n>.json}`.
public final class OSSService: @unchecked Sendable {
    /// Where buckets live.
    public let root: URL
    /// AccessKey id → secret.
    let credentials: [String: String]
    /// The region of path-style requests whose signature names none (V1).
    public let defaultRegion: String
    /// Whether to reject requests whose date is more than 15 minutes off.
    public var checkClockSkew = true
    /// Fault injection for tests: a request for which this returns an answer gets that
    /// answer instead (its body left unread).
    public var interceptRequest: (@Sendable (OSSRequest) -> OSSResponse?)?
    /// Fault injection for tests: rewrites an answer before it is sent.
    public var rewriteResponse: (@Sendable (OSSRequest, OSSResponse) -> OSSResponse)?
    private let lock = Lock()
    private var requestCounter = 0

    /// Opens (and creates) the store at `root`; `credentials` maps AccessKey ids to secrets.
    public init(root: URL, credentials: [String: String], defaultRegion: String = "cn-hangzhou") throws {
        self.root = root
        self.credentials = credentials
        self.defaultRegion = defaultRegion
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    // MARK: routing

    /// Whether a request is for OSS rather than the RPC API, for a server that shares a port:
    /// an OSS host name (`<bucket>.oss-<region>.aliyuncs.com`, `oss-<region>.aliyuncs.com`),
    /// or an `OSS ` / `OSS4-HMAC-SHA256` Authorization header.
    public static func isOSSRequest(target: String, headers: [(String, String)]) -> Bool {
        let host = headers.last { $0.0.lowercased() == "host" }?.1 ?? ""
        if parseHost(host) != nil { return true }
        let auth = headers.last { $0.0.lowercased() == "authorization" }?.1 ?? ""
        return auth.hasPrefix("OSS ") || auth.hasPrefix("OSS4-HMAC-SHA256 ")
    }

    /// `(bucket?, region)` from an OSS host name, nil for any other host.
    static func parseHost(_ hostHeader: String) -> (bucket: String?, region: String)? {
        var host = hostHeader.lowercased()
        if let colon = host.lastIndex(of: ":"), !host.hasSuffix("]") { host = String(host[..<colon]) }
        guard host.hasSuffix(".aliyuncs.com") else { return nil }
        let labels = host.dropLast(".aliyuncs.com".count).split(separator: ".").map(String.init)
        func region(_ label: String) -> String? {
            guard label.hasPrefix("oss-") else { return nil }
            var r = String(label.dropFirst(4))
            if r.hasSuffix("-internal") { r = String(r.dropLast(9)) }
            return r.isEmpty ? nil : r
        }
        if labels.count == 1, let r = region(labels[0]) { return (nil, r) }
        if labels.count == 2, let r = region(labels[1]) { return (labels[0], r) }
        return nil
    }

    // MARK: handling

    /// Handles one request. Never throws: every failure becomes an OSS error answer.
    /// The body is read only as far as the operation needs; the server must close the
    /// connection if a body was left unread.
    public func handle(_ request: OSSRequest) -> OSSResponse {
        let requestId = nextRequestId()
        var response: OSSResponse
        do {
            if let injected = interceptRequest?(request) { return injected }
            response = try dispatch(request)
            if let rewrite = rewriteResponse { response = rewrite(request, response) }
        } catch let f as OSSFailure {
            response = errorResponse(f, requestId: requestId)
        } catch {
            response = errorResponse(OSSFailure(500, "InternalError", "\(error)"), requestId: requestId)
        }
        response.headers.append(("x-oss-request-id", requestId))
        response.headers.append(("Server", "AliyunOSS"))
        response.headers.append(("Date", OSSSignature.httpDate(Date())))
        return response
    }

    private func nextRequestId() -> String {
        lock.lock()
        requestCounter += 1
        let n = requestCounter
        lock.unlock()
        return cFormat("5F%022X", n)
    }

    /// An OSS error answer (`<Error>` document), e.g. for fault injection.
    public func errorAnswer(status: Int, code: String, message: String) -> OSSResponse {
        errorResponse(OSSFailure(status, code, message), requestId: nextRequestId())
    }

    private func errorResponse(_ f: OSSFailure, requestId: String) -> OSSResponse {
        var children = [XMLTree(name: "Code", text: f.code), XMLTree(name: "Message", text: f.message),
                        XMLTree(name: "RequestId", text: requestId), XMLTree(name: "HostId", text: "oss.ecs-sim")]
        children += f.extra.map { XMLTree(name: $0.0, text: $0.1) }
        children.append(XMLTree(name: "EC", text: "0000-00000000"))
        let doc = XMLTree(name: "Error", children: children)
        return OSSResponse(status: f.status, headers: [("Content-Type", "application/xml")], body: .bytes(Array(doc.serialized().utf8)))
    }

    struct Parsed {
        var bucket: String?
        var key: String?
        var query: [(String, String)]
        var region: String
        func has(_ name: String) -> Bool { query.contains { $0.0 == name } }
        func value(_ name: String) -> String? { query.last { $0.0 == name }?.1 }
    }

    func parse(_ request: OSSRequest) throws -> Parsed {
        let target = request.target
        let pathPart: Substring
        var query: [(String, String)] = []
        if let q = target.firstIndex(of: "?") {
            pathPart = target[..<q]
            guard let pairs = PercentEncoding.parseQuery(String(target[target.index(after: q)...])) else {
                throw OSSFailure(400, "InvalidArgument", "malformed query string")
            }
            query = pairs
        } else {
            pathPart = Substring(target)
        }
        guard let path = PercentEncoding.decode(String(pathPart)), path.hasPrefix("/") else {
            throw OSSFailure(400, "InvalidURI", "malformed request path")
        }
        var region = defaultRegion
        var bucket: String?
        var key: String?
        let host = parseHost(request.header("Host") ?? "")
        if let host, let b = host.bucket {
            region = host.region
            bucket = b
            let k = String(path.dropFirst())
            key = k.isEmpty ? nil : k
        } else {
            if let host { region = host.region }
            let rest = path.dropFirst()
            if !rest.isEmpty {
                let slash = rest.firstIndex(of: "/")
                bucket = String(rest[..<(slash ?? rest.endIndex)])
                if let slash {
                    let k = String(rest[rest.index(after: slash)...])
                    key = k.isEmpty ? nil : k
                }
            }
        }
        if let auth = request.header("Authorization"), let v4 = OSSSignature.parseV4Authorization(auth), host == nil {
            region = v4.region
        }
        return Parsed(bucket: bucket, key: key, query: query, region: region)
    }

    private func parseHost(_ h: String) -> (bucket: String?, region: String)? { OSSService.parseHost(h) }

    func authenticate(_ request: OSSRequest, _ p: Parsed) throws {
        guard let auth = request.header("Authorization") else {
            throw OSSFailure(403, "AccessDenied", "You have no right to access this object because anonymous access is not allowed.")
        }
        let input = OSSCanonicalInput(method: request.method, bucket: p.bucket, key: p.key, query: p.query, headers: request.headers)
        let dateText: String?
        if auth.hasPrefix("OSS4-HMAC-SHA256 ") {
            guard let v4 = OSSSignature.parseV4Authorization(auth) else {
                throw OSSFailure(400, "InvalidArgument", "Authorization header is invalid.")
            }
            guard let secret = credentials[v4.accessKeyId] else {
                throw OSSFailure(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
            }
            guard let timestamp = request.header("x-oss-date"), timestamp.hasPrefix(v4.day) else {
                throw OSSFailure(400, "InvalidArgument", "x-oss-date is missing or does not match the credential scope.")
            }
            let cr = OSSSignature.v4CanonicalRequest(input, additionalHeaders: v4.additionalHeaders)
            let sts = OSSSignature.v4StringToSign(canonicalRequest: cr, timestamp: timestamp, region: v4.region)
            let expected = OSSSignature.v4Signature(stringToSign: sts, secret: secret, day: v4.day, region: v4.region)
            guard constantTimeEqual(Array(expected.utf8), Array(v4.signature.utf8)) else {
                throw OSSFailure(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.",
                                 extra: [("StringToSign", sts), ("CanonicalRequest", cr)])
            }
            dateText = timestamp
        } else if auth.hasPrefix("OSS "), let colon = auth.lastIndex(of: ":") {
            let ak = String(auth[auth.index(auth.startIndex, offsetBy: 4)..<colon])
            let signature = String(auth[auth.index(after: colon)...])
            guard let secret = credentials[ak] else {
                throw OSSFailure(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.")
            }
            let sts = OSSSignature.v1StringToSign(input)
            let expected = OSSSignature.v1Signature(stringToSign: sts, secret: secret)
            guard constantTimeEqual(Array(expected.utf8), Array(signature.utf8)) else {
                throw OSSFailure(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.",
                                 extra: [("StringToSign", sts)])
            }
            dateText = request.header("x-oss-date") ?? request.header("Date")
        } else {
            throw OSSFailure(400, "InvalidArgument", "Authorization header is invalid.")
        }
        if checkClockSkew {
            guard let text = dateText, let date = OSSSignature.parseDate(text) else {
                throw OSSFailure(403, "AccessDenied", "The request has no valid Date or x-oss-date header.")
            }
            if abs(date.timeIntervalSinceNow) > 900 {
                throw OSSFailure(403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.")
            }
        }
    }

    func dispatch(_ request: OSSRequest) throws -> OSSResponse {
        let p = try parse(request)
        try authenticate(request, p)
        guard let bucket = p.bucket else { throw OSSFailure(501, "NotImplemented", "service-level operations are not emulated") }
        let method = request.method.uppercased()
        if p.key == nil {
            switch method {
            case "PUT" where !p.has("acl"): return try putBucket(bucket, region: p.region)
            case "GET" where p.has("bucketInfo"): return try bucketInfo(bucket)
            case "GET" where p.has("location"): return try bucketLocation(bucket)
            case "GET" where p.has("uploads"): return try listUploads(bucket)
            case "DELETE": return try deleteBucket(bucket)
            default: throw OSSFailure(501, "NotImplemented", "\(method) on a bucket with this subresource is not emulated")
            }
        }
        let key = p.key!
        guard key.utf8.count <= 1023 else { throw OSSFailure(400, "InvalidObjectName", "The object name is too long.") }
        _ = try bucketRecord(bucket)
        switch method {
        case "PUT" where p.has("partNumber") || p.has("uploadId"):
            return try uploadPart(request, bucket: bucket, key: key, uploadId: p.value("uploadId") ?? "", partText: p.value("partNumber") ?? "")
        case "PUT":
            if request.header("x-oss-copy-source") != nil { throw OSSFailure(501, "NotImplemented", "CopyObject is not emulated") }
            return try putObject(request, bucket: bucket, key: key)
        case "POST" where p.has("uploads"): return try initiate(bucket: bucket, key: key)
        case "POST" where p.has("uploadId"): return try complete(request, bucket: bucket, key: key, uploadId: p.value("uploadId")!)
        case "DELETE" where p.has("uploadId"): return try abort(bucket: bucket, key: key, uploadId: p.value("uploadId")!)
        case "GET" where p.has("uploadId"): return try listParts(bucket: bucket, key: key, uploadId: p.value("uploadId")!, p)
        case "HEAD": return try headObject(bucket: bucket, key: key, head: true)
        case "GET" where p.has("objectMeta"): return try headObject(bucket: bucket, key: key, head: true)
        case "GET": return try headObject(bucket: bucket, key: key, head: false)
        case "DELETE": return try deleteObject(bucket: bucket, key: key)
        default: throw OSSFailure(501, "NotImplemented", "\(method) on an object with this subresource is not emulated")
        }
    }

    // MARK: paths and records

    func bucketDir(_ bucket: String) -> URL { root.appendingPathComponent(bucket, isDirectory: true) }

    func objectBase(_ bucket: String, _ key: String) -> URL {
        bucketDir(bucket).appendingPathComponent("objects", isDirectory: true)
            .appendingPathComponent(SHA256.hash(key).hexString)
    }

    func uploadDir(_ bucket: String, _ uploadId: String) -> URL {
        bucketDir(bucket).appendingPathComponent("uploads", isDirectory: true).appendingPathComponent(uploadId, isDirectory: true)
    }

    struct BucketRecord: Codable {
        var name: String
        var region: String
        var created: Double
    }

    struct ObjectRecord: Codable {
        var key: String
        var size: Int64
        var etag: String
        var crc64: UInt64
        var type: String
        var contentType: String
        var modified: Double
        var meta: [String: String]
        /// For a completed multipart upload: the sizes of its parts, which stay where they
        /// are (`<base>.parts/1`, `2`, ...) instead of being copied into one file.
        var segments: [Int64]? = nil
    }

    /// The files holding an object's bytes, in order, with their lengths: `<base>.data`, or
    /// the parts of a completed multipart upload.
    func segments(_ base: URL, _ r: ObjectRecord) -> [(URL, Int64)] {
        guard let sizes = r.segments else { return [(base.appendingPathExtension("data"), r.size)] }
        let dir = base.appendingPathExtension("parts")
        return sizes.enumerated().map { (dir.appendingPathComponent(String($0.offset + 1)), $0.element) }
    }

    struct UploadRecord: Codable {
        var key: String
        var initiated: Double
    }

    struct PartRecord: Codable {
        var number: Int
        var size: Int64
        var etag: String
        var md5: String
        var crc64: UInt64
        var modified: Double
    }

    func readJSON<T: Decodable>(_ type: T.Type, _ url: URL) -> T? {
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(type, from: data)
    }

    func writeJSON<T: Encodable>(_ value: T, _ url: URL) throws {
        let data = try JSONEncoder().encode(value)
        do { try writeFile(url.path, data) } catch { throw OSSFailure(500, "InternalError", "cannot store \(url.lastPathComponent)") }
    }

    func bucketRecord(_ bucket: String) throws -> BucketRecord {
        guard let record = readJSON(BucketRecord.self, bucketDir(bucket).appendingPathComponent("bucket.json")) else {
            throw OSSFailure(404, "NoSuchBucket", "The specified bucket does not exist.", extra: [("BucketName", bucket)])
        }
        return record
    }

    // MARK: buckets

    func putBucket(_ bucket: String, region: String) throws -> OSSResponse {
        let u = Array(bucket.utf8)
        let valid = (3...63).contains(u.count) && u.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 45 }
            && u.first != 45 && u.last != 45
        guard valid else { throw OSSFailure(400, "InvalidBucketName", "The specified bucket is not valid.", extra: [("BucketName", bucket)]) }
        lock.lock()
        defer { lock.unlock() }
        let dir = bucketDir(bucket)
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent("bucket.json").path) {
            throw OSSFailure(409, "BucketAlreadyExists", "The requested bucket name is not available.", extra: [("BucketName", bucket)])
        }
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("objects"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("uploads"), withIntermediateDirectories: true)
        try writeJSON(BucketRecord(name: bucket, region: region, created: Date().timeIntervalSince1970), dir.appendingPathComponent("bucket.json"))
        return OSSResponse(status: 200, headers: [("Location", "/\(bucket)")])
    }

    /// Creates a bucket directly (emulator setup, tests); an existing bucket is kept.
    public func createBucket(_ bucket: String, region: String) throws {
        do { _ = try putBucket(bucket, region: region) } catch let f as OSSFailure where f.code == "BucketAlreadyExists" {}
    }

    func bucketInfo(_ bucket: String) throws -> OSSResponse {
        let r = try bucketRecord(bucket)
        let created = SimTime.iso(r.created)
        let doc = XMLTree(name: "BucketInfo", children: [XMLTree(name: "Bucket", children: [
            XMLTree(name: "CreationDate", text: created),
            XMLTree(name: "ExtranetEndpoint", text: "oss-\(r.region).aliyuncs.com"),
            XMLTree(name: "IntranetEndpoint", text: "oss-\(r.region)-internal.aliyuncs.com"),
            XMLTree(name: "Location", text: "oss-\(r.region)"),
            XMLTree(name: "Name", text: r.name),
            XMLTree(name: "StorageClass", text: "Standard"),
            XMLTree(name: "DataRedundancyType", text: "LRS"),
            XMLTree(name: "Owner", children: [XMLTree(name: "ID", text: "ecs-sim"), XMLTree(name: "DisplayName", text: "ecs-sim")]),
            XMLTree(name: "AccessControlList", children: [XMLTree(name: "Grant", text: "private")]),
        ])])
        return xml(doc)
    }

    func bucketLocation(_ bucket: String) throws -> OSSResponse {
        xml(XMLTree(name: "LocationConstraint", text: "oss-\(try bucketRecord(bucket).region)"))
    }

    func deleteBucket(_ bucket: String) throws -> OSSResponse {
        _ = try bucketRecord(bucket)
        lock.lock()
        defer { lock.unlock() }
        let dir = bucketDir(bucket)
        let objects = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("objects").path)) ?? []
        let uploads = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("uploads").path)) ?? []
        guard objects.isEmpty && uploads.isEmpty else {
            throw OSSFailure(409, "BucketNotEmpty", "The bucket you tried to delete is not empty.", extra: [("BucketName", bucket)])
        }
        try FileManager.default.removeItem(at: dir)
        return OSSResponse(status: 204)
    }

    func listUploads(_ bucket: String) throws -> OSSResponse {
        _ = try bucketRecord(bucket)
        let dir = bucketDir(bucket).appendingPathComponent("uploads")
        var uploads: [(String, String, Double)] = []
        for id in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
            if let r = readJSON(UploadRecord.self, dir.appendingPathComponent(id).appendingPathComponent("upload.json")) {
                uploads.append((r.key, id, r.initiated))
            }
        }
        uploads.sort { $0.0 == $1.0 ? $0.2 < $1.2 : $0.0 < $1.0 }
        let doc = XMLTree(name: "ListMultipartUploadsResult", children: [
            XMLTree(name: "Bucket", text: bucket), XMLTree(name: "IsTruncated", text: "false"),
        ] + uploads.map { u in
            XMLTree(name: "Upload", children: [XMLTree(name: "Key", text: u.0), XMLTree(name: "UploadId", text: u.1),
                                               XMLTree(name: "Initiated", text: SimTime.iso(u.2))])
        })
        return xml(doc)
    }

    func xml(_ doc: XMLTree, status: Int = 200, headers: [(String, String)] = []) -> OSSResponse {
        OSSResponse(status: status, headers: [("Content-Type", "application/xml")] + headers, body: .bytes(Array(doc.serialized().utf8)))
    }

    // MARK: bodies

    /// Streams the request body into `file` while hashing; checks Content-Length and Content-MD5.
    func receive(_ request: OSSRequest, into file: URL) throws -> (size: Int64, md5: [UInt8], crc: UInt64) {
        guard let lengthText = request.header("Content-Length"), let length = Int64(lengthText), length >= 0 else {
            throw OSSFailure(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
        }
        guard length <= 5 * 1024 * 1024 * 1024 else {
            throw OSSFailure(400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.")
        }
        var expectedMD5: [UInt8]?
        if let text = request.header("Content-MD5") {
            guard let d = Data(base64Encoded: text), d.count == 16 else {
                throw OSSFailure(400, "InvalidDigest", "The Content-MD5 you specified is not valid.")
            }
            expectedMD5 = [UInt8](d)
        }
        let fd = open(file.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw OSSFailure(500, "InternalError", "cannot create \(file.lastPathComponent)") }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(file.path) }
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        var md5 = MD5()
        var crc = CRC64ECMA()
        var received: Int64 = 0
        while received < length {
            let want = Int(min(Int64(buffer.count), length - received))
            let n = try request.body?.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<want])) ?? 0
            if n <= 0 { throw OSSFailure(400, "IncompleteBody", "The request body is shorter than its Content-Length.") }
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<n])
            md5.update(chunk)
            crc.update(chunk)
            var written = 0
            while written < n {
                let w = write(fd, chunk.baseAddress! + written, n - written)
                if w < 0 {
                    if errno == EINTR { continue }
                    throw OSSFailure(500, "InternalError", "disk write failed: \(String(cString: strerror(errno)))")
                }
                written += w
            }
            received += Int64(n)
        }
        let digest = md5.finalize()
        if let expectedMD5, expectedMD5 != digest {
            throw OSSFailure(400, "InvalidDigest", "The Content-MD5 you specified did not match what we received.",
                             extra: [("ExpectedDigest", base64String(expectedMD5)), ("CalculatedDigest", base64String(digest))])
        }
        if let text = request.header("x-oss-hash-crc64ecma"), let claimed = UInt64(text), claimed != crc.value {
            throw OSSFailure(400, "InvalidDigest", "The CRC64 you specified did not match what we received.")
        }
        ok = true
        return (received, digest, crc.value)
    }

    // MARK: objects

    func putObject(_ request: OSSRequest, bucket: String, key: String) throws -> OSSResponse {
        let base = objectBase(bucket, key)
        let tmp = base.deletingLastPathComponent().appendingPathComponent(".put-\(UUID().uuidString)")
        let (size, md5, crc) = try receive(request, into: tmp)
        let etag = md5.hexString.uppercased()
        var meta: [String: String] = [:]
        for (name, value) in request.headers where name.lowercased().hasPrefix("x-oss-meta-") { meta[name.lowercased()] = value }
        let record = ObjectRecord(key: key, size: size, etag: etag, crc64: crc, type: "Normal",
                                  contentType: request.header("Content-Type") ?? "application/octet-stream",
                                  modified: Date().timeIntervalSince1970, meta: meta)
        try store(record, from: tmp, base: base, forbidOverwrite: request.header("x-oss-forbid-overwrite") == "true")
        return OSSResponse(status: 200, headers: [("ETag", "\"\(etag)\""), ("x-oss-hash-crc64ecma", String(crc)),
                                                   ("Content-MD5", base64String(md5))])
    }

    /// Installs an object: `tmp` (its data file, or for a record with segments the
    /// directory of its parts) and its record, replacing whatever the key held before.
    func store(_ record: ObjectRecord, from tmp: URL, base: URL, forbidOverwrite: Bool) throws {
        lock.lock()
        defer { lock.unlock() }
        let json = base.appendingPathExtension("json")
        if forbidOverwrite && FileManager.default.fileExists(atPath: json.path) {
            try? FileManager.default.removeItem(at: tmp)
            throw OSSFailure(409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")
        }
        let data = base.appendingPathExtension("data"), parts = base.appendingPathExtension("parts")
        let (target, other) = record.segments == nil ? (data, parts) : (parts, data)
        if record.segments != nil { try? FileManager.default.removeItem(at: parts) }  // rename needs an empty target
        guard rename(tmp.path, target.path) == 0 else {
            try? FileManager.default.removeItem(at: tmp)
            throw OSSFailure(500, "InternalError", "cannot store the object")
        }
        try writeJSON(record, json)
        try? FileManager.default.removeItem(at: other)
    }

    func objectRecord(_ bucket: String, _ key: String) -> ObjectRecord? {
        readJSON(ObjectRecord.self, objectBase(bucket, key).appendingPathExtension("json"))
    }

    func headObject(bucket: String, key: String, head: Bool) throws -> OSSResponse {
        guard let r = objectRecord(bucket, key) else {
            if head { return OSSResponse(status: 404, headers: [("Content-Length", "0")]) }
            throw OSSFailure(404, "NoSuchKey", "The specified key does not exist.", extra: [("Key", key)])
        }
        var headers: [(String, String)] = [
            ("Content-Type", r.contentType), ("ETag", "\"\(r.etag)\""), ("Last-Modified", HTTPDate.format(Date(timeIntervalSince1970: r.modified))),
            ("x-oss-hash-crc64ecma", String(r.crc64)), ("x-oss-object-type", r.type), ("x-oss-storage-class", "Standard"),
            ("Accept-Ranges", "bytes"),
        ]
        headers += r.meta.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        if head {
            headers.append(("Content-Length", String(r.size)))
            return OSSResponse(status: 200, headers: headers)
        }
        return OSSResponse(status: 200, headers: headers, body: .segments(segments(objectBase(bucket, key), r)))
    }

    func deleteObject(bucket: String, key: String) throws -> OSSResponse {
        lock.lock()
        defer { lock.unlock() }
        let base = objectBase(bucket, key)
        unlink(base.appendingPathExtension("json").path)
        unlink(base.appendingPathExtension("data").path)
        try? FileManager.default.removeItem(at: base.appendingPathExtension("parts"))
        return OSSResponse(status: 204)
    }

    // MARK: multipart

    func initiate(bucket: String, key: String) throws -> OSSResponse {
        let id = UUID().uuidString.replacingText("-", with: "")
        let dir = uploadDir(bucket, id)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try writeJSON(UploadRecord(key: key, initiated: Date().timeIntervalSince1970), dir.appendingPathComponent("upload.json"))
        return xml(XMLTree(name: "InitiateMultipartUploadResult", children: [
            XMLTree(name: "Bucket", text: bucket), XMLTree(name: "Key", text: key), XMLTree(name: "UploadId", text: id)]))
    }

    func upload(_ bucket: String, _ key: String, _ uploadId: String) throws -> URL {
        let valid = !uploadId.isEmpty && uploadId.utf8.allSatisfy { (48...57).contains($0) || (65...70).contains($0) || (97...102).contains($0) }
        let dir = uploadDir(bucket, uploadId)
        guard valid, let r = readJSON(UploadRecord.self, dir.appendingPathComponent("upload.json")), r.key == key else {
            throw OSSFailure(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
                             extra: [("UploadId", uploadId)])
        }
        return dir
    }

    func uploadPart(_ request: OSSRequest, bucket: String, key: String, uploadId: String, partText: String) throws -> OSSResponse {
        let dir = try upload(bucket, key, uploadId)
        guard let number = Int(partText), (1...10000).contains(number) else {
            throw OSSFailure(400, "InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive.")
        }
        // Received beside the uploads, not in this one's directory: an abort that runs
        // meanwhile removes the directory whole, and the rename below then finds it gone.
        let tmp = bucketDir(bucket).appendingPathComponent(".part-\(uploadId)-\(number)-\(UUID().uuidString)")
        let (size, md5, crc) = try receive(request, into: tmp)
        let etag = md5.hexString.uppercased()
        lock.lock()
        defer { lock.unlock() }
        guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("upload.json").path),
              rename(tmp.path, dir.appendingPathComponent("\(number).part").path) == 0 else {
            unlink(tmp.path)
            throw OSSFailure(404, "NoSuchUpload", "The specified upload does not exist.", extra: [("UploadId", uploadId)])
        }
        try writeJSON(PartRecord(number: number, size: size, etag: etag, md5: base64String(md5), crc64: crc,
                                 modified: Date().timeIntervalSince1970), dir.appendingPathComponent("\(number).json"))
        return OSSResponse(status: 200, headers: [("ETag", "\"\(etag)\""), ("x-oss-hash-crc64ecma", String(crc)),
                                                   ("Content-MD5", base64String(md5))])
    }

    func parts(_ dir: URL) -> [PartRecord] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".json") && $0 != "upload.json" && !$0.hasPrefix(".") }
            .compactMap { readJSON(PartRecord.self, dir.appendingPathComponent($0)) }
            .sorted { $0.number < $1.number }
    }

    func listParts(bucket: String, key: String, uploadId: String, _ p: Parsed) throws -> OSSResponse {
        let dir = try upload(bucket, key, uploadId)
        let marker = Int(p.value("part-number-marker") ?? "") ?? 0
        let maxParts = min(1000, max(1, Int(p.value("max-parts") ?? "") ?? 1000))
        let all = parts(dir).filter { $0.number > marker }
        let page = Array(all.prefix(maxParts))
        let truncated = all.count > page.count
        let doc = XMLTree(name: "ListPartsResult", children: [
            XMLTree(name: "Bucket", text: bucket), XMLTree(name: "Key", text: key), XMLTree(name: "UploadId", text: uploadId),
            XMLTree(name: "PartNumberMarker", text: String(marker)),
            XMLTree(name: "NextPartNumberMarker", text: String(page.last?.number ?? marker)),
            XMLTree(name: "MaxParts", text: String(maxParts)), XMLTree(name: "IsTruncated", text: truncated ? "true" : "false"),
        ] + page.map { part in
            XMLTree(name: "Part", children: [
                XMLTree(name: "PartNumber", text: String(part.number)),
                XMLTree(name: "LastModified", text: SimTime.iso(part.modified)),
                XMLTree(name: "ETag", text: "\"\(part.etag)\""), XMLTree(name: "HashCrc64ecma", text: String(part.crc64)),
                XMLTree(name: "Size", text: String(part.size)),
            ])
        })
        return xml(doc)
    }

    func abort(bucket: String, key: String, uploadId: String) throws -> OSSResponse {
        let dir = try upload(bucket, key, uploadId)
        lock.lock()
        defer { lock.unlock() }
        try? FileManager.default.removeItem(at: dir)
        return OSSResponse(status: 204)
    }

    func readSmallBody(_ request: OSSRequest, limit: Int) throws -> [UInt8] {
        let length = Int(request.header("Content-Length") ?? "") ?? 0
        guard length <= limit else { throw OSSFailure(400, "InvalidArgument", "The request body is too large.") }
        var out = [UInt8](repeating: 0, count: length)
        var got = 0
        while got < length {
            let n = try out.withUnsafeMutableBytes { try request.body?.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[got...])) ?? 0 }
            if n <= 0 { throw OSSFailure(400, "IncompleteBody", "The request body is shorter than its Content-Length.") }
            got += n
        }
        return out
    }

    func complete(_ request: OSSRequest, bucket: String, key: String, uploadId: String) throws -> OSSResponse {
        let dir = try upload(bucket, key, uploadId)
        let body = try readSmallBody(request, limit: 4 << 20)
        let stored = Dictionary(uniqueKeysWithValues: parts(dir).map { ($0.number, $0) })
        var chosen: [PartRecord] = []
        if request.header("x-oss-complete-all")?.lowercased() == "yes" {
            chosen = stored.values.sorted { $0.number < $1.number }
        } else {
            guard let doc = XMLTree.parse(body), doc.name == "CompleteMultipartUpload" else {
                throw OSSFailure(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema.")
            }
            var last = 0
            for part in doc.all("Part") {
                guard let n = Int(part["PartNumber"] ?? ""), let etag = part["ETag"] else {
                    throw OSSFailure(400, "MalformedXML", "A Part needs a PartNumber and an ETag.")
                }
                guard n > last else { throw OSSFailure(400, "InvalidPartOrder", "The list of parts was not in ascending order.") }
                last = n
                guard let record = stored[n], record.etag.uppercased() == unquoted(etag).uppercased() else {
                    throw OSSFailure(400, "InvalidPart", "One or more of the specified parts could not be found or the specified entity tag might not have matched the part's entity tag.",
                                     extra: [("PartNumber", String(n)), ("ETag", etag)])
                }
                chosen.append(record)
            }
        }
        guard !chosen.isEmpty else { throw OSSFailure(400, "MalformedXML", "The list of parts is empty.") }
        for part in chosen.dropLast() where part.size < 100 * 1024 {
            throw OSSFailure(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.",
                             extra: [("PartNumber", String(part.number))])
        }
        // The parts become the object where they lie (hard links, no bytes copied: a 40 GiB
        // upload completes at once, as on OSS); readers follow the record's segments.
        let base = objectBase(bucket, key)
        let staged = base.deletingLastPathComponent().appendingPathComponent(".complete-\(UUID().uuidString)")
        var crc: UInt64 = 0
        var md5s: [UInt8] = []
        var size: Int64 = 0
        do {
            try FileManager.default.createDirectory(at: staged, withIntermediateDirectories: false)
            for (i, part) in chosen.enumerated() {
                guard link(dir.appendingPathComponent("\(part.number).part").path, staged.appendingPathComponent(String(i + 1)).path) == 0 else {
                    throw OSSFailure(400, "InvalidPart", "a part file is missing")
                }
                crc = CRC64ECMA.combine(crc, part.crc64, length2: UInt64(part.size))
                md5s += Data(base64Encoded: part.md5).map { [UInt8]($0) } ?? []
                size += part.size
            }
        } catch {
            try? FileManager.default.removeItem(at: staged)
            throw error
        }
        let etag = MD5.hash(md5s).hexString.uppercased() + "-\(chosen.count)"
        let record = ObjectRecord(key: key, size: size, etag: etag, crc64: crc, type: "Multipart",
                                  contentType: "application/octet-stream", modified: Date().timeIntervalSince1970, meta: [:],
                                  segments: chosen.map(\.size))
        try store(record, from: staged, base: base, forbidOverwrite: false)
        lock.lock()
        try? FileManager.default.removeItem(at: dir)
        lock.unlock()
        let scheme = "http"
        let doc = XMLTree(name: "CompleteMultipartUploadResult", children: [
            XMLTree(name: "EncodingType", text: "url"),
            XMLTree(name: "Location", text: "\(scheme)://\(bucket).oss-\((try? bucketRecord(bucket).region) ?? defaultRegion).aliyuncs.com/\(PercentEncoding.encode(key, keepSlash: true))"),
            XMLTree(name: "Bucket", text: bucket), XMLTree(name: "Key", text: PercentEncoding.encode(key, keepSlash: true)),
            XMLTree(name: "ETag", text: "\"\(etag)\""),
        ])
        return xml(doc, headers: [("ETag", "\"\(etag)\""), ("x-oss-hash-crc64ecma", String(crc))])
    }

    // MARK: for the engine

    /// The files holding an object's bytes, in order, or nil when bucket or object does
    /// not exist (ImportImage reads the disk from them; tests read them back).
    public func objectSegments(bucket: String, key: String) -> [URL]? {
        guard let r = objectRecord(bucket, key) else { return nil }
        let files = segments(objectBase(bucket, key), r).map(\.0)
        return files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } ? files : nil
    }

    /// The bucket's region (`cn-hangzhou`), or nil when it does not exist (ImportImage
    /// requires the bucket to be in the image's region).
    public func bucketRegion(_ bucket: String) -> String? { try? bucketRecord(bucket).region }

    /// The disk format (`QCOW2`, `VHD`, `RAW`: ImportImage's spelling) and virtual size in
    /// bytes of an object, from its header. Throws `ToolError` (66 missing object, 65 not a
    /// disk image ImportImage accepts).
    public func importedDiskInfo(bucket: String, key: String) throws -> (format: String, virtualSize: Int64) {
        let name = "oss://\(bucket)/\(key)"
        guard let r = objectRecord(bucket, key) else { throw ToolError(.noInput, "\(name): no such object") }
        let files = segments(objectBase(bucket, key), r)
        let fds = files.map { open($0.0.path, O_RDONLY | O_CLOEXEC) }
        defer { for fd in fds where fd >= 0 { close(fd) } }
        guard fds.allSatisfy({ $0 >= 0 }) else { throw ToolError(.noInput, "\(name): no such object") }
        // A read may span parts: walk them from the one holding `offset`.
        let info = try DiskImage.inspect(name: name, size: r.size) { offset, count in
            var out: [UInt8] = []
            var start: Int64 = 0
            for (i, (_, length)) in files.enumerated() where out.count < count {
                defer { start += length }
                let at = offset + Int64(out.count)
                guard at < start + length else { continue }
                let want = Int(min(Int64(count - out.count), start + length - at))
                var buf = [UInt8](repeating: 0, count: want)
                let n = buf.withUnsafeMutableBytes { pread(fds[i], $0.baseAddress, want, off_t(at - start)) }
                guard n >= 0 else { throw ToolError(.noInput, "\(name): \(String(cString: strerror(errno)))") }
                out += buf[0..<n]
                if n < want { break }
            }
            return out
        }
        return (info.format.apiName, info.virtualSize)
    }
}

func unquoted(_ s: String) -> String {
    var t = Substring(s)
    if t.hasPrefix("\"") { t = t.dropFirst() }
    if t.hasSuffix("\"") { t = t.dropLast() }
    return String(t)
}
