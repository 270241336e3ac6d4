import AlicloudKit
import Foundation
import Testing
@testable import EcsSimKit

/// The engine's ImportImage against its OSS store, on a manual clock: what fails at once,
/// what fails once the disk is "read", and the life cycle of a good import.
@Suite(.serialized) struct ImportImageTests {
    let fx: OSSFixture
    let engine: Engine
    let clock = ManualClock()
    let host = NullHost()

    init() throws {
        fx = try OSSFixture()
        var config = EngineConfig()
        config.profile = .fast
        engine = try Engine(config: config, host: host, objectStore: fx.service)
        let c = clock
        engine.clock = { c.now }
        try fx.service.createBucket("disks", region: "cn-hangzhou")
        try fx.service.createBucket("far", region: "cn-beijing")
    }

    func call(_ action: String, _ p: [String: String], ram: Bool = false) -> Result<JSONValue, CloudError> {
        var params = p
        if !ram && params["RegionId"] == nil { params["RegionId"] = "cn-hangzhou" }
        let c = ram ? RPCCall(action: action, version: "2015-05-01", product: .ram, params: params) : RPCCall(action: action, params: params)
        return engine.perform(c, requestId: "R").result
    }

    func code(_ action: String, _ p: [String: String], ram: Bool = false) -> String? {
        if case .failure(let e) = call(action, p, ram: ram) { return e.code }
        return nil
    }

    func pass(_ s: Double) {
        engine.drainHostWork()
        clock.advance(s)
        engine.tick()
        engine.drainHostWork()
        engine.tick()
    }

    func role() throws {
        _ = try call("CreateRole", ["RoleName": "AliyunECSImageImportDefaultRole", "AssumeRolePolicyDocument": "{}"], ram: true).get()
        _ = try call("AttachPolicyToRole", ["RoleName": "AliyunECSImageImportDefaultRole", "PolicyName": "AliyunECSImageImportRolePolicy",
                                            "PolicyType": "System"], ram: true).get()
    }

    /// Stores `bytes` as oss://bucket/key.
    func put(_ bucket: String, _ key: String, _ bytes: [UInt8]) throws {
        _ = try fx.client().putObject(bucket: bucket, key: key, body: .bytes(bytes), contentMD5: nil)
    }

