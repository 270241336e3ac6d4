/// An error answered the way the real endpoint answers it: an HTTP status and a JSON body
/// with RequestId, HostId, Code, Message and Recommend.
public struct CloudError: Error, Sendable, Equatable {
    /// The error code (`InvalidParameter`, `IncorrectInstanceStatus`, ...).
    public var code: String
    /// The human message.
    public var message: String
    /// The HTTP status.
    public var status: Int

    /// Makes an error.
    public init(_ code: String, _ message: String, status: Int = 400) {
        self.code = code
        self.message = message
        self.status = status
    }

    /// `MissingParameter` for a required parameter.
    public static func missing(_ name: String) -> CloudError {
        CloudError("MissingParameter", "The input parameter \"\(name)\" that is mandatory for processing this request is not supplied.")
    }
    /// `InvalidParameter` (or a more specific `Invalid<Name>`) for a bad value.
    public static func invalid(_ name: String, _ detail: String = "", code: String = "InvalidParameter") -> CloudError {
        CloudError(code, "The specified parameter \"\(name)\" is not valid." + (detail.isEmpty ? "" : " \(detail)"))
    }
    /// `Invalid<Kind>Id.NotFound` (HTTP 404).
    public static func notFound(_ code: String, _ what: String, _ id: String) -> CloudError {
        CloudError(code, "The specified \(what) \"\(id)\" does not exist.", status: 404)
    }
    /// `IncorrectInstanceStatus` and friends: the resource is in the wrong state (HTTP 403,
    /// as the real ECS endpoint answers state conflicts).
    public static func incorrectStatus(_ code: String, _ message: String) -> CloudError {
        CloudError(code, message, status: 403)
    }
    /// `DependencyViolation*` (HTTP 400 on VPC, 403 on ECS; 400 used here throughout).
    public static func dependency(_ code: String, _ message: String) -> CloudError {
        CloudError(code, message, status: 400)
    }
}
