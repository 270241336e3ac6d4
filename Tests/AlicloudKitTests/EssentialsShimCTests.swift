#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import AlicloudKit

/// Process, provisioning, SSH and WinRM code moved off Foundation (issue 16, partition C):
/// what it computes with the Essentials shims, against the Foundation calls it used before.
@Suite struct EssentialsShimCTests {
    @Test func clixmlEscapeMatchesTheStringFormatForm() {
        for text in ["plain", "a\r\nb", "_x", "a_xb_x", "_", "x_", "\u{1}\u{1F}\t", "é🙂\u{7F}_x🙂", ""] {
            var expected: [UInt16] = []
            let units = Array(text.utf16)
            for (i, u) in units.enumerated() {
                if u < 0x20 || (u == 95 && i + 1 < units.count && units[i + 1] == 120) {
                    expected += String(format: "_x%04X_", u).utf16
                } else {
                    expected.append(u)
                }
            }
            #expect(CLIXML.escape(text) == WSMan.escape(String(decoding: expected, as: UTF16.self)), "\(Array(text.unicodeScalars))")
            #expect(CLIXML.unescape(CLIXML.escape(text)) == text)
        }
        #expect(CLIXML.escape("<_x&>") == "&lt;_x005F_x&amp;&gt;")
    }

    @Test func fractionalDurationsMatchStringFormat() {
        for seconds in [1.5, 0.25, 2.125, 59.999, 1 / 3.0] {
            #expect(WSMan.duration(seconds) == "PT\(String(format: "%.3f", seconds))S")
        }
        for (seconds, whole) in [(2.25, "2"), (61.125, "1m1"), (3600.5, "1h0m0")] {
            var frac = String(format: "%.9f", seconds - seconds.rounded(.down)).dropFirst(1)
            while frac.hasSuffix("0") { frac = frac.dropLast() }
            #expect(goDuration(seconds) == "\(whole)\(frac)s")
        }
    }

    @Test func tarAndFileNamesMatchNSString() {
        for dir in ["/srv/site", "/srv/site/", "site", "a/b//", "/top", "/"] {
            var d = dir
            while d.count > 1 && d.hasSuffix("/") { d.removeLast() }
            let ns = d as NSString
            let parent = d.count == 1 && d != "/" ? "" : ns.deletingLastPathComponent  // Foundation traps on "a"
            #expect(SSHTransport.tarCreate(dir, contentsOnly: false) == ["-C", parent.isEmpty ? "." : parent, "-cf", "-", ns.lastPathComponent])
            #expect(FileProvisioner.baseName(dir) == ns.lastPathComponent, "\(dir)")
        }
    }

    @Test func readAllMatchesFileHandleOnAPipe() throws {
        let p = try makePipe()
        let bytes = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        startThread {
            var off = 0
            while off < bytes.count {
                let n = bytes[off...].withUnsafeBytes { write(p.write, $0.baseAddress, $0.count) }
                if n <= 0 { break }
                off += n
            }
            close(p.write)
        }
        let got = try readAll(fd: p.read)
        close(p.read)
        #expect(got == bytes)
        let file = Paths.temporary() + "essentials-c-\(getpid()).bin"
        defer { unlink(file) }
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let fd = open(file, O_RDONLY)
        defer { close(fd) }
        let mine = try readAll(fd: fd)
        #expect(mine == [UInt8](FileHandle(forReadingAtPath: file)!.readDataToEndOfFile()))
    }
}
