import AlicloudKit
import Foundation
import Testing
@testable import EcsSimKit

/// The emulator's engine (ECS and RAM) over the fixture's OSS store, called in-process:
/// ImportImage reads the uploaded object itself.
final class EngineCloud: @unchecked Sendable {
    let engine: Engine
    var calls: [(String, [String: String])] = []
    let lock = NSLock()

    init(oss: OSSService, role: Bool = true) throws {
        var config = EngineConfig()
        config.profile = .instant
        engine = try Engine(config: config, host: NullHost(), objectStore: oss)
        if role { try addRole() }
    }

    func api(_ product: String, _ action: String, _ p: [String: String]) throws -> JSONValue {
        lock.lock()
        calls.append((action, p))
        lock.unlock()
        let call = product == "ram" ? RPCCall(action: action, version: "2015-05-01", product: .ram, params: p) : RPCCall(action: action, params: p)
        switch engine.perform(call, requestId: "r").result {
        case .success(let v): return v
        case .failure(let e): throw APIError(action: action, httpStatus: e.status, code: e.code, message: e.message, requestId: "r")
        }
    }

    func addRole() throws {
        _ = try api("ram", "CreateRole", ["RoleName": ImportRole.name, "AssumeRolePolicyDocument": ImportRole.trustPolicy])
        _ = try api("ram", "AttachPolicyToRole", ["RoleName": ImportRole.name, "PolicyName": ImportRole.policy, "PolicyType": "System"])
    }

    func removeRole() throws {
        _ = try api("ram", "DetachPolicyFromRole", ["RoleName": ImportRole.name, "PolicyName": ImportRole.policy, "PolicyType": "System"])
        _ = try api("ram", "DeleteRole", ["RoleName": ImportRole.name])
    }

    func image(_ id: String) throws -> JSONValue? {
        try api("ecs", "DescribeImages", ["RegionId": "cn-hangzhou", "ImageId": id, "Status": "Waiting,Creating,Available,CreateFailed"])["Images"]?["Image"]?.arrayValue?.first
    }
}

@Suite(.serialized) struct OSSImportFlowTests {
    func qcow2(_ fx: OSSFixture, size: Int = 300_000, virtualGiB: UInt64 = 10) throws -> URL {
        var h = [UInt8](repeating: 0x5a, count: size)
        h[0..<8] = [0x51, 0x46, 0x49, 0xfb, 0, 0, 0, 3]
        let v = virtualGiB << 30
        for i in 0..<8 { h[24 + i] = UInt8(truncatingIfNeeded: v >> (56 - 8 * i)) }
        for i in 32..<36 { h[i] = 0 }
        let url = fx.dir.appendingPathComponent("disk.qcow2")
        try Data(h).write(to: url)
        return url
    }

    func request(_ fx: OSSFixture, _ file: URL) -> ImportRequest {
        var r = ImportRequest(diskPath: file.path, region: "cn-hangzhou", bucket: "images", imageName: "web-base")
        r.upload = UploadSettings(partSize: 100 << 10, parallel: 3, stateDirectory: fx.dir.appendingPathComponent("state"))
        r.tags = [("team", "infra"), ("build", "42")]
        r.osType = "linux"
        return r
    }

    @Test func importsTagsAndDeletesTheObject() throws {
        let fx = try OSSFixture()
        let cloud = try EngineCloud(oss: fx.service)
        let file = try qcow2(fx)
        var r = request(fx, file)
        r.createBucket = true
        let job = ImageImport(request: r, oss: fx.client(), api: cloud.api)
        job.schedule = PollSchedule(first: 0.02, cap: 0.05)
        let out = try job.run()
        let id = try #require(out["ImageId"]?.stringValue)
        #expect(id.hasPrefix("m-") && out["Format"]?.stringValue == "QCOW2" && out["Status"]?.stringValue == "Available")
        #expect(out["DiskImageSize"]?.rawText == "10" && out["ObjectDeleted"] == .bool(true))
        let image = try #require(try cloud.image(id))
        let mapping = try #require(image["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue?.first)
        #expect(mapping["Format"] == "QCOW2" && mapping["ImportOSSBucket"] == "images" && mapping["Size"] == "10")
        #expect(mapping["ImportOSSObject"] == "img-import/web-base/disk.qcow2")
        let snapshot = try #require(mapping["SnapshotId"]?.stringValue)
        #expect(out["SnapshotIds"] == .array([.string(snapshot)]) && out["Upload"]?["Parts"]?.rawText == "3")
        let imp = try #require(cloud.calls.first { $0.0 == "ImportImage" }?.1)
        #expect(imp["DiskDeviceMapping.1.OSSObject"] == "img-import/web-base/disk.qcow2" && imp["OSType"] == "linux")
        #expect(imp["RoleName"] == "AliyunECSImageImportDefaultRole" && imp["ClientToken"]?.isEmpty == false)
        #expect(imp["ResourceGroupId"] == nil && image["ResourceGroupId"] == "")
        let tags = cloud.calls.filter { $0.0 == "TagResources" }.map { $0.1 }
        #expect(tags.map { $0["ResourceType"] } == ["image", "snapshot"])
        #expect(tags[1]["ResourceId.1"] == snapshot && tags[0]["Tag.2.Key"] == "build" && tags[0]["Tag.2.Value"] == "42")
        #expect(image["Tags"]?["Tag"]?.arrayValue?.count == 2)
        #expect(fx.service.objectSegments(bucket: "images", key: "img-import/web-base/disk.qcow2") == nil)

        // Same name again: refused before any upload, unless --force-delete-existing.
        cloud.calls = []
        do {
            _ = try ImageImport(request: r, oss: fx.client(), api: cloud.api).run()
            Issue.record("a taken image name was accepted")
        } catch let e as ToolError {
            #expect(e.status == .dataError && e.message.contains("taken by \(id)"))
        }
        #expect(!cloud.calls.contains { $0.0 == "ImportImage" })
        r.forceDeleteExisting = true
        r.keepObject = true
        r.resourceGroupId = "rg-acfmunit01"
        let second = ImageImport(request: r, oss: fx.client(), api: cloud.api)
        second.schedule = PollSchedule(first: 0.02, cap: 0.05)
        let again = try second.run()
        #expect(cloud.calls.contains { $0.0 == "DeleteImage" && $0.1["ImageId"] == id })
        #expect(try cloud.image(id) == nil)
        #expect(again["ObjectDeleted"] == .bool(false))
        let againId = try #require(again["ImageId"]?.stringValue)
        let regrouped = try #require(try cloud.image(againId))
        #expect(regrouped["ResourceGroupId"] == "rg-acfmunit01")
        #expect(fx.service.objectSegments(bucket: "images", key: "img-import/web-base/disk.qcow2") != nil)
    }

