import FoundationEssentials

/// An OSS request as both signers see it: addressing-independent (the same for a
/// virtual-hosted and a path-style URL).
public struct OSSCanonicalInput: Sendable {
    /// `GET`, `PUT`, ...
    public var method: String
    /// The bucket, or nil for service-level requests.
    public var bucket: String?
    /// The object key (raw, not encoded), or nil for bucket requests.
    public var key: String?
    /// Decoded query parameters in any order; a value-less parameter has value "".
    public var query: [(String, String)]
    /// Header fields as sent (names in any case).
    public var headers: [(String, String)]

    /// Makes an input.
    public init(method: String, bucket: String?, key: String?, query: [(String, String)] = [], headers: [(String, String)] = []) {
        self.method = method
        self.bucket = bucket
        self.key = key
        self.query = query
        self.headers = headers
    }

    /// The last value of a header, matched case-insensitively.
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.last { $0.0.lowercased() == lower }?.1
    }
}

/// OSS signature V1 (`OSS ak:sig`, HMAC-SHA1) and V4 (`OSS4-HMAC-SHA256`).
public enum OSSSignature {
    /// The query parameters V1 signs (others are left out of the resource).
    public static let v1Subresources: Set<String> = [
        "acl", "uploads", "location", "cors", "logging", "website", "referer", "lifecycle", "delete",
        "append", "tagging", "objectMeta", "uploadId", "partNumber", "security-token", "position",
        "img", "style", "styleName", "replication", "replicationProgress", "replicationLocation",
        "cname", "bucketInfo", "comp", "qos", "live", "status", "vod", "startTime", "endTime",
        "symlink", "x-oss-process", "response-content-type", "x-oss-traffic-limit",
        "response-content-language", "response-expires", "response-cache-control",
        "response-content-disposition", "response-content-encoding", "udf", "udfName", "udfImage",
        "udfId", "udfImageDesc", "udfApplication", "udfApplicationLog", "restore", "callback",
        "callback-var", "qosInfo", "policy", "stat", "encryption", "versions", "versioning",
        "versionId", "requestPayment", "x-oss-request-payer", "sequential", "inventory",
        "inventoryId", "continuation-token", "asyncFetch", "worm", "wormId", "wormExtend",
        "withHashContext", "x-oss-enable-md5", "x-oss-enable-sha1", "x-oss-enable-sha256",
        "x-oss-hash-ctx", "x-oss-md5-ctx", "transferAcceleration", "regionList", "cloudboxes",
        "x-oss-ac-source-ip", "x-oss-ac-subnet-mask", "x-oss-ac-vpc-id", "x-oss-ac-forward-allow",
        "metaQuery", "resourceGroup", "rtc", "accessMonitor", "objectInfo",
    ]

    // MARK: V1

