/// An error answer from an Alibaba Cloud API: HTTP status, Code, Message, RequestId.
public struct APIError: Error, Sendable, CustomStringConvertible {
    /// The action that failed.
    public var action: String
    /// The HTTP status.
    public var httpStatus: Int
    /// The error code (`Throttling.User`, `InvalidParameter`, ...).
    public var code: String
    /// The server's message.
    public var message: String
    /// The request id, when the server gave one.
    public var requestId: String?
    /// Whether retries were spent on it (throttling or 5xx until the budget ran out).
    public var retriesExhausted = false

    /// Makes an error.
    public init(action: String, httpStatus: Int, code: String, message: String, requestId: String?) {
        self.action = action
        self.httpStatus = httpStatus
        self.code = code
        self.message = message
        self.requestId = requestId
    }

    /// `CreateVpc: Throttling.User (HTTP 400): <Message> [RequestId …]`
    public var description: String {
        var s = "\(action): \(code) (HTTP \(httpStatus)): \(message)"
        if let requestId { s += " [RequestId \(requestId)]" }
        return s
    }

    /// Codes that mean the credentials or signature were rejected (exit 77).
    public var isAuthRejected: Bool {
        code == "SignatureDoesNotMatch" || code == "IncompleteSignature" || code.hasPrefix("InvalidAccessKeyId")
            || code.hasPrefix("InvalidSecurityToken") || code == "Forbidden.RAM" || code == "Forbidden.AccessKeyDisabled"
            || code == "InvalidAccessKeySecret" || code == "NoPermission"
    }

    /// Throttling codes.
    public var isThrottling: Bool { code.hasPrefix("Throttling") || code == "Rejected.Throttling" }

    /// Errors that retrying may cure: throttling, 5xx, ServiceUnavailable, InternalError.
    public var isTransient: Bool {
        isThrottling || httpStatus >= 500 || code == "ServiceUnavailable" || code == "InternalError"
            || code == "UnknownError"
    }

    /// The exit status: 77 auth rejected, 75 throttled/unavailable after retries, else 1.
    public var exitStatus: ExitStatus {
        if isAuthRejected { return .noPermission }
        if isTransient { return .tempFail }
        return .failed
    }

    /// This error as the one error type tools report.
    public var toolError: ToolError { ToolError(exitStatus, description) }
}
