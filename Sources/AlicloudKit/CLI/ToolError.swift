/// The one error type every tool reports: a lowercase `context: cause` message and the
/// exit status it maps to.
public struct ToolError: Error, CustomStringConvertible, Sendable {
    /// The exit status the tool ends with when this error reaches the runner.
    public var status: ExitStatus
    /// `context: cause`, without the tool's name (the runner adds it).
    public var message: String

    /// Makes an error with an explicit exit status.
    public init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    /// Misuse of the command line (exit 64).
    public static func usage(_ message: String) -> ToolError { ToolError(.usage, message) }
    /// Bad input data (exit 65).
    public static func data(_ message: String) -> ToolError { ToolError(.dataError, message) }
    /// An operation failed (exit 1).
    public static func failed(_ message: String) -> ToolError { ToolError(.failed, message) }

    /// Prefixes the message with a context, e.g. the action or file being processed.
    public func context(_ context: String) -> ToolError {
        ToolError(status, "\(context): \(message)")
    }

    public var description: String { message }
}
