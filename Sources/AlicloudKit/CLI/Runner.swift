#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Runs a tool's body and owns its stderr text and exit status: a thrown `ToolError`
/// becomes `tool: message` and its status; anything else is an internal error (70).
public func runTool(_ name: String, _ body: () throws -> Void) -> Never {
    signal(SIGPIPE, SIG_IGN)
    do {
        try body()
        exit(ExitStatus.ok.rawValue)
    } catch let error as ToolError {
        StandardStream.err("\(name): \(error.message)\n")
        exit(error.status.rawValue)
    } catch let error as ExitRequest {
        exit(error.code)
    } catch {
        StandardStream.err("\(name): internal error: \(error)\n")
        exit(ExitStatus.software.rawValue)
    }
}

/// Thrown to end a tool with a given status after its output is already written
/// (a remote command's status, or 128+n after a signal).
public struct ExitRequest: Error, Sendable {
    /// The process exit code.
    public var code: Int32
    /// Ends the tool with `code`.
    public init(_ code: Int32) { self.code = code }
}
