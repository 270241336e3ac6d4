/// The RPC-style signature (SignatureVersion 1.0, HMAC-SHA1) used by ECS, VPC, RAM, STS.
public enum RPCSignature {
    /// Alibaba's percent-encoding (RFC 3986 unreserved kept, space `%20`, `*` `%2A`, `~` kept).
    public static func percentEncode(_ s: String) -> String { PercentEncoding.encode(s) }

    /// `name=value` pairs, both encoded, sorted by name (byte order), joined by `&`.
    /// `Signature` itself is left out.
    public static func canonicalizedQuery(_ params: [String: String]) -> String {
        params.filter { $0.key != "Signature" }
            .sorted { byteOrder($0.key, $1.key) }
            .map { percentEncode($0.key) + "=" + percentEncode($0.value) }
            .joined(separator: "&")
    }

    /// `METHOD&%2F&` + percentEncode(canonicalized query).
    public static func stringToSign(method: String, params: [String: String]) -> String {
        method.uppercased() + "&" + percentEncode("/") + "&" + percentEncode(canonicalizedQuery(params))
    }

    /// Base64 HMAC-SHA1 of the string to sign, keyed with `secret + "&"`.
    public static func sign(method: String, params: [String: String], secret: String) -> String {
        signature(stringToSign: stringToSign(method: method, params: params), secret: secret)
    }

    /// Base64 HMAC-SHA1 of an already built string to sign.
    public static func signature(stringToSign: String, secret: String) -> String {
        base64String(HMAC<SHA1>.authenticationCode(key: secret + "&", message: stringToSign))
    }

    /// Checks a request's `Signature` parameter in constant time (for servers).
    public static func verify(method: String, params: [String: String], secret: String) -> Bool {
        guard let given = params["Signature"] else { return false }
        return constantTimeEqual(Array(given.utf8), Array(sign(method: method, params: params, secret: secret).utf8))
    }
}

/// Compares two byte strings without an early exit.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    var diff: UInt8 = 0
    for i in 0..<a.count { diff |= a[i] ^ b[i] }
    return diff == 0
}
