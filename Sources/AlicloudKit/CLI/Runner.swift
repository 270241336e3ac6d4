#if canImport(Glibc)
import Glibc
#endif
import FoundationEssentials

/// Runs a tool's body and owns its stderr text and exit status: a thrown `ToolError`
/// becomes `tool: message` and its status; anything else is an internal error (70). A
/// remote runner's failure with a status its spec does not document ends with the spec's
/// `ownFailure` (255), so a caller tells it from the remote command's documented ones.
/// A failed write to standard output turns success into 74.
public func runTool(_ spec: CommandSpec, _ body: () throws -> Void) -> Never {
    runTool(spec.tool, status: spec.exitStatus(for:), body)
}

/// `runTool` for a helper program without a spec (digest-bench).
public func runTool(_ name: String, _ body: () throws -> Void) -> Never {
    runTool(name, status: { $0.status.rawValue }, body)
}

private func runTool(_ name: String, status statusOf: (ToolError) -> Int32, _ body: () throws -> Void) -> Never {
    signal(SIGPIPE, SIG_IGN)
    var status: Int32
    do {
        try body()
        status = ExitStatus.ok.rawValue
    } catch let error as ToolError {
        StandardStream.err("\(name): \(error.message)\n")
        status = statusOf(error)
    } catch let error as ExitRequest {
        status = error.code
    } catch {
        StandardStream.err("\(name): internal error: \(error)\n")
        status = ExitStatus.software.rawValue
    }
    exit(finalStatus(name, status))
}

/// The status to exit with after `status`, once standard output is checked: a write to it
/// that failed is reported (`tool: stdout: cause`) and makes a success exit 74.
public func finalStatus(_ name: String, _ status: Int32) -> Int32 {
    guard status != ExitStatus.ioError.rawValue, let problem = StandardStream.outputError else { return status }
    StandardStream.err("\(name): \(problem)\n")
    return status == ExitStatus.ok.rawValue ? ExitStatus.ioError.rawValue : status
}

extension StandardStream {
    /// Throws exit 74 when a write to standard output has failed: for a long-running tool
    /// whose only output is the line saying it is ready.
    public static func checkOutput() throws {
        if let problem = outputError { throw ToolError(.ioError, problem) }
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
