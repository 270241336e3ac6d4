import AlicloudKit
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pieces in Support/EssentialsB.swift, and the OSS dates now kept without DateFormatter,
/// against the Foundation calls they replace.
@Suite struct EssentialsShimBTests {
    /// A scratch tree of links: `abs` → real (absolute), `absabs` → abs, `dangling` → a missing
    /// file, `rel` → real (relative), `relup` → ../<tree>/real/deep, `loop1` ↔ `loop2`.
    static func linkTree() throws -> String {
        let root = NSTemporaryDirectory() + "essb-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: root + "/real/deep", withIntermediateDirectories: true)
        let fm = FileManager.default
        try fm.createSymbolicLink(atPath: root + "/abs", withDestinationPath: root + "/real")
        try fm.createSymbolicLink(atPath: root + "/absabs", withDestinationPath: root + "/abs")
        try fm.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: root + "/nowhere")
        try fm.createSymbolicLink(atPath: root + "/rel", withDestinationPath: "real")
        try fm.createSymbolicLink(atPath: root + "/relup", withDestinationPath: "../" + Paths.last(root) + "/real/deep")
        try fm.createSymbolicLink(atPath: root + "/loop1", withDestinationPath: root + "/loop2")
        try fm.createSymbolicLink(atPath: root + "/loop2", withDestinationPath: root + "/loop1")
        return root
    }

    @Test func standardizedMatchesStandardizingPath() throws {
        let root = try Self.linkTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Where Foundation follows the links (absolute ones) or finds none.
        for tail in ["", "/real/deep", "/real/./deep//", "/real/deep/../..", "/abs", "/abs/deep/x", "/absabs/deep", "/abs/../abs/deep",
                     "/dangling", "/dangling/z", "/loop1/a", "/real/../absabs", "/missing/../abs"] {
            let p = root + tail
            #expect(Paths.standardized(p) == (p as NSString).standardizingPath, "\(tail)")
        }
        for p in ["/", "/..", "/a/./b/../c//", "/../a", "//x//y/"] {
            #expect(Paths.standardized(p) == (p as NSString).standardizingPath, "\(p)")
        }
        // Relative links lead where the kernel takes them (Foundation follows them only when
        // they happen to make sense from the working directory).
        #expect(Paths.standardized(root + "/rel/deep") == root + "/real/deep")
        #expect(Paths.standardized(root + "/relup/x") == root + "/real/deep/x")
        #expect(Paths.standardized(root + "/relup/..") == root + "/real")
        // A relative path is taken from the working directory.
        let cwd = FileManager.default.currentDirectoryPath
        #expect(Paths.standardized("x/./y") == (cwd + "/x/y" as NSString).standardizingPath)
    }

    @Test func ossDatesMatchDateFormatter() {
        func formatter(_ pattern: String) -> DateFormatter {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "GMT")
            f.dateFormat = pattern
            return f
        }
        let http = formatter("EEE, dd MMM yyyy HH:mm:ss 'GMT'"), v4 = formatter("yyyyMMdd'T'HHmmss'Z'")
        for t in [0.0, 1_714_979_289, 1_714_979_289.999, 951_782_400, 4_102_444_799, 946_684_800, 253_402_300_799] {
            let d = Date(timeIntervalSince1970: t)
            #expect(OSSSignature.httpDate(d) == http.string(from: d), "\(t)")
            #expect(OSSSignature.v4Timestamp(d) == v4.string(from: d), "\(t)")
            #expect(OSSSignature.parseDate(http.string(from: d)) == http.date(from: http.string(from: d)), "\(t)")
            #expect(OSSSignature.parseDate(v4.string(from: d)) == v4.date(from: v4.string(from: d)), "\(t)")
        }
        for text in ["20240506T070809Z", "2024-05-06T07:08:09Z", "20240506T070809.5Z", "20240506T070809+0100", "2024056T070809Z",
                     "20240506t070809z", "20241306T070809Z", "20240231T070809Z", "20240506T250809Z", "20240506T0708Z", "20240506T070809ZZ",
                     "Mon, 06 May 2024 07:08:09 GMT", "Tue, 06 May 2024 07:08:09 GMT", "Mon, 06 May 2024 07:08:09 UTC", "garbage"] {
            #expect(OSSSignature.parseDate(text) == (http.date(from: text) ?? v4.date(from: text)), "\(text)")
        }
        // What DateFormatter also took (a missing "Z" or "GMT", "" as 2000-01-01, a lower-case
        // month) is no OSS date: refused.
        for text in ["20240506T070809", "", "Mon, 6 May 2024 07:08:09", "Mon, 06 may 2024 07:08:09 GMT"] {
            #expect(OSSSignature.parseDate(text) == nil, "\(text)")
        }
    }
}
