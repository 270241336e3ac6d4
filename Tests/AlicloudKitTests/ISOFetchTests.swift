import Foundation
import Testing
@testable import AlicloudKit

/// A fresh directory under /tmp, removed by the caller.
private func scratch() throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("iso-fetch-\(getpid())-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

private func names(_ dir: String) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

private let isoBytes: [UInt8] = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
private let isoSHA256 = "sha256:" + SHA256.hash(isoBytes).hexString

@Suite struct ISOChecksumTests {
    @Test func typedAndBareValues() throws {
        let md5 = try #require(ISOChecksum("MD5:" + String(repeating: "AB", count: 16)))
        #expect(md5.text == "md5:" + String(repeating: "ab", count: 16))
        #expect(ISOChecksum(String(repeating: "0", count: 64))?.type == "sha256")
        #expect(ISOChecksum(String(repeating: "0", count: 40))?.type == "sha1")
        #expect(ISOChecksum("sha256:" + String(repeating: "0", count: 40)) == nil)  // a sha1's length
        #expect(ISOChecksum("crc32:00000000") == nil)
        #expect(ISOChecksum("sha256:xyz") == nil)
    }

    @Test func listsAreSearchedAsGoGetterDoes() {
        let a = String(repeating: "a", count: 64), b = String(repeating: "b", count: 64), c = String(repeating: "c", count: 32)
        let list = """
            \(a)  other.iso
            \(b) *debian-12.iso
            MD5 (tools/extra.iso) = \(c)
            not a checksum line at all
            """
        #expect(ChecksumList.find(in: list, isoPath: "/mirror/debian-12.iso", listPath: "/mirror/SHA256SUMS")?.text == "sha256:" + b)
        #expect(ChecksumList.find(in: list, isoPath: "/mirror/tools/extra.iso", listPath: "/mirror/MD5SUMS")?.text == "md5:" + c)
        #expect(ChecksumList.find(in: list, isoPath: "/mirror/missing.iso", listPath: "/mirror/SHA256SUMS") == nil)
        // A path relative to the list's directory, and a line that names no file.
        #expect(ChecksumList.find(in: "\(a)  ./sub/x.iso\n", isoPath: "/m/sub/x.iso", listPath: "/m/SUMS")?.text == "sha256:" + a)
        #expect(ChecksumList.find(in: "\(c)\n", isoPath: "/m/x.iso", listPath: "/m/x.iso.md5")?.text == "md5:" + c)
        #expect(ChecksumList.relativePath("/a/b/c.iso", from: "/a/d") == "../b/c.iso")
    }

    @Test func progressLine() {
        #expect(DownloadProgress.size(512) == "512 B")
        #expect(DownloadProgress.size(1536) == "1.5 KiB")
        #expect(DownloadProgress.size(640 << 20) == "640.0 MiB")
        #expect(DownloadProgress.line(received: 32 << 20, total: 64 << 20, elapsed: 2) == "32.0 MiB / 64.0 MiB (50%) 16.0 MiB/s")
        #expect(DownloadProgress.line(received: 10, total: nil, elapsed: 0) == "10 B")
    }
}

@Suite struct ISOFetchTests {
    @Test func cacheNameIsPackers() {
        var f = ISOFetch(urls: ["http://h/x.iso"], checksum: "none", environment: ["PACKER_CACHE_DIR": "/var/cache/p"])
        let sum = ISOChecksum(isoSHA256)
        #expect(f.target(for: "http://h/x.iso", checksum: sum) == "/var/cache/p/" + SHA1.hash(isoSHA256).hexString + ".iso")
        #expect(f.target(for: "http://h/x.iso", checksum: nil) == "/var/cache/p/" + SHA1.hash("http://h/x.iso").hexString + ".iso")
        f.targetPath = "/isos/mine.img"
        #expect(f.target(for: "http://h/x.iso", checksum: sum) == "/isos/mine.img")
        f.targetPath = "/isos"
        f.fileExtension = "img"
        #expect(f.target(for: "http://h/x.iso", checksum: sum) == "/isos/" + SHA1.hash(isoSHA256).hexString + ".img")
        let relative = ISOFetch(urls: [], checksum: "none", environment: [:])
        #expect(relative.cacheDirectory == FileManager.default.currentDirectoryPath + "/packer_cache")
        #expect(f.shown("http://h/x.iso", sum) == "http://h/x.iso?checksum=sha256%3A" + sum!.value.hexString)
    }

    @Test func downloadsOnceThenReusesTheCache() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try HTTPTestServer { _ in .init(status: 200, body: isoBytes) }
        var lines: [String] = []
        var f = ISOFetch(urls: [server.url + "/x.iso"], checksum: isoSHA256, environment: ["PACKER_CACHE_DIR": dir])
        f.say = { lines.append($0) }
        var seen: (Int64, Int64?) = (0, nil)
        f.progress = { seen = ($0, $1) }
        let path = try f.run()
        #expect(path == f.target(for: server.url + "/x.iso", checksum: ISOChecksum(isoSHA256)))
        #expect(FileManager.default.contents(atPath: path) == Data(isoBytes))
        #expect(seen == (Int64(isoBytes.count), Int64(isoBytes.count)))
        #expect(lines.last == "\(f.shown(server.url + "/x.iso", ISOChecksum(isoSHA256))) => \(path)")
        #expect(names(dir) == [(path as NSString).lastPathComponent, (path as NSString).lastPathComponent + ".lock"])
        #expect(try f.run() == path)
        #expect(server.requests.count == 1)
    }

    @Test func aMismatchLeavesNothingInTheCache() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try HTTPTestServer { _ in .init(status: 200, body: isoBytes) }
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        let f = ISOFetch(urls: [server.url + "/x.iso"], checksum: wrong, environment: ["PACKER_CACHE_DIR": dir])
        let error = try #require(throws: ToolError.self) { try f.run() }
        #expect(error.status == .dataError)
        #expect(error.message == "\(server.url)/x.iso: checksums did not match: expected \(wrong), got \(isoSHA256)")
        #expect(names(dir).allSatisfy { $0.hasSuffix(".lock") })
        // A cached entry that no longer matches is removed and fetched again.
        let good = ISOFetch(urls: [server.url + "/x.iso"], checksum: isoSHA256, environment: ["PACKER_CACHE_DIR": dir])
        let target = good.target(for: server.url + "/x.iso", checksum: ISOChecksum(isoSHA256))
        _ = FileManager.default.createFile(atPath: target, contents: Data("stale".utf8))
        #expect(try good.run() == target)
        #expect(FileManager.default.contents(atPath: target) == Data(isoBytes))
    }

    @Test func urlsAreTriedInOrderAndFailuresNamed() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let server = try HTTPTestServer { r in r.target == "/x.iso" ? .init(status: 200, body: isoBytes) : .init(status: 404) }
        let missing = "\(dir)/missing.iso"
        let f = ISOFetch(urls: [missing, server.url + "/gone.iso", server.url + "/x.iso"], checksum: isoSHA256,
                         environment: ["PACKER_CACHE_DIR": dir])
        #expect(try f.run().hasPrefix(dir + "/"))
        // The cache is keyed by the checksum, whatever the URL: another cache, or it would serve.
        let none = ISOFetch(urls: [missing, server.url + "/gone.iso"], checksum: isoSHA256, environment: ["PACKER_CACHE_DIR": dir + "/other"])
        let error = try #require(throws: ToolError.self) { try none.run() }
        #expect(error.status == .noInput)
        #expect(error.message == "\(missing): no such file; \(server.url)/gone.iso: HTTP 404 Not Found")
        // --check needs no network: a local file is checked, a URL is left for the build.
        #expect(try f.check() == .remote(url: server.url + "/gone.iso", target: f.target(for: "", checksum: ISOChecksum(isoSHA256))))
    }

    @Test func aLocalFileIsUsedInPlaceOnceItMatches() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let iso = "\(dir)/local.iso"
        _ = FileManager.default.createFile(atPath: iso, contents: Data(isoBytes))
        #expect(try ISOFetch(urls: ["file://" + iso], checksum: isoSHA256, environment: ["PACKER_CACHE_DIR": dir]).run() == iso)
        #expect(try ISOFetch(urls: [iso], checksum: "none", environment: [:]).check() == .local(iso))
        let sums = "\(dir)/SHA256SUMS"
        _ = FileManager.default.createFile(atPath: sums, contents: Data("\(isoSHA256.dropFirst(7))  local.iso\n".utf8))
        #expect(try ISOFetch(urls: [iso], checksum: "file:" + sums, environment: [:]).check() == .local(iso))
        let wrong = ISOFetch(urls: [iso], checksum: "md5:" + String(repeating: "0", count: 32), environment: [:])
        #expect((try #require(throws: ToolError.self) { try wrong.check() }).status == .dataError)
        #expect(FileManager.default.fileExists(atPath: iso))  // the user's file stays
        let unlisted = ISOFetch(urls: [iso], checksum: "file:\(dir)/none-such", environment: [:])
        #expect((try #require(throws: ToolError.self) { try unlisted.check() }).status == .noInput)
    }

    @Test func refusedConnectionIsUnavailable() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // A port nothing listens on: bound, then closed.
        let server = try HTTPTestServer { _ in .init() }
        let port = server.port
        server.stop()
        var f = ISOFetch(urls: ["http://127.0.0.1:\(port)/x.iso"], checksum: isoSHA256, environment: ["PACKER_CACHE_DIR": dir])
        f.http.connectTimeout = 5
        let error = try #require(throws: ToolError.self) { try f.run() }
        #expect(error.status == .unavailable)
        #expect(error.message.hasPrefix("http://127.0.0.1:\(port)/x.iso: "))
        #expect(names(dir).allSatisfy { $0.hasSuffix(".lock") })
    }
}
