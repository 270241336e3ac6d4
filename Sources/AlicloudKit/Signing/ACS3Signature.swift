/// The V3 signature, ACS3-HMAC-SHA256: headers carry action, version, date and nonce;
/// the Authorization header signs a canonical request. Used to sign and to verify.
public enum ACS3Signature {
    /// The algorithm name that starts the Authorization header.
    public static let algorithm = "ACS3-HMAC-SHA256"
    /// Hex SHA-256 of an empty body.
    public static let emptyBodyHash = SHA256.hash([UInt8]()).hexString

    /// Hex SHA-256 of a body, the `x-acs-content-sha256` value.
    public static func bodyHash(_ body: [UInt8]) -> String { SHA256.hash(body).hexString }

    /// Query pairs sorted by name, `name=value` both percent-encoded, joined by `&`.
    public static func canonicalQuery(_ query: [String: String]) -> String {
        query.sorted { byteOrder($0.key, $1.key) }
            .map { PercentEncoding.encode($0.key) + "=" + PercentEncoding.encode($0.value) }
            .joined(separator: "&")
    }

    /// The headers a client signs: `host`, `content-type` and every `x-acs-*`, lowercase, sorted.
    public static func defaultSignedHeaders(_ headers: [String: String]) -> [String] {
        headers.keys.map { $0.lowercased() }
            .filter { $0 == "host" || $0 == "content-type" || $0.hasPrefix("x-acs-") }
            .sorted(by: byteOrder)
    }

    /// The canonical request and the `SignedHeaders` list. `signedHeaders` nil means
    /// `defaultSignedHeaders` (a client); a server passes the list from the request.
    public static func canonicalRequest(
        method: String, path: String = "/", query: [String: String], headers: [String: String],
        hashedBody: String, signedHeaders: [String]? = nil
    ) -> (request: String, signedHeaders: String) {
        var lower: [String: String] = [:]
        for (k, v) in headers { lower[k.lowercased()] = v }
        let names = (signedHeaders?.map { $0.lowercased() } ?? defaultSignedHeaders(headers)).sorted(by: byteOrder)
        var canonicalHeaders = ""
        for n in names {
            canonicalHeaders += n + ":" + (lower[n] ?? "").trimmingSpaces + "\n"
        }
        let signed = names.joined(separator: ";")
        let request = [method.uppercased(), path.isEmpty ? "/" : path, canonicalQuery(query), canonicalHeaders, signed, hashedBody]
            .joined(separator: "\n")
        return (request, signed)
    }

    /// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
    public static func stringToSign(canonicalRequest: String) -> String {
        algorithm + "\n" + SHA256.hash(canonicalRequest).hexString
    }

    /// Hex HMAC-SHA256 of the string to sign, keyed with the secret (no `&`).
    public static func signature(stringToSign: String, secret: String) -> String {
        HMAC<SHA256>.authenticationCode(key: secret, message: stringToSign).hexString
    }

    /// The full `Authorization` header value for a request.
    public static func authorization(
        method: String, path: String = "/", query: [String: String], headers: [String: String],
        hashedBody: String, accessKeyId: String, secret: String
    ) -> String {
        let cr = canonicalRequest(method: method, path: path, query: query, headers: headers, hashedBody: hashedBody)
        let sig = signature(stringToSign: stringToSign(canonicalRequest: cr.request), secret: secret)
        return "\(algorithm) Credential=\(accessKeyId),SignedHeaders=\(cr.signedHeaders),Signature=\(sig)"
    }

    /// The parts of an Authorization header.
    public struct Authorization: Sendable, Equatable {
        /// The AccessKey id.
        public var accessKeyId: String
        /// The signed header names, lowercase.
        public var signedHeaders: [String]
        /// The hex signature.
        public var signature: String
    }

    /// Parses `ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`; nil if malformed.
    public static func parseAuthorization(_ header: String) -> Authorization? {
        guard header.hasPrefix(algorithm + " ") else { return nil }
        var fields: [String: String] = [:]
        for part in header.dropFirst(algorithm.count + 1).split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1)
            guard kv.count == 2 else { return nil }
            fields[String(kv[0]).trimmingSpaces] = String(kv[1]).trimmingSpaces
        }
        guard let c = fields["Credential"], let h = fields["SignedHeaders"], let s = fields["Signature"] else { return nil }
        return Authorization(accessKeyId: c, signedHeaders: h.split(separator: ";").map(String.init), signature: s)
    }

    /// Verifies a request's Authorization header against `secret` (for servers).
    public static func verify(
        authorization header: String, method: String, path: String = "/", query: [String: String],
        headers: [String: String], body: [UInt8], secret: String
    ) -> Bool {
        guard let auth = parseAuthorization(header) else { return false }
        let cr = canonicalRequest(
            method: method, path: path, query: query, headers: headers,
            hashedBody: bodyHash(body), signedHeaders: auth.signedHeaders)
        let expected = signature(stringToSign: stringToSign(canonicalRequest: cr.request), secret: secret)
        return constantTimeEqual(Array(expected.utf8), Array(auth.signature.utf8))
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}