    /// Every bad input: a clear error with the right status, and nothing uploaded.
    @Test func badInputUploadsNothing() throws {
        let fx = try OSSFixture()
        let cloud = try EngineCloud(oss: fx.service)
        let file = try qcow2(fx)
        let raw = fx.dir.appendingPathComponent("disk.raw")
        try Data([UInt8](repeating: 0, count: 4096)).write(to: raw)
        let empty = fx.dir.appendingPathComponent("empty.img")
        try Data().write(to: empty)
        try fx.service.createBucket("images", region: "cn-hangzhou")
        try fx.service.createBucket("far-away", region: "eu-central-1")
        typealias Edit = (inout ImportRequest) -> Void
        let cases: [(String, Edit, AlicloudKit.ExitStatus)] = [
            ("missing file", { $0.diskPath = fx.dir.appendingPathComponent("nope.qcow2").path }, .noInput),
            ("a directory", { $0.diskPath = fx.dir.path }, .noInput),
            ("empty file", { $0.diskPath = empty.path }, .dataError),
            ("format mismatch", { $0.format = .vhd }, .dataError),
            ("raw claimed qcow2", { $0.diskPath = raw.path; $0.format = .qcow2 }, .dataError),
            ("system size too small", { $0.systemSizeGiB = 5 }, .dataError),
            ("system size out of range", { $0.systemSizeGiB = 4096 }, .usage),
            ("bad image name", { $0.imageName = "1abc" }, .usage),
            ("http image name", { $0.imageName = "http://x" }, .usage),
            ("bad os type", { $0.osType = "bsd" }, .usage),
            ("bad architecture", { $0.architecture = "mips" }, .usage),
            ("arm64 with BIOS", { $0.architecture = "arm64"; $0.bootMode = "BIOS" }, .usage),
            ("aliyun tag", { $0.tags = [("aliyun:x", "1")] }, .usage),
            ("missing bucket", { $0.bucket = "no-such-bucket" }, .dataError),
            ("bucket in another region", { $0.bucket = "far-away" }, .dataError),
            ("missing RAM role", { _ in try? cloud.removeRole() }, .config),
        ]
        for (name, edit, status) in cases {
            var r = request(fx, file)
            edit(&r)
            do {
                _ = try ImageImport(request: r, oss: fx.client(), api: cloud.api).run()
                Issue.record("\(name): accepted")
            } catch let e as ToolError {
                #expect(e.status == status, "\(name): \(e.message)")
            }
            if (try? cloud.api("ram", "GetRole", ["RoleName": ImportRole.name])) == nil { try cloud.addRole() }
        }
        #expect(!cloud.calls.contains { $0.0 == "ImportImage" })
        for bucket in ["images", "far-away"] {
            let objects = try FileManager.default.contentsOfDirectory(atPath: fx.service.root.appendingPathComponent("\(bucket)/objects").path)
            let uploads = try FileManager.default.contentsOfDirectory(atPath: fx.service.root.appendingPathComponent("\(bucket)/uploads").path)
            #expect(objects.isEmpty && uploads.isEmpty, "\(bucket): \(objects) \(uploads)")
        }
        // --create-role creates the missing role and goes on.
        try cloud.removeRole()
        var r = request(fx, file)
        r.createRole = true
        let job = ImageImport(request: r, oss: fx.client(), api: cloud.api)
        job.schedule = PollSchedule(first: 0.02, cap: 0.05)
        _ = try job.run()
        #expect(cloud.calls.contains { $0.0 == "CreateRole" } && cloud.calls.contains { $0.0 == "AttachPolicyToRole" && $0.1["PolicyName"] == "AliyunECSImageImportRolePolicy" })
    }
}
