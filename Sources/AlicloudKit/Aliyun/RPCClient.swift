import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Which signature an RPC request carries.
public enum SignatureVersion: String, Sendable {
    /// SignatureVersion 1.0, HMAC-SHA1, parameters in the query (ref §1).
    case v1
    /// ACS3-HMAC-SHA256, headers and an Authorization header (ref §2).
    case v3
}

/// How an RPC client talks to one product.
public struct RPCOptions: Sendable {
    /// The product (API version and default endpoint).
    public var product: CloudProduct
    /// The endpoint; nil means the product's regional HTTPS endpoint.
    public var endpoint: EndpointURL?
    /// The region sent as `RegionId` when the caller does not give one.
    public var region: String?
    /// The signature version.
    public var signature: SignatureVersion = .v1
    /// Retries after the first attempt for transient errors and busy codes.
    public var retries = 3
    /// Give up after this many seconds in total (all attempts and waits).
    public var timeout: Double = 60
    /// Seconds to connect.
    public var connectTimeout: Double = 5
    /// First backoff ceiling in seconds; doubles per retry (full jitter), capped at `maxDelay`.
    public var baseDelay: Double = 0.5
    /// The largest wait between attempts.
    public var maxDelay: Double = 20
    /// Extra codes to retry as "busy" for every action (besides `RetryPolicy.busyCodes`).
    public var extraBusyCodes: Set<String> = []
    /// Receives the `--debug` trace (string-to-sign and the HTTP exchange, secrets redacted).
    public var trace: (@Sendable (String) -> Void)?
    /// Sleeps between attempts (tests replace it).
    public var sleep: @Sendable (Double) -> Void = { s in if s > 0 { sleepSeconds(s) } }
    /// A random fraction in [0, 1) for jitter (tests replace it).
    public var random: @Sendable () -> Double = { Double.random(in: 0..<1) }
    /// A CA bundle for HTTPS endpoints.
    public var caFile: String?
    /// The environment (proxy settings); nil reads the process's own when a request is made.
    public var environment: [String: String]?

    /// Options for a product.
    public init(product: CloudProduct) { self.product = product }
}

/// Which errors are retried, by action (ref §4).
public enum RetryPolicy {
    /// Codes that mean "busy, try again shortly" for any action.
    public static let busyCodes: Set<String> = [
        "IncorrectInstanceStatus", "IncorrectInstanceStatus.Initializing", "OperationConflict",
        "InvalidOperation.Conflict", "TaskConflict", "LastTokenProcessing", "OperationFailed.LastTokenProcessing",
        "IncorrectEipStatus", "IncorrectStatus", "IncorrectVSwitchStatus", "IncorrectRouteEntryStatus", "SystemBusy",
        "IdempotentProcessing", "IncorrectDiskStatus",
    ]

    /// Whether `code` is a busy code for `action`: the shared set, plus `DependencyViolation*`
    /// on deletes and DeleteVpc's misspelt `Forbbiden`.
    public static func isBusy(_ code: String, action: String, extra: Set<String> = []) -> Bool {
        if busyCodes.contains(code) || CodePatterns(Array(extra)).matches(code) { return true }
        if action.hasPrefix("Delete") && code.hasPrefix("DependencyViolation") { return true }
        return action == "DeleteVpc" && code == "Forbbiden"
    }

    /// Whether `action` only reads (Describe*, List*, Get*): a malformed or cut-short answer
    /// to it is retried like a 5xx; a mutating call's is not (it may have taken effect).
    public static func isReadOnly(_ action: String) -> Bool {
        ["Describe", "List", "Get"].contains { action.hasPrefix($0) && action.dropFirst($0.count).first?.isUppercase == true }
    }

    /// Actions that accept `ClientToken` (an idempotency key reused across retries;
    /// aliyun-api.md §4); ecs-sim honours it for the same ones.
    public static let clientTokenActions: Set<String> = [
        "CreateInstance", "RunInstances", "CreateSecurityGroup", "AuthorizeSecurityGroup", "AuthorizeSecurityGroupEgress", "CreateImage",
        "CopyImage", "ImportImage", "CreateSnapshot", "CreateVpc", "DeleteVpc", "CreateVSwitch",
        "AllocateEipAddress", "AssociateEipAddress", "UnassociateEipAddress",
    ]
}

/// A request ready to send (also what `--dry-run` shows).
public struct PreparedRequest: Sendable {
    /// The HTTP request.
    public var http: HTTPRequest
    /// The string to sign (secrets replaced by `<redacted>`).
    public var stringToSignForDisplay: String
    /// Every API parameter sent, signature parameters included (secrets redacted).
    public var displayParameters: [String: String]
}

