import AlicloudKit
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pieces in Support/EssentialsB.swift against the Foundation calls they replace.
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
}
