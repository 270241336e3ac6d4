import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The AccessKeys ecs-sim accepts.
public struct AccessKeys: Sendable {
    /// The default test AccessKey id.
    public static let defaultId = "LTAI5tSimAccessKeyId01"
    /// The default test AccessKey secret (a published test value, not a secret).
    public static let defaultSecret = "SimSecretKey0123456789abcdefXYZ"

    /// Secrets by AccessKey id.
    public var keys: [String: String]

    /// Keys from the environment (ECS_SIM_ACCESS_KEY / ECS_SIM_SECRET_KEY) or the defaults.
    public static func fromEnvironment(_ env: [String: String] = ProcessEnvironment.current) -> AccessKeys {
        let id = env["ECS_SIM_ACCESS_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultId
        let secret = env["ECS_SIM_SECRET_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? defaultSecret
        return AccessKeys(keys: [id: secret])
    }

    /// Makes a key set.
    public init(keys: [String: String]) { self.keys = keys }
}

/// Turns HTTP requests into verified RPC calls for the engine and the engine's answers into
/// the real endpoint's JSON responses; also serves the admin paths under `/__sim/`.
public final class Gateway: @unchecked Sendable {
    let engine: Engine
    let credentials: AccessKeys
    let log: RequestLog?
    private let nonceLock = Lock()
    private var nonces: [String: Double] = [:]
    private var lastPrune = 0.0
    /// Allowed clock skew of Timestamp / x-acs-date, in seconds.
    static let maxSkew = 15.0 * 60

    /// A gateway in front of `engine`.
    public init(engine: Engine, credentials: AccessKeys, log: RequestLog?) {
        self.engine = engine
        self.credentials = credentials
        self.log = log
    }

    /// Answers one HTTP request.
    public func handle(_ request: ServerRequest) -> ServerResponse {
        if request.path.hasPrefix("/__sim/") { return admin(request) }
        let started = Date().timeIntervalSince1970
        let requestId = engine.newRequestId()
        var params: [String: String] = [:]
        var action = "", version = "", product: Product = .ecs
        let response: ServerResponse
        var code = ""
        do {
            guard request.method == "GET" || request.method == "POST" else {
                throw CloudError("UnsupportedHTTPMethod", "Specified HTTP method is not supported; use GET or POST.", status: 405)
            }
            let call = try verify(request, params: &params)
            action = call.action
            version = call.version
            product = call.product
            let outcome = engine.perform(call, requestId: requestId)
            if outcome.delay > 0 { usleep(UInt32(min(outcome.delay, 60) * 1_000_000)) }
            switch outcome.result {
            case .success(let body):
                var r = outcome.corrupt?.response(for: body, requestId: requestId) ?? ServerResponse.json(200, body.serialized(pretty: false))
                r.headers.append(("x-acs-request-id", requestId))
                r.drop = outcome.drop
                response = r
            case .failure(let e):
                code = e.code
                response = errorResponse(e, requestId: requestId, product: product, host: request.host)
            }
        } catch let e as CloudError {
            code = e.code
            response = errorResponse(e, requestId: requestId, product: product, host: request.host)
        } catch {
            code = "InternalError"
            response = errorResponse(CloudError("InternalError", "The request processing has failed due to some unknown error.", status: 500),
                                     requestId: requestId, product: product, host: request.host)
        }
        log?.record(time: started, requestId: requestId, method: request.method, action: action.isEmpty ? (params["Action"] ?? "") : action,
                    version: version, status: response.drop ? 0 : response.status, code: code,
                    ms: (Date().timeIntervalSince1970 - started) * 1000, params: params, peer: request.peer)
        return response
    }

    /// The HostId of an error: the host the client addressed, or the product's public endpoint
    /// when the client addressed ecs-sim by IP.
    static func hostId(_ host: String, _ product: Product) -> String {
        let name = host.split(separator: ":").first.map(String.init) ?? ""
        if name.isEmpty || name == "localhost" || name.allSatisfy({ $0.isNumber || $0 == "." }) { return product.hostId }
        return name
    }

    func errorResponse(_ e: CloudError, requestId: String, product: Product, host: String) -> ServerResponse {
        let body: JSONValue = [
            "RequestId": js(requestId), "HostId": js(Gateway.hostId(host, product)),
            "Code": js(e.code), "Message": js(e.message),
            "Recommend": js("https://api.aliyun.com/troubleshoot?q=\(e.code)&product=\(product.rawValue)&requestId=\(requestId)"),
        ]
        var r = ServerResponse.json(e.status, body.serialized(pretty: false))
        r.headers.append(("x-acs-request-id", requestId))
        return r
    }

    /// Parses and authenticates a request (v1 signature parameters or a V3 Authorization header).
    func verify(_ request: ServerRequest, params: inout [String: String]) throws -> RPCCall {
        var queryParams: [String: String] = [:]
        for (k, v) in FormCodec.decode(request.query) { queryParams[k] = v }
        params = queryParams
        let contentType = request.header("content-type")?.lowercased() ?? ""
        if !request.body.isEmpty, contentType.isEmpty || contentType.hasPrefix("application/x-www-form-urlencoded") {
            for (k, v) in FormCodec.decode(String(decoding: request.body, as: UTF8.self)) { params[k] = v }
        }
        if let auth = request.header("authorization"), auth.hasPrefix(ACS3Signature.algorithm) {
            return try verifyV3(request, auth: auth, query: queryParams, params: &params)
        }
        guard let action = params["Action"], !action.isEmpty else { throw CloudError.missing("Action") }
        guard let version = params["Version"], !version.isEmpty else { throw CloudError.missing("Version") }
        guard let product = Product.forVersion(version) else {
            throw CloudError("InvalidVersion", "Specified parameter Version is not valid.", status: 400)
        }
        for name in ["AccessKeyId", "Signature", "SignatureNonce", "Timestamp"] where (params[name] ?? "").isEmpty {
            throw CloudError.missing(name)
        }
        let keyId = params["AccessKeyId"]!
        guard let secret = credentials.keys[keyId] else {
            throw CloudError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", status: 404)
        }
        if let m = params["SignatureMethod"], m != "HMAC-SHA1" {
            throw CloudError("InvalidSignatureMethod", "Specified signature method is not supported.", status: 400)
        }
        if let v = params["SignatureVersion"], v != "1.0" {
            throw CloudError("InvalidSignatureVersion", "Specified signature version is not supported.", status: 400)
        }
        try checkTime(params["Timestamp"]!)
        guard RPCSignature.verify(method: request.method, params: params, secret: secret) else {
            let sts = RPCSignature.stringToSign(method: request.method, params: params)
            throw CloudError("SignatureDoesNotMatch", "Specified signature is not matched with our calculation. server string to sign is:\(sts)", status: 400)
        }
        try useNonce(keyId + "|" + params["SignatureNonce"]!)
        return RPCCall(action: action, version: version, product: product, params: params, accessKeyId: keyId)
    }

    func verifyV3(_ request: ServerRequest, auth: String, query: [String: String], params: inout [String: String]) throws -> RPCCall {
        guard let parsed = ACS3Signature.parseAuthorization(auth) else {
            throw CloudError("IncompleteSignature", "The request signature does not conform to Aliyun standards.", status: 400)
        }
        guard let action = request.header("x-acs-action"), !action.isEmpty else { throw CloudError.missing("x-acs-action") }
        guard let version = request.header("x-acs-version"), !version.isEmpty else { throw CloudError.missing("x-acs-version") }
        guard let date = request.header("x-acs-date") else { throw CloudError.missing("x-acs-date") }
        guard let nonce = request.header("x-acs-signature-nonce"), !nonce.isEmpty else { throw CloudError.missing("x-acs-signature-nonce") }
        params["Action"] = action
        params["Version"] = version
        guard let product = Product.forVersion(version) else {
            throw CloudError("InvalidVersion", "Specified parameter Version is not valid.", status: 400)
        }
        guard let secret = credentials.keys[parsed.accessKeyId] else {
            throw CloudError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", status: 404)
        }
        for required in ["host", "x-acs-action", "x-acs-version", "x-acs-date", "x-acs-signature-nonce"] where !parsed.signedHeaders.contains(required) {
            throw CloudError("IncompleteSignature", "The request signature does not sign the \(required) header.", status: 400)
        }
        try checkTime(date)
        if let declared = request.header("x-acs-content-sha256"), declared.lowercased() != ACS3Signature.bodyHash(request.body) {
            throw CloudError("InvalidParameter.ContentSHA256", "The x-acs-content-sha256 header does not match the body.", status: 400)
        }
        var headers: [String: String] = [:]
        for h in request.headers { headers[h.name.lowercased()] = h.value }
        guard ACS3Signature.verify(authorization: auth, method: request.method, path: request.path, query: query, headers: headers,
                                   body: request.body, secret: secret) else {
            let cr = ACS3Signature.canonicalRequest(method: request.method, path: request.path, query: query, headers: headers,
                                                    hashedBody: ACS3Signature.bodyHash(request.body), signedHeaders: parsed.signedHeaders)
            throw CloudError("SignatureDoesNotMatch", "The request signature does not conform to Aliyun standards. server string to sign is:\(ACS3Signature.stringToSign(canonicalRequest: cr.request))", status: 400)
        }
        try useNonce(parsed.accessKeyId + "|" + nonce)
        return RPCCall(action: action, version: version, product: product, params: params, accessKeyId: parsed.accessKeyId)
    }

    func checkTime(_ text: String) throws {
        guard let t = SimTime.parse(text) else {
            throw CloudError("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", status: 400)
        }
        if abs(t - Date().timeIntervalSince1970) > Gateway.maxSkew {
            throw CloudError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", status: 400)
        }
    }

    func useNonce(_ key: String) throws {
        let now = Date().timeIntervalSince1970
        nonceLock.lock()
        defer { nonceLock.unlock() }
        if now - lastPrune > 60 {
            nonces = nonces.filter { $0.value > now }
            lastPrune = now
        }
        if let until = nonces[key], until > now {
            throw CloudError("SignatureNonceUsed", "Specified signature nonce was used already.", status: 400)
        }
        nonces[key] = now + 2 * Gateway.maxSkew
    }

    func admin(_ request: ServerRequest) -> ServerResponse {
        switch request.path {
        case "/__sim/dump":
            return .json(200, engine.dump().document)
        case "/__sim/health":
            return .json(200, "{\"ok\":true}\n")
        default:
            return .json(404, "{\"error\":\"unknown admin path\"}\n")
        }
    }
}

/// The JSONL request log (`requests.jsonl` in the state directory), secrets redacted.
public final class RequestLog: @unchecked Sendable {
    private let lock = Lock()
    private let fd: Int32

    /// Opens (appending) the log at `path`.
    public init(path: String) throws {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw ToolError(.cantCreate, "\(path): \(String(cString: strerror(errno)))") }
    }

    deinit { close(fd) }

    /// Whether a parameter's value must not be logged.
    static func isSecret(_ name: String) -> Bool {
        let n = name.lowercased()
        if n == "clienttoken" || n == "nexttoken" { return false }
        return n == "signature" || n.contains("password") || n.contains("secret") || n.contains("token") || n == "userdata" || n.contains("privatekey")
    }

    /// Appends one request.
    func record(time: Double, requestId: String, method: String, action: String, version: String, status: Int, code: String, ms: Double,
                params: [String: String], peer: String) {
        var p: [String: JSONValue] = [:]
        for (k, v) in params { p[k] = .string(RequestLog.isSecret(k) ? "[redacted]" : v) }
        let line: JSONValue = [
            "time": js(SimTime.iso(time)), "requestId": js(requestId), "method": js(method), "action": js(action), "version": js(version),
            "status": .int(status), "code": js(code), "ms": .double((ms * 100).rounded() / 100), "params": .object(p), "peer": js(peer),
        ]
        let bytes = Array((line.serialized(pretty: false) + "\n").utf8)
        lock.lock()
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        lock.unlock()
    }

    /// Per-action request counts read back from a log file.
    public static func counts(path: String) -> [String: Int] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            if let v = try? JSONParser.parse(String(line)), let a = v["action"]?.stringValue { out[a.isEmpty ? "(none)" : a, default: 0] += 1 }
        }
        return out
    }
}
