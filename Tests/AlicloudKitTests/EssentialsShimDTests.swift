import AlicloudKit
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pieces in Support/EssentialsD.swift against the Foundation calls they replace.
@Suite struct EssentialsShimDTests {
    /// Each failing call, the errno it fails with here, and what errorText must say.
    @Test func errorTextGivesTheCauseFoundationCarries() {
        let scratch = NSTemporaryDirectory() + "essd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let cases: [(String, Int32, () throws -> Void)] = [
            ("mkdir under a missing parent in /proc", ENOENT, { try FileManager.default.createDirectory(atPath: "/proc/essd-none/x", withIntermediateDirectories: true) }),
            ("write under a missing directory", ENOENT, { try Data().write(to: URL(fileURLWithPath: "/essd-none/x")) }),
            ("remove a missing file", ENOENT, { try FileManager.default.removeItem(atPath: "/essd-none/x") }),
            ("copy a missing file", ENOENT, { try FileManager.default.copyItem(atPath: "/essd-none/x", toPath: scratch) }),
            ("read a missing file", ENOENT, { _ = try String(contentsOfFile: "/essd-none/x", encoding: .utf8) }),
            ("list a file as a directory", ENOTDIR, { _ = try FileManager.default.contentsOfDirectory(atPath: "/etc/passwd") }),
        ]
        for (what, code, call) in cases {
            do {
                try call()
                Issue.record("\(what): no error")
            } catch {
                #expect(errorText(error) == String(cString: strerror(code)), "\(what): \(error)")
                // Where Foundation names the POSIX error beneath, it is the same one.
                if let beneath = (error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError {
                    #expect(Int32(beneath.code) == code, "\(what)")
                }
            }
        }
        #expect(errorText(POSIXError(.EACCES)) == String(cString: strerror(EACCES)))
        #expect(errorText(ToolError(.failed, "x: broken")) == "x: broken")
        #expect(errorText(CocoaError(.fileWriteOutOfSpace)) == String(cString: strerror(ENOSPC)))
    }

    @Test func equalsIgnoringCaseMatchesCaseInsensitiveCompare() {
        let pairs = [("Path", "PATH"), ("path", "pathx"), ("", ""), ("a", ""), ("straße", "STRASSE"), ("σοφός", "ΣΟΦΌΣ"),
                     ("\u{E9}t\u{E9}", "E\u{301}T\u{C9}"), ("ProgramFiles(x86)", "programfiles(X86)"), ("temp", "tmp"), ("Ǆ", "ǆ")]
        for (a, b) in pairs {
            #expect(a.equalsIgnoringCase(b) == (a.caseInsensitiveCompare(b) == .orderedSame), "\(a) \(b)")
            #expect(b.equalsIgnoringCase(a) == a.equalsIgnoringCase(b))
        }
    }
}
