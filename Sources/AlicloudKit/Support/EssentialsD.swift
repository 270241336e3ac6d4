// Replacements for Foundation calls the emulator (EcsSimKit, ecs-sim, http-serve) used, on
// FoundationEssentials and Glibc alone; EssentialsShimDTests holds them to Foundation.
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// What went wrong, in a few words, for an error thrown by FileManager or Data's file calls
/// (what `localizedDescription` gave): the C library's message for the POSIX error beneath a
/// `CocoaError` ("No such file or directory"), the error's own description for anything else.
public func errorText(_ error: any Error) -> String {
    if let posix = error as? POSIXError { return errnoText(posix.code.rawValue) }
    guard let cocoa = error as? CocoaError else { return String(describing: error) }
    if let posix = cocoa.userInfo["NSUnderlyingError"] as? POSIXError { return errnoText(posix.code.rawValue) }
    if let code = cocoaErrno[cocoa.code.rawValue] { return errnoText(code) }
    return String(describing: error)
}

/// The errno behind the CocoaError file codes that come without an underlying POSIX error.
private let cocoaErrno: [Int: Int32] = [
    CocoaError.Code.fileNoSuchFile.rawValue: ENOENT,
    CocoaError.Code.fileReadNoSuchFile.rawValue: ENOENT,
    CocoaError.Code.fileReadNoPermission.rawValue: EACCES,
    CocoaError.Code.fileWriteNoPermission.rawValue: EACCES,
    CocoaError.Code.fileWriteFileExists.rawValue: EEXIST,
    CocoaError.Code.fileWriteOutOfSpace.rawValue: ENOSPC,
    CocoaError.Code.fileWriteVolumeReadOnly.rawValue: EROFS,
]

extension StringProtocol {
    /// Whether the two are equal ignoring case, with full case folding ("straße" equals
    /// "STRASSE") and canonical equivalence (`caseInsensitiveCompare(_:) == .orderedSame`).
    public func equalsIgnoringCase(_ other: some StringProtocol) -> Bool {
        uppercased().lowercased() == other.uppercased().lowercased()
    }
}
