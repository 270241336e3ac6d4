import AlicloudKit
import Foundation
import Testing
@testable import EcsSimKit

/// The OSS client and DiskUpload against OSSService behind ecs-sim's own listener (OSS
/// requests are told apart by their Authorization scheme; nothing else is served here).
final class OSSFixture {
    static let ak = "LTAI5tSimAccessKeyId01"
    static let sk = "SimSecretKey0123456789abcdefXYZ"
    let dir: URL
    let service: OSSService
    let server: HTTPServer

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("oss-test-\(UUID().uuidString)")
        service = try OSSService(root: dir.appendingPathComponent("store"), credentials: [Self.ak: Self.sk])
        server = HTTPServer(objectStore: service) { _ in ServerResponse(status: 404) }
        try server.start(address: "127.0.0.1", port: 0)
    }

    deinit {
        server.stop()
        try? FileManager.default.removeItem(at: dir)
    }

    func client(_ version: OSSSignatureVersion = .v4, secret: String = OSSFixture.sk, token: String? = nil) -> OSSClient {
        var options = HTTPOptions()
        options.environment = [:]
        let c = OSSClient(endpoint: try! OSSEndpoint.parse("http://127.0.0.1:\(server.port)"), region: "cn-hangzhou",
                          credentials: OSSCredentials(accessKeyId: Self.ak, accessKeySecret: secret, securityToken: token),
                          signatureVersion: version, options: options)
        c.attempts = 1
        return c
    }

    /// A file of `size` pseudo-random bytes.
    func file(_ name: String, size: Int, seed: UInt64 = 1) throws -> URL {
        var x = seed &* 0x9E37_79B9_7F4A_7C15
        var bytes = [UInt8](repeating: 0, count: size)
        for i in 0..<size {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            bytes[i] = UInt8(truncatingIfNeeded: x)
        }
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func stored(_ bucket: String, _ key: String) -> Data? {
        service.objectSegments(bucket: bucket, key: key).flatMap { files in
            try? files.reduce(into: Data()) { $0 += try Data(contentsOf: $1) }
        }
    }
}

@Suite(.serialized) struct OSSServiceTests {
    @Test func bucketsAndSmallObjectsBothSignatures() throws {
        let fx = try OSSFixture()
        for version in [OSSSignatureVersion.v1, .v4] {
            let c = fx.client(version)
            let bucket = "bucket-\(version.rawValue)"
            do {
                _ = try c.bucketLocation(bucket)
                Issue.record("a missing bucket was found")
            } catch let e as OSSError {
                #expect(e.status == 404 && e.code == "NoSuchBucket" && !e.requestId.isEmpty)
            }
            try c.putBucket(bucket)
            #expect(try c.bucketLocation(bucket) == "oss-cn-hangzhou")
            #expect(throws: OSSError.self) { try c.putBucket(bucket) }
            let f = try fx.file("small-\(version.rawValue)", size: 1000)
            let r = try DiskUpload(client: c, bucket: bucket, key: "dir/a b+c.raw", path: f.path, settings: UploadSettings()).run()
            #expect(r.parts == 1 && r.size == 1000)
            #expect(fx.stored(bucket, "dir/a b+c.raw") == (try Data(contentsOf: f)))
            let head = try #require(try c.headObject(bucket: bucket, key: "dir/a b+c.raw"))
            #expect(head.size == 1000 && head.crc64 == r.crc64 && head.type == "Normal")
            #expect(head.etag == MD5.hash([UInt8](try Data(contentsOf: f))).hexString.uppercased())
            try c.deleteObject(bucket: bucket, key: "dir/a b+c.raw")
            #expect(try c.headObject(bucket: bucket, key: "dir/a b+c.raw") == nil)
            try c.deleteObject(bucket: bucket, key: "dir/a b+c.raw")  // idempotent
        }
    }