    /// `/bucket/key` (raw key), `/bucket/` or `/`, then `?` and the sorted subresources.
    public static func v1CanonicalResource(_ input: OSSCanonicalInput) -> String {
        var resource = "/"
        if let bucket = input.bucket {
            resource += bucket + "/"
            if let key = input.key { resource += key }
        }
        let subs = input.query.filter { v1Subresources.contains($0.0) }
            .sorted { byteOrder($0.0, $1.0) }
        if !subs.isEmpty {
            resource += "?" + subs.map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }.joined(separator: "&")
        }
        return resource
    }

    /// The V1 string to sign.
    public static func v1StringToSign(_ input: OSSCanonicalInput) -> String {
        let date = input.header("x-oss-date") ?? input.header("Date") ?? ""
        var ossHeaders: [String: String] = [:]
        for (name, value) in input.headers where name.lowercased().hasPrefix("x-oss-") {
            ossHeaders[name.lowercased()] = value.trimmingSpaces
        }
        let canonicalHeaders = ossHeaders.keys.sorted(by: byteOrder).map { "\($0):\(ossHeaders[$0]!)\n" }.joined()
        return [input.method.uppercased(), input.header("Content-MD5") ?? "", input.header("Content-Type") ?? "", date]
            .joined(separator: "\n") + "\n" + canonicalHeaders + v1CanonicalResource(input)
    }

    /// The Base64 V1 signature.
    public static func v1Signature(stringToSign: String, secret: String) -> String {
        HMAC<SHA1>.authenticationCode(key: secret, message: stringToSign).base64String
    }

    /// The complete `Authorization` value: `OSS ak:signature`.
    public static func v1Authorization(_ input: OSSCanonicalInput, accessKeyId: String, secret: String) -> String {
        "OSS \(accessKeyId):\(v1Signature(stringToSign: v1StringToSign(input), secret: secret))"
    }

    // MARK: V4

    /// The V4 canonical request; `additionalHeaders` are lowercase names also signed.
    public static func v4CanonicalRequest(_ input: OSSCanonicalInput, additionalHeaders: [String] = []) -> String {
        var uri = "/"
        if let bucket = input.bucket {
            uri += bucket + "/"
            if let key = input.key { uri += key }
        }
        let encodedURI = PercentEncoding.encode(uri, keepSlash: true)
        let query = input.query.map { (PercentEncoding.encode($0.0), PercentEncoding.encode($0.1)) }
            .sorted { $0.0 == $1.0 ? byteOrder($0.1, $1.1) : byteOrder($0.0, $1.0) }
            .map { $0.1.isEmpty ? $0.0 : "\($0.0)=\($0.1)" }
            .joined(separator: "&")
        let extra = Set(additionalHeaders.map { $0.lowercased() })
        var signed: [String: String] = [:]
        for (name, value) in input.headers {
            let lower = name.lowercased()
            if lower.hasPrefix("x-oss-") || lower == "content-type" || lower == "content-md5" || extra.contains(lower) {
                signed[lower] = value.trimmingSpaces
            }
        }
        let canonicalHeaders = signed.keys.sorted(by: byteOrder).map { "\($0):\(signed[$0]!)\n" }.joined()
        let additional = extra.sorted(by: byteOrder).joined(separator: ";")
        return [input.method.uppercased(), encodedURI, query, canonicalHeaders, additional,
                input.header("x-oss-content-sha256") ?? "UNSIGNED-PAYLOAD"].joined(separator: "\n")
    }

    /// `yyyymmdd/region/oss/aliyun_v4_request`.
    public static func v4Scope(day: String, region: String) -> String { "\(day)/\(region)/oss/aliyun_v4_request" }

    /// The V4 string to sign; `timestamp` is the `x-oss-date` value (`20240506T070809Z`).
    public static func v4StringToSign(canonicalRequest: String, timestamp: String, region: String) -> String {
        "OSS4-HMAC-SHA256\n\(timestamp)\n\(v4Scope(day: String(timestamp.prefix(8)), region: region))\n"
            + SHA256.hash(canonicalRequest).hexString
    }

    /// The hex V4 signature.
    public static func v4Signature(stringToSign: String, secret: String, day: String, region: String) -> String {
        var key = HMAC<SHA256>.authenticationCode(key: Array(("aliyun_v4" + secret).utf8), message: Array(day.utf8))
        for part in [region, "oss", "aliyun_v4_request"] {
            key = HMAC<SHA256>.authenticationCode(key: key, message: Array(part.utf8))
        }
        return HMAC<SHA256>.authenticationCode(key: key, message: Array(stringToSign.utf8)).hexString
    }

    /// The complete V4 `Authorization` value; the input must already carry `x-oss-date`
    /// and `x-oss-content-sha256` (and the STS token header if any).
    public static func v4Authorization(_ input: OSSCanonicalInput, accessKeyId: String, secret: String,
                                       region: String, additionalHeaders: [String] = []) -> String {
        let timestamp = input.header("x-oss-date") ?? ""
        let day = String(timestamp.prefix(8))
        let sts = v4StringToSign(canonicalRequest: v4CanonicalRequest(input, additionalHeaders: additionalHeaders),
                                 timestamp: timestamp, region: region)
        var auth = "OSS4-HMAC-SHA256 Credential=\(accessKeyId)/\(v4Scope(day: day, region: region))"
        if !additionalHeaders.isEmpty {
            auth += ",AdditionalHeaders=" + additionalHeaders.map { $0.lowercased() }.sorted(by: byteOrder).joined(separator: ";")
        }
        return auth + ",Signature=" + v4Signature(stringToSign: sts, secret: secret, day: day, region: region)
    }

    /// A parsed V4 `Authorization` value.
    public struct V4Authorization: Sendable, Equatable {
        /// The AccessKey id.
        public var accessKeyId: String
        /// `yyyymmdd` of the scope.
        public var day: String
        /// The region of the scope.
        public var region: String
        /// Additional signed header names.
        public var additionalHeaders: [String]
        /// The hex signature.
        public var signature: String
    }

    /// Parses `OSS4-HMAC-SHA256 Credential=ak/day/region/oss/aliyun_v4_request[,AdditionalHeaders=a;b],Signature=hex`
    /// (fields separated by `,` or `, `).
    public static func parseV4Authorization(_ value: String) -> V4Authorization? {
        let prefix = "OSS4-HMAC-SHA256 "
        guard value.hasPrefix(prefix) else { return nil }
        var fields: [String: String] = [:]
        for part in value.dropFirst(prefix.count).split(separator: ",") {
            let kv = String(part).trimmingSpaces.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            fields[String(kv[0])] = String(kv[1])
        }
        guard let credential = fields["Credential"], let signature = fields["Signature"] else { return nil }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[3] == "oss", scope[4] == "aliyun_v4_request" else { return nil }
        let additional = fields["AdditionalHeaders"].map { $0.split(separator: ";").map(String.init) } ?? []
        return V4Authorization(accessKeyId: scope[0], day: scope[1], region: scope[2], additionalHeaders: additional, signature: signature)
    }

    // MARK: dates

    /// RFC 1123 GMT date for V1 (`Mon, 06 May 2024 07:08:09 GMT`).
    public static func httpDate(_ date: Date) -> String { HTTPDate.format(date) }

    /// ISO 8601 basic timestamp for V4 (`20240506T070809Z`).
    public static func v4Timestamp(_ date: Date) -> String { date.formatted(v4Style) }

    /// Parses either date form exactly as written above; nil when it is neither (a day or
    /// hour out of range included: the parser would roll it over).
    public static func parseDate(_ text: String) -> Date? {
        if let d = HTTPDate.parse(text) { return d }
        guard let d = try? Date(text, strategy: v4Style), v4Timestamp(d) == text else { return nil }
        return d
    }

    /// `yyyyMMdd'T'HHmmss'Z'` in UTC.
    private static let v4Style = Date.ISO8601FormatStyle(dateSeparator: .omitted, timeSeparator: .omitted)
}