    /// A qcow2 v3 header of `virtualGiB`, padded to 64 KiB.
    func qcow2(virtualGiB: UInt64) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 65536)
        h[0..<8] = [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]
        let v = virtualGiB << 30
        for i in 0..<8 { h[24 + i] = UInt8(truncatingIfNeeded: v >> (56 - 8 * i)) }
        return h
    }

    func mapping(_ bucket: String, _ key: String, extra: [String: String] = [:]) -> [String: String] {
        var p = ["DiskDeviceMapping.1.OSSBucket": bucket, "DiskDeviceMapping.1.OSSObject": key, "ImageName": "imported"]
        p.merge(extra) { $1 }
        return p
    }

    func image(_ id: String) throws -> JSONValue {
        let r = try call("DescribeImages", ["ImageId": id, "Status": "Waiting,Creating,Available,CreateFailed"]).get()
        return try #require(r["Images"]?["Image"]?.arrayValue?.first)
    }

    func task(_ id: String) throws -> String? {
        try call("DescribeTasks", ["TaskIds": id]).get()["TaskSet"]?["Task"]?.arrayValue?.first?["TaskStatus"]?.stringValue
    }

    @Test func refusedAtOnce() throws {
        try put("disks", "a.qcow2", qcow2(virtualGiB: 3))
        // No role: ECS cannot read OSS.
        #expect(code("ImportImage", mapping("disks", "a.qcow2")) == "NoSetRoletoECSServiceAcount")
        #expect(code("GetRole", ["RoleName": "AliyunECSImageImportDefaultRole"], ram: true) == "EntityNotExist.Role")
        try role()
        #expect(code("ImportImage", mapping("nobucket", "a.qcow2")) == "InvalidOSSBucket.NotFound")
        #expect(code("ImportImage", mapping("far", "a.qcow2")) == "InvalidOSSBucket.NotFound")
        #expect(code("ImportImage", mapping("disks", "missing.qcow2")) == "InvalidOSSObject.NotFound")
        #expect(code("ImportImage", mapping("disks", "a.qcow2", extra: ["DiskDeviceMapping.1.Format": "ISO"])) == "InvalidImageFormat.Malformed")
        #expect(code("ImportImage", mapping("disks", "a.qcow2", extra: ["DiskDeviceMapping.1.DiskImageSize": "4096"])) == "InvalidImageSize")
        #expect(code("ImportImage", mapping("disks", "", extra: [:])) == "MissingParameter")
        #expect(engine.dump()["resources"]?["images"] == .array([]))
    }

    @Test func goodDiskBecomesAnImage() throws {
        try role()
        try put("disks", "a.qcow2", qcow2(virtualGiB: 3))
        let r = try call("ImportImage", mapping("disks", "a.qcow2", extra: ["DiskDeviceMapping.1.Format": "QCOW2", "Platform": "Ubuntu",
                                                                         "DiskDeviceMapping.1.DiskImageSize": "20", "Tag.1.Key": "k", "Tag.1.Value": "v"])).get()
        let id = try #require(r["ImageId"]?.stringValue), tid = try #require(r["TaskId"]?.stringValue)
        #expect(try image(id)["Status"] == "Waiting" && (try task(tid)) == "Processing")
        // The object may go right away: the disk was read during the call.
        try fx.client().deleteObject(bucket: "disks", key: "a.qcow2")
        pass(0.3)
        #expect(try image(id)["Status"] == "Creating")
        pass(1)
        pass(0.5)
        let img = try image(id)
        #expect(img["Status"] == "Available" && img["Progress"] == "100%" && img["Platform"] == "Ubuntu" && img["Size"]?.rawText == "20")
        let m = try #require(img["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue?.first)
        #expect(m["Format"] == "QCOW2" && m["ImportOSSBucket"] == "disks" && m["ImportOSSObject"] == "a.qcow2" && m["Size"] == "20")
        let sid = try #require(m["SnapshotId"]?.stringValue)
        let snap = try call("DescribeSnapshots", ["SnapshotIds": "[\"\(sid)\"]"]).get()["Snapshots"]?["Snapshot"]?.arrayValue?.first
        #expect(snap?["SourceDiskSize"] == "3" && snap?["Status"] == "accomplished")
        #expect(try task(tid) == "Finished")
        // The snapshot was seeded from the platform's userland (NullHost records it).
        #expect(host.log.contains { $0.hasPrefix("disk d-import-\(sid) image(family: \"ubuntu\")") })
        // The name is now taken.
        try put("disks", "b.qcow2", qcow2(virtualGiB: 1))
        #expect(code("ImportImage", mapping("disks", "b.qcow2")) == "InvalidImageName.Duplicated")
    }

    @Test func unusableDiskFailsTheImport() throws {
        try role()
        try put("disks", "small.qcow2", qcow2(virtualGiB: 30))
        try put("disks", "installer.iso", [UInt8](repeating: 0, count: 0x8001) + Array("CD001".utf8) + [UInt8](repeating: 0, count: 4096))
        let cases = [
            mapping("disks", "small.qcow2", extra: ["DiskDeviceMapping.1.DiskImageSize": "20", "ImageName": "too-small"]),
            mapping("disks", "small.qcow2", extra: ["DiskDeviceMapping.1.Format": "VHD", "ImageName": "wrong-format"]),
            mapping("disks", "installer.iso", extra: ["ImageName": "an-iso"]),
        ]
        var started: [(String, String)] = []
        for p in cases {
            let r = try call("ImportImage", p).get()
            started.append((r["ImageId"]!.stringValue!, r["TaskId"]!.stringValue!))
        }
        pass(1)
        for (id, tid) in started {
            #expect(try image(id)["Status"] == "CreateFailed")
            #expect(try task(tid) == "Failed")
        }
        let failures = engine.state.tasks.values.compactMap(\.failure).sorted()
        #expect(failures.count == 3)
        #expect(failures.contains { $0.contains("smaller than the disk's virtual size (30 GiB)") })
        #expect(failures.contains { $0.contains("QCOW2 disk, not VHD") })
        #expect(failures.contains { $0.contains("oss://disks/installer.iso") && $0.contains("ISO 9660") })
    }

    @Test func dumpCountsObjectsAndUploadsAsTemporary() throws {
        try put("disks", "left.raw", [UInt8](repeating: 1, count: 1024))
        _ = try fx.client().initiateMultipartUpload(bucket: "disks", key: "half.raw")
        let d = engine.dump()
        let kinds = d["temporary"]?.arrayValue?.compactMap { $0["kind"]?.stringValue } ?? []
        #expect(kinds.sorted() == ["oss-object", "oss-upload"])
        #expect(d["resources"]?["oss"]?["buckets"]?.arrayValue?.count == 2)
    }
}

/// OSS on the emulator's shared port: OSS requests reach the store with their bodies
/// streamed (larger than anything the RPC side buffers); the rest reaches the RPC handler.
@Suite struct SharedPortTests {
    @Test func ossBodiesStreamPastTheBufferedLimit() throws {
        let fx = try OSSFixture()
        let server = HTTPServer(objectStore: fx.service) { request in
            ServerResponse.json(200, "{\"path\":\"\(request.path)\"}")
        }
        try server.start(address: "127.0.0.1", port: 0)
        defer { server.stop() }
        var options = HTTPOptions()
        options.environment = [:]
        let client = OSSClient(endpoint: try OSSEndpoint.parse("http://127.0.0.1:\(server.port)"), region: "cn-hangzhou",
                               credentials: OSSCredentials(accessKeyId: OSSFixture.ak, accessKeySecret: OSSFixture.sk, securityToken: nil),
                               signatureVersion: .v4, options: options)
        client.attempts = 1
        try client.putBucket("big")
        let size = Int64(HTTPServer.maxBody) + 4096
        let file = fx.dir.appendingPathComponent("sparse.raw")
        #expect(FileManager.default.createFile(atPath: file.path, contents: Data("head".utf8)))
        #expect(truncate(file.path, off_t(size)) == 0)
        let put = try client.putObject(bucket: "big", key: "k", body: .file(path: file.path, offset: 0, length: size), contentMD5: nil)
        #expect(put.crc64 != nil)
        let info = try #require(try client.headObject(bucket: "big", key: "k"))
        #expect(info.size == size)
        #expect(try fx.service.objectSegments(bucket: "big", key: "k").map { try $0.reduce(Int64(0)) { $0 + (try FileManager.default.attributesOfItem(atPath: $1.path)[.size] as? Int64 ?? 0) } } == size)
        // Keep-alive after the streamed body, and the RPC side still answers on the same port.
        #expect(try client.bucketLocation("big") == "oss-cn-hangzhou")
        var rpc = HTTPOptions()
        rpc.environment = [:]
        let answer = try HTTPClient(options: rpc).send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/rpc?Action=x"))
        #expect(answer.status == 200 && String(decoding: answer.body, as: UTF8.self).contains("/rpc"))
    }
}