    @Test func wrongSecretAndUnknownKeyAreRejected() throws {
        let fx = try OSSFixture()
        try fx.client().putBucket("bucket1")
        for version in [OSSSignatureVersion.v1, .v4] {
            do {
                _ = try fx.client(version, secret: "wrong").bucketLocation("bucket1")
                Issue.record("a wrong secret was accepted")
            } catch let e as OSSError {
                #expect(e.status == 403 && e.code == "SignatureDoesNotMatch" && e.exitStatus == .noPermission)
            }
        }
        // The STS token is signed: the same request with a token verifies too.
        #expect(try fx.client(.v1, token: "CAIS+tok").bucketLocation("bucket1") == "oss-cn-hangzhou")
        // Anonymous requests are refused.
        let anon = fx.service.handle(OSSRequest(method: "GET", target: "/bucket1/?bucketInfo", headers: [("Host", "127.0.0.1")]))
        #expect(anon.status == 403)
    }

    @Test func virtualHostAddressing() throws {
        let fx = try OSSFixture()
        try fx.service.createBucket("vbucket", region: "eu-central-1")
        var headers: [(name: String, value: String)] = [("Host", "vbucket.oss-eu-central-1.aliyuncs.com")]
        let c = OSSClient(endpoint: .region("eu-central-1"), region: "eu-central-1",
                          credentials: OSSCredentials(accessKeyId: OSSFixture.ak, accessKeySecret: OSSFixture.sk))
        c.sign(method: "GET", bucket: "vbucket", key: nil, query: [("bucketInfo", "")], headers: &headers)
        let r = fx.service.handle(OSSRequest(method: "GET", target: "/?bucketInfo", headers: headers.map { ($0.name, $0.value) }))
        #expect(r.status == 200)
        guard case .bytes(let body) = r.body else { Issue.record("no body"); return }
        #expect(XMLTree.parse(body)?.child("Bucket")?["Location"] == "oss-eu-central-1")
        #expect(OSSService.isOSSRequest(target: "/?bucketInfo", headers: [("Host", "vbucket.oss-eu-central-1.aliyuncs.com")]))
        #expect(!OSSService.isOSSRequest(target: "/?Action=DescribeRegions", headers: [("Host", "127.0.0.1:8080")]))
    }