/// Signed calls to an RPC-style API (ECS, VPC, RAM, STS): common parameters, signing,
/// retries with exponential backoff and full jitter, ClientToken reuse, pagination.
public final class RPCClient: @unchecked Sendable {
    /// The credentials used to sign.
    public let credentials: Credentials
    /// The options.
    public let options: RPCOptions
    private let http: HTTPClient

    /// Makes a client.
    public init(credentials: Credentials, options: RPCOptions, http: HTTPClient? = nil) {
        self.credentials = credentials
        self.options = options
        var o = HTTPOptions()
        o.connectTimeout = options.connectTimeout
        o.timeout = options.timeout
        o.caFile = options.caFile
        o.environment = options.environment
        self.http = http ?? HTTPClient(options: o)
    }

    /// A client for `product` from the environment: credentials and region as
    /// `CloudSettings.resolve` finds them, endpoint from `endpoint` or `ALICLOUD_ENDPOINT`.
    public static func fromEnvironment(
        product: String = "ecs", version: String? = nil, profile: String? = nil, region: String? = nil,
        endpoint: String? = nil, environment env: [String: String] = ProcessEnvironment.current
    ) throws -> RPCClient {
        let settings = try CloudSettings.resolve(profile: profile, region: region, environment: env)
        var options = RPCOptions(product: try CloudProduct.named(product, version: version))
        options.region = settings.region
        options.environment = env
        if let e = endpoint ?? env["ALICLOUD_ENDPOINT"].flatMap({ $0.isEmpty ? nil : $0 }) {
            options.endpoint = try EndpointURL(e)
        }
        return RPCClient(credentials: settings.credentials, options: options)
    }

    /// The endpoint requests go to.
    public var endpoint: EndpointURL {
        if let e = options.endpoint { return e }
        // The product rule always yields a valid URL.
        return try! EndpointURL(options.product.endpoint(region: options.region))
    }

    // MARK: calling

    /// Calls `action` with `params` and returns the response object. Retries transient
    /// errors and busy codes; a generated `ClientToken` is reused by every retry.
    /// Throws `APIError` for an error answer and `ToolError` for transport failures.
    public func call(_ action: String, _ params: [String: String] = [:]) throws -> JSONValue {
        var params = params
        if RetryPolicy.clientTokenActions.contains(action) && params["ClientToken"] == nil {
            params["ClientToken"] = UUID().uuidString.lowercased()
        }
        let deadline = Date().addingTimeInterval(options.timeout)
        var attempt = 0
        while true {
            let outcome: Result<JSONValue, Error>
            var retryAfter: Double?
            do {
                let prepared = try prepare(action, params)
                let remaining = deadline.timeIntervalSinceNow
                if remaining <= 0 { throw ToolError(.tempFail, "\(action): timed out after \(Self.seconds(options.timeout))") }
                outcome = .success(try exchange(action, prepared, timeout: remaining, retryAfter: &retryAfter))
            } catch {
                outcome = .failure(error)
            }
            switch outcome {
            case .success(let v):
                return v
            case .failure(var error):
                let retryable: Bool
                switch error {
                case let e as APIError:
                    retryable = e.isTransient || RetryPolicy.isBusy(e.code, action: action, extra: options.extraBusyCodes)
                case let e as MalformedAnswer:
                    retryable = RetryPolicy.isReadOnly(action)
                    error = e.error
                case let e as ToolError:
                    retryable = e.status == .unavailable || e.status == .tempFail
                default:
                    retryable = false
                }
                let ceiling = min(options.maxDelay, options.baseDelay * pow(2, Double(attempt)))
                var wait = ceiling * options.random()
                if let r = retryAfter { wait = max(wait, min(r, 60)) }
                guard retryable, attempt < options.retries, deadline.timeIntervalSinceNow > wait else {
                    if var e = error as? APIError {
                        e.retriesExhausted = retryable
                        throw e
                    }
                    throw error
                }
                attempt += 1
                options.trace?("retry \(attempt)/\(options.retries) in \(cFormat("%.3f", wait))s after: \(error)")
                options.sleep(wait)
            }
        }
    }

