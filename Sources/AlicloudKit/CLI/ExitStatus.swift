/// The one exit-status table shared by every tool (sysexits.h values, as STYLE.md lists).
public enum ExitStatus: Int32, Sendable, CaseIterable {
    /// Success.
    case ok = 0
    /// The operation failed (an API error, a failed build, a failed check).
    case failed = 1
    /// The command was used wrongly: unknown option, missing argument.
    case usage = 64
    /// The input data was wrong: a bad template, a malformed response, a bad value.
    case dataError = 65
    /// An input file is missing or unreadable.
    case noInput = 66
    /// A service could not be reached (connection refused, DNS failure).
    case unavailable = 69
    /// An internal error: a bug in the toolkit.
    case software = 70
    /// Cannot create an output file.
    case cantCreate = 73
    /// A write failed: standard output is full, closed or broken.
    case ioError = 74
    /// Timed out or throttled: retrying later may succeed.
    case tempFail = 75
    /// The credentials were rejected.
    case noPermission = 77
    /// Configuration or credentials are missing.
    case config = 78
    /// A remote runner's own failure (as ssh(1) uses 255).
    case remoteRunner = 255

    /// The exit status after a fatal signal, as shells report it (128 + n).
    public static func signaled(_ signal: Int32) -> Int32 { 128 + signal }
}