    @Test func parallelMultipartUpload() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        let f = try fx.file("disk.raw", size: 1_300_000)
        let up = DiskUpload(client: c, bucket: "disks", key: "disk.raw", path: f.path,
                            settings: UploadSettings(partSize: 200 << 10, parallel: 4, stateDirectory: fx.dir.appendingPathComponent("state")))
        let seen = Counter()
        up.progress = { done, total in seen.add(done, total) }
        let r = try up.run()
        #expect(r.parts == 7 && r.resumedParts == 0 && r.size == 1_300_000)
        #expect(r.crc64 == CRC64ECMA.checksum([UInt8](try Data(contentsOf: f))))
        #expect(fx.stored("disks", "disk.raw") == (try Data(contentsOf: f)))
        let head = try #require(try c.headObject(bucket: "disks", key: "disk.raw"))
        #expect(head.type == "Multipart" && head.etag.hasSuffix("-7") && head.crc64 == r.crc64)
        #expect(seen.last == 1_300_000 && seen.calls == 7)
        // The state file is gone after completion and no upload is left behind.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: fx.dir.appendingPathComponent("state").path)) ?? []).isEmpty)
        #expect(try c.listParts(bucket: "disks", key: "disk.raw", uploadId: r.uploadId!) == nil)
    }

    @Test func resumeAfterInterruptionThenAbort() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        let f = try fx.file("disk.qcow2", size: 1_000_000, seed: 7)
        let settings = UploadSettings(partSize: 100 << 10, parallel: 1, stateDirectory: fx.dir.appendingPathComponent("state"))
        // First run: the connection "dies" from part 4 on (a non-retryable answer).
        fx.service.interceptRequest = { [service = fx.service] req in
            if req.method == "PUT", req.target.contains("partNumber="), !req.target.contains("partNumber=1&"),
               !req.target.contains("partNumber=2&"), !req.target.contains("partNumber=3&") {
                return service.errorAnswer(status: 403, code: "AccessDenied", message: "injected")
            }
            return nil
        }
        #expect(throws: ToolError.self) { try DiskUpload(client: c, bucket: "disks", key: "k", path: f.path, settings: settings).run() }
        fx.service.interceptRequest = nil
        let states = try FileManager.default.contentsOfDirectory(atPath: settings.stateDirectory!.path)
        #expect(states.count == 1)
        // Second run of the same command: parts 1-3 are kept, 4-10 sent.
        let r = try DiskUpload(client: c, bucket: "disks", key: "k", path: f.path, settings: settings).run()
        #expect(r.resumedParts == 3 && r.parts == 10)
        #expect(fx.stored("disks", "k") == (try Data(contentsOf: f)))

        // Abort: an interrupted upload is removed from OSS and the state forgotten.
        fx.service.interceptRequest = { [service = fx.service] req in
            req.target.contains("partNumber=2&") ? service.errorAnswer(status: 403, code: "AccessDenied", message: "injected") : nil
        }
        #expect(throws: ToolError.self) { try DiskUpload(client: c, bucket: "disks", key: "k2", path: f.path, settings: settings).run() }
        fx.service.interceptRequest = nil
        let up = DiskUpload(client: c, bucket: "disks", key: "k2", path: f.path, settings: settings)
        let id = try #require(try up.abort())
        #expect(try c.listParts(bucket: "disks", key: "k2", uploadId: id) == nil)
        #expect(try up.abort() == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: settings.stateDirectory!.path).isEmpty)
    }

    @Test func corruptedPartIsInvalidDigest() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        let id = try c.initiateMultipartUpload(bucket: "disks", key: "x")
        let body = [UInt8](repeating: 0xab, count: 200_000)
        var wrong = MD5.hash(body)
        wrong[0] ^= 1
        do {
            _ = try c.uploadPart(bucket: "disks", key: "x", uploadId: id, number: 1, body: .bytes(body), contentMD5: wrong.base64String)
            Issue.record("a corrupted part was accepted")
        } catch let e as OSSError {
            #expect(e.status == 400 && e.code == "InvalidDigest")
        }
        #expect(try c.listParts(bucket: "disks", key: "x", uploadId: id) == [])
        let ok = try c.uploadPart(bucket: "disks", key: "x", uploadId: id, number: 1, body: .bytes(body), contentMD5: MD5.hash(body).base64String)
        #expect(ok.etag == MD5.hash(body).hexString.uppercased() && ok.crc64 == CRC64ECMA.checksum(body))
        // Complete refuses a wrong ETag, a wrong order, and a small middle part.
        let small = [UInt8](repeating: 1, count: 10)
        _ = try c.uploadPart(bucket: "disks", key: "x", uploadId: id, number: 2, body: .bytes(small), contentMD5: MD5.hash(small).base64String)
        _ = try c.uploadPart(bucket: "disks", key: "x", uploadId: id, number: 3, body: .bytes(small), contentMD5: MD5.hash(small).base64String)
        let parts = try #require(try c.listParts(bucket: "disks", key: "x", uploadId: id))
        #expect(parts.map(\.number) == [1, 2, 3] && parts[0].crc64 == CRC64ECMA.checksum(body))
        var bad = parts
        bad[0].etag = "00"
        for (list, code) in [(bad, "InvalidPart"), (parts, "EntityTooSmall")] {
            do {
                _ = try c.completeMultipartUpload(bucket: "disks", key: "x", uploadId: id, parts: list)
                Issue.record("complete accepted \(code)")
            } catch let e as OSSError {
                #expect(e.code == code)
            }
        }
        try c.abortMultipartUpload(bucket: "disks", key: "x", uploadId: id)
        do {
            _ = try c.uploadPart(bucket: "disks", key: "x", uploadId: id, number: 1, body: .bytes(body), contentMD5: MD5.hash(body).base64String)
            Issue.record("a part was accepted after abort")
        } catch let e as OSSError {
            #expect(e.code == "NoSuchUpload" && e.status == 404)
        }
    }

    /// A body that hands out its first half, then waits until told to go on.
    final class PausedBody: OSSBodyReader, @unchecked Sendable {
        let bytes: [UInt8]
        var position = 0
        let halfway = DispatchSemaphore(value: 0), resume = DispatchSemaphore(value: 0)
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
            let half = bytes.count / 2
            if position == half { halfway.signal(); resume.wait() }
            let n = min(buffer.count, (position < half ? half : bytes.count) - position)
            bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + position, byteCount: n) }
            position += n
            return n
        }
    }

    /// An abort while a part is still arriving (its client killed mid-request, say) leaves
    /// nothing: the part being received is not inside the upload's directory, and when it
    /// ends it is refused.
    @Test func abortDuringAPartLeavesNothing() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        let id = try c.initiateMultipartUpload(bucket: "disks", key: "x")
        let body = PausedBody([UInt8](repeating: 7, count: 1 << 20))
        nonisolated(unsafe) let request = OSSRequest(method: "PUT", target: "/disks/x?partNumber=1&uploadId=\(id)",
                                 headers: [("Content-Length", String(body.bytes.count))], body: body)
        let outcome = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var failure: OSSFailure?
        let service = fx.service
        Thread.detachNewThread {
            do { _ = try service.uploadPart(request, bucket: "disks", key: "x", uploadId: id, partText: "1") } catch let e as OSSFailure { failure = e } catch {}
            outcome.signal()
        }
        body.halfway.wait()
        let uploads = fx.dir.appendingPathComponent("store/disks/uploads")
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads.appendingPathComponent(id).path) == ["upload.json"])
        try c.abortMultipartUpload(bucket: "disks", key: "x", uploadId: id)
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads.path) == [])
        body.resume.signal()
        outcome.wait()
        #expect(failure?.code == "NoSuchUpload")
        #expect(try FileManager.default.contentsOfDirectory(atPath: uploads.path) == [])
        let strays = try FileManager.default.contentsOfDirectory(atPath: fx.dir.appendingPathComponent("store/disks").path).filter { $0.hasPrefix(".part-") }
        #expect(strays == [])
    }

    @Test func crcMismatchIsCaughtAndTheObjectDeleted() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        let f = try fx.file("d.raw", size: 300_000)
        fx.service.rewriteResponse = { req, resp in
            guard req.method == "POST", req.target.contains("uploadId=") else { return resp }
            var r = resp
            r.headers = r.headers.map { $0.0 == "x-oss-hash-crc64ecma" ? ($0.0, "12345") : $0 }
            return r
        }
        do {
            _ = try DiskUpload(client: c, bucket: "disks", key: "d.raw", path: f.path, settings: UploadSettings(partSize: 100 << 10)).run()
            Issue.record("a CRC mismatch went unnoticed")
        } catch let e as ToolError {
            #expect(e.message.contains("CRC-64 mismatch"))
        }
        #expect(try c.headObject(bucket: "disks", key: "d.raw") == nil)
        // Single PutObject: the same check.
        fx.service.rewriteResponse = { _, resp in
            var r = resp
            r.headers = r.headers.map { $0.0 == "x-oss-hash-crc64ecma" ? ($0.0, "1") : $0 }
            return r
        }
        #expect(throws: ToolError.self) {
            try DiskUpload(client: c, bucket: "disks", key: "one", path: f.path, settings: UploadSettings(partSize: 1 << 20)).run()
        }
        #expect(fx.stored("disks", "one") == nil)
    }

    @Test func importedDiskInfoReadsTheHeader() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        var h = [UInt8](repeating: 0, count: 4096)
        h[0..<4] = [0x51, 0x46, 0x49, 0xfb]
        h[7] = 3
        h[27] = 0x05  // 5 << 32 bytes = 20 GiB
        let f = fx.dir.appendingPathComponent("q.qcow2")
        try Data(h).write(to: f)
        _ = try DiskUpload(client: c, bucket: "disks", key: "q.qcow2", path: f.path, settings: UploadSettings()).run()
        let info = try fx.service.importedDiskInfo(bucket: "disks", key: "q.qcow2")
        #expect(info.format == "QCOW2" && info.virtualSize == 20 << 30)
        #expect(fx.service.bucketRegion("disks") == "cn-hangzhou")
        #expect(throws: ToolError.self) { try fx.service.importedDiskInfo(bucket: "disks", key: "missing") }
    }

    /// A completed multipart object stays in its parts (nothing copied): reads that span two
    /// parts (a VHD footer across a part boundary) see the right bytes, and a PutObject over it
    /// or a DeleteObject removes the parts.
    @Test func multipartObjectKeptAsPartsReadsAcrossBoundaries() throws {
        let fx = try OSSFixture()
        let c = fx.client()
        try c.putBucket("disks")
        let diskSize = 204_800 - 200
        var bytes = [UInt8](try Data(contentsOf: try fx.file("body", size: diskSize)))
        var footer = [UInt8](repeating: 0, count: 512)
        footer[0..<8] = ArraySlice("conectix".utf8)
        for i in 0..<8 { footer[48 + i] = UInt8(truncatingIfNeeded: UInt64(diskSize) >> (56 - 8 * i)) }
        footer[63] = 2  // fixed
        let sum = footer.reduce(UInt32(0)) { $0 &+ UInt32($1) }
        for i in 0..<4 { footer[64 + i] = UInt8(truncatingIfNeeded: ~sum >> (24 - 8 * i)) }
        bytes += footer
        let f = fx.dir.appendingPathComponent("d.vhd")
        try Data(bytes).write(to: f)
        let r = try DiskUpload(client: c, bucket: "disks", key: "d.vhd", path: f.path,
                               settings: UploadSettings(partSize: 100 << 10)).run()
        #expect(r.parts == 3)  // 102400 + 102400 + 312: the footer starts in part 2
        let files = try #require(fx.service.objectSegments(bucket: "disks", key: "d.vhd"))
        #expect(files.count == 3)
        #expect(fx.stored("disks", "d.vhd") == Data(bytes))
        let info = try fx.service.importedDiskInfo(bucket: "disks", key: "d.vhd")
        #expect(info.format == "VHD" && info.virtualSize == Int64(diskSize))
        // Overwritten by a single PUT: one data file, the parts gone.
        let small = try fx.file("small", size: 1000, seed: 7)
        _ = try DiskUpload(client: c, bucket: "disks", key: "d.vhd", path: small.path, settings: UploadSettings()).run()
        #expect(fx.service.objectSegments(bucket: "disks", key: "d.vhd")?.count == 1)
        #expect(fx.stored("disks", "d.vhd") == (try Data(contentsOf: small)))
        #expect(files.allSatisfy { !FileManager.default.fileExists(atPath: $0.path) })
        // Multipart again, then deleted: nothing of it is left in the bucket's object dir.
        _ = try DiskUpload(client: c, bucket: "disks", key: "d.vhd", path: f.path, settings: UploadSettings(partSize: 100 << 10)).run()
        try c.deleteObject(bucket: "disks", key: "d.vhd")
        #expect(fx.service.objectSegments(bucket: "disks", key: "d.vhd") == nil)
        let objects = fx.dir.appendingPathComponent("store/disks/objects").path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: objects)) ?? []).isEmpty)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var calls = 0
    private(set) var last: Int64 = 0
    func add(_ done: Int64, _ total: Int64) {
        lock.lock()
        calls += 1
        last = max(last, done)
        lock.unlock()
    }
}