    /// Calls a paged Describe action until every page is read and merges the lists:
    /// `NextToken` when the response carries one, else `PageNumber`/`PageSize`/`TotalCount`.
    /// The result is the first page with the merged list and without paging fields
    /// (`TotalCount` kept).
    public func callAllPages(_ action: String, _ params: [String: String] = [:], maxPages: Int = 1000) throws -> JSONValue {
        var first = try call(action, params)
        guard case .object(var result) = first, let listPath = Self.pagedList(in: first) else { return first }
        var items = Self.items(result, listPath)
        var page = first
        var pages = 1
        var pageNumber = Int(params["PageNumber"] ?? "") ?? page["PageNumber"]?.intValue ?? 1
        while pages < maxPages {
            var next = params
            if let token = page["NextToken"]?.stringValue, !token.isEmpty {
                next["NextToken"] = token
            } else if let total = page["TotalCount"]?.intValue, page["PageNumber"] != nil || params["PageNumber"] != nil || page["PageSize"] != nil {
                let got = Self.items(page.objectValue ?? [:], listPath).count
                if items.count >= total || got == 0 { break }
                pageNumber += 1
                next["PageNumber"] = String(pageNumber)
            } else {
                break
            }
            page = try call(action, next)
            let got = Self.items(page.objectValue ?? [:], listPath)
            items += got
            pages += 1
            if got.isEmpty && (page["NextToken"]?.stringValue ?? "").isEmpty { break }
        }
        var inner = result[listPath.outer]?.objectValue ?? [:]
        if let innerKey = listPath.inner {
            inner[innerKey] = .array(items)
            result[listPath.outer] = .object(inner)
        } else {
            result[listPath.outer] = .array(items)
        }
        for k in ["NextToken", "PageNumber", "PageSize", "MaxResults"] { result[k] = nil }
        if let last = page["RequestId"] { result["RequestId"] = last }
        first = .object(result)
        return first
    }

    /// The list a paged response carries: `{"Xs":{"X":[…]}}` (outer, inner) or `{"Xs":[…]}`.
    public static func pagedList(in response: JSONValue) -> (outer: String, inner: String?)? {
        guard let o = response.objectValue else { return nil }
        for key in o.keys.sorted() {
            if let inner = o[key]?.objectValue, inner.count == 1, let (k, v) = inner.first, v.arrayValue != nil {
                return (key, k)
            }
        }
        for key in o.keys.sorted() where o[key]?.arrayValue != nil { return (key, nil) }
        return nil
    }

    static func items(_ o: [String: JSONValue], _ path: (outer: String, inner: String?)) -> [JSONValue] {
        if let inner = path.inner { return o[path.outer]?[inner]?.arrayValue ?? [] }
        return o[path.outer]?.arrayValue ?? []
    }

    // MARK: building and sending

    /// Builds the signed request for one attempt (fresh nonce and timestamp).
    public func prepare(_ action: String, _ params: [String: String], date: Date = Date(), nonce: String? = nil) throws -> PreparedRequest {
        try Self.validate(action: action)
        var api = params
        if api["RegionId"] == nil, let r = options.region { api["RegionId"] = r }
        let nonce = nonce ?? UUID().uuidString.lowercased()
        let timestamp = Self.timestamp(date)
        let ep = endpoint
        switch options.signature {
        case .v1:
            var all = api
            all["Action"] = action
            all["Version"] = options.product.version
            all["Format"] = "JSON"
            all["AccessKeyId"] = credentials.accessKeyId
            all["SignatureMethod"] = "HMAC-SHA1"
            all["SignatureVersion"] = "1.0"
            all["SignatureNonce"] = nonce
            all["Timestamp"] = timestamp
            if let t = credentials.securityToken { all["SecurityToken"] = t }
            let sts = RPCSignature.stringToSign(method: "POST", params: all)
            all["Signature"] = RPCSignature.signature(stringToSign: sts, secret: credentials.accessKeySecret)
            // Everything in the query as the SDKs do; large values (UserData) go to a form body.
            var query = all
            var form: [String: String] = [:]
            for (k, v) in all where v.utf8.count > 1024 {
                form[k] = v
                query[k] = nil
            }
            var req = HTTPRequest(method: "POST", url: ep.string + "?" + RPCSignature.canonicalizedQuery(query)
                + "&Signature=" + PercentEncoding.encode(all["Signature"]!))
            if !form.isEmpty {
                req.addHeader("Content-Type", "application/x-www-form-urlencoded")
                req.body = .bytes(Array(RPCSignature.canonicalizedQuery(form).utf8))
            }
            var shown = all
            if shown["SecurityToken"] != nil { shown["SecurityToken"] = "<redacted>" }
            let displaySTS = RPCSignature.stringToSign(method: "POST", params: shown)
            return PreparedRequest(http: req, stringToSignForDisplay: displaySTS, displayParameters: shown)
        case .v3:
            let bodyHash = ACS3Signature.emptyBodyHash
            var headers: [String: String] = [
                "host": ep.hostHeader, "x-acs-action": action, "x-acs-version": options.product.version,
                "x-acs-date": timestamp, "x-acs-signature-nonce": nonce, "x-acs-content-sha256": bodyHash,
            ]
            if let t = credentials.securityToken {
                headers["x-acs-security-token"] = t
                headers["x-acs-accesskey-id"] = credentials.accessKeyId
            }
            let cr = ACS3Signature.canonicalRequest(method: "POST", path: ep.path, query: api, headers: headers, hashedBody: bodyHash)
            let sts = ACS3Signature.stringToSign(canonicalRequest: cr.request)
            let sig = ACS3Signature.signature(stringToSign: sts, secret: credentials.accessKeySecret)
            let auth = "\(ACS3Signature.algorithm) Credential=\(credentials.accessKeyId),SignedHeaders=\(cr.signedHeaders),Signature=\(sig)"
            let q = ACS3Signature.canonicalQuery(api)
            var req = HTTPRequest(method: "POST", url: ep.string + (q.isEmpty ? "" : "?" + q))
            for k in headers.keys.sorted() { req.addHeader(k == "host" ? "Host" : k, headers[k]!) }
            req.addHeader("Authorization", auth)
            var shownHeaders = headers
            if shownHeaders["x-acs-security-token"] != nil { shownHeaders["x-acs-security-token"] = "<redacted>" }
            let shownCR = ACS3Signature.canonicalRequest(method: "POST", path: ep.path, query: api, headers: shownHeaders, hashedBody: bodyHash)
            var shown = api
            for (k, v) in shownHeaders { shown[k] = v }
            shown["Authorization"] = auth
            return PreparedRequest(
                http: req, stringToSignForDisplay: shownCR.request + "\n--\n" + sts, displayParameters: shown)
        }
    }

    private func exchange(_ action: String, _ prepared: PreparedRequest, timeout: Double, retryAfter: inout Double?) throws -> JSONValue {
        if let trace = options.trace {
            trace("string-to-sign: \(prepared.stringToSignForDisplay)")
            trace("> \(prepared.http.method) \(Self.displayURL(prepared.http.url))")
            for (k, v) in prepared.http.headers {
                trace("> \(k): \(k.lowercased() == "x-acs-security-token" ? "<redacted>" : v)")
            }
        }
        let response: HTTPResponse
        do {
            response = try http.send(prepared.http)
        } catch let e as ToolError {
            throw e.context(action)
        }
        if let trace = options.trace {
            trace("< HTTP \(response.status)")
            for (k, v) in response.headers { trace("< \(k): \(v)") }
            trace("< \(response.bodyText)")
        }
        if let ms = response.header("x-acs-retry-after").flatMap(Double.init) { retryAfter = ms / 1000 }
        let parsed = try? JSONParser.parse(response.body)
        if response.isSuccess {
            guard let value = parsed, value.objectValue != nil else {
                throw MalformedAnswer(error: ToolError(.dataError, "\(action): HTTP \(response.status): the response is not a JSON object: \(Self.excerpt(response.bodyText))"))
            }
            return value
        }
        let o = parsed?.objectValue ?? [:]
        func field(_ names: String...) -> String? {
            for n in names { if let s = o[n]?.stringValue { return s } }
            return nil
        }
        let code = field("Code", "code") ?? "HTTP\(response.status)"
        let message = field("Message", "message") ?? Self.excerpt(response.bodyText)
        let requestId = field("RequestId", "requestId") ?? response.header("x-acs-request-id")
        throw APIError(action: action, httpStatus: response.status, code: code, message: message, requestId: requestId)
    }

    // MARK: helpers

    /// An action name is ASCII letters and digits; anything else is a usage error (64).
    public static func validate(action: String) throws {
        guard !action.isEmpty, action.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            throw ToolError.usage("action \(action.isEmpty ? "(empty)" : action): not an API action name")
        }
    }

    /// `yyyy-MM-dd'T'HH:mm:ss'Z'` in UTC.
    public static func timestamp(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        func pad(_ v: Int32, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(tm.tm_year + 1900, 4))-\(pad(tm.tm_mon + 1, 2))-\(pad(tm.tm_mday, 2))T\(pad(tm.tm_hour, 2)):\(pad(tm.tm_min, 2)):\(pad(tm.tm_sec, 2))Z"
    }

    /// A URL with `Signature` and `SecurityToken` values replaced, for traces.
    public static func displayURL(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        let parts = url[url.index(after: q)...].split(separator: "&").map { part -> String in
            let name = part.split(separator: "=", maxSplits: 1).first.map(String.init) ?? ""
            return name == "SecurityToken" ? "SecurityToken=<redacted>" : String(part)
        }
        return String(url[..<q]) + "?" + parts.joined(separator: "&")
    }

    static func excerpt(_ s: String) -> String {
        let one = s.replacingText("\n", with: " ").trimmingBlanks()
        return one.count > 200 ? String(one.prefix(200)) + "…" : (one.isEmpty ? "(empty body)" : one)
    }

    static func seconds(_ s: Double) -> String {
        s == s.rounded() ? "\(Int(s))s" : cFormat("%.1fs", s)
    }
}

/// A 2xx answer that is not a JSON object (malformed or cut short): retried for read-only
/// actions, else reported as `error` (65).
struct MalformedAnswer: Error {
    var error: ToolError
}
