import AlicloudKit
import Foundation
import Testing
@testable import EcsSimKit

/// A scripted ECS/RAM API on top of OSSService: ImportImage reads the object's header the
/// way the emulator's engine is meant to (OSSService.importedDiskInfo).
final class ScriptedCloud: @unchecked Sendable {
    let oss: OSSService
    var images: [String: JSONValue] = [:]
    var calls: [(String, [String: String])] = []
    var roleExists = true
    let lock = NSLock()

    init(oss: OSSService) { self.oss = oss }

    func api(_ product: String, _ action: String, _ p: [String: String]) throws -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        calls.append((action, p))
        switch action {
        case "GetRole":
            if !roleExists { throw APIError(action: action, httpStatus: 404, code: "EntityNotExist.Role", message: "no role", requestId: "r") }
            return ["Role": ["RoleName": .string(p["RoleName"] ?? "")]]
        case "CreateRole": roleExists = true; return [:]
        case "AttachPolicyToRole": return [:]
        case "DescribeImages":
            let list = images.values.filter { img in
                (p["ImageName"].map { img["ImageName"]?.stringValue == $0 } ?? true)
                    && (p["ImageId"].map { img["ImageId"]?.stringValue == $0 } ?? true)
            }
            return ["Images": ["Image": .array(list)]]
        case "DeleteImage":
            images[p["ImageId"] ?? ""] = nil
            return [:]
        case "ImportImage":
            let bucket = p["DiskDeviceMapping.1.OSSBucket"] ?? "", key = p["DiskDeviceMapping.1.OSSObject"] ?? ""
            let info: (format: String, virtualSize: Int64)
            do { info = try oss.importedDiskInfo(bucket: bucket, key: key) } catch {
                throw APIError(action: action, httpStatus: 400, code: "InvalidOSSObject.NotFound", message: "\(error)", requestId: "r")
            }
            guard info.format == p["DiskDeviceMapping.1.Format"] else {
                throw APIError(action: action, httpStatus: 400, code: "InvalidParameter.Format", message: "format", requestId: "r")
            }
            let id = "m-\(images.count + 1)"
            images[id] = ["ImageId": .string(id), "ImageName": .string(p["ImageName"] ?? ""), "Status": "Available", "Progress": "100%",
                          "Size": .int(Int((info.virtualSize + (1 << 30) - 1) >> 30)),
                          "DiskDeviceMappings": ["DiskDeviceMapping": [["SnapshotId": .string("s-\(id)"), "Format": .string(info.format)]]]]
            return ["ImageId": .string(id), "TaskId": "t-1", "RegionId": .string(p["RegionId"] ?? "")]
        case "TagResources": return [:]
        default:
            throw APIError(action: action, httpStatus: 400, code: "InvalidAction", message: action, requestId: "r")
        }
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
        let cloud = ScriptedCloud(oss: fx.service)
        let file = try qcow2(fx)
        var r = request(fx, file)
        r.createBucket = true
        let job = ImageImport(request: r, oss: fx.client(), api: cloud.api)
        let out = try job.run()
        #expect(out["ImageId"]?.stringValue == "m-1" && out["Format"]?.stringValue == "QCOW2")
        #expect(out["DiskImageSize"]?.rawText == "10" && out["ObjectDeleted"] == .bool(true))
        #expect(out["SnapshotIds"] == .array(["s-m-1"]) && out["Upload"]?["Parts"]?.rawText == "3")
        let imp = try #require(cloud.calls.first { $0.0 == "ImportImage" }?.1)
        #expect(imp["DiskDeviceMapping.1.OSSObject"] == "img-import/web-base/disk.qcow2" && imp["OSType"] == "linux")
        #expect(imp["RoleName"] == "AliyunECSImageImportDefaultRole" && imp["ClientToken"]?.isEmpty == false)
        let tags = cloud.calls.filter { $0.0 == "TagResources" }.map { $0.1 }
        #expect(tags.map { $0["ResourceType"] } == ["image", "snapshot"])
        #expect(tags[1]["ResourceId.1"] == "s-m-1" && tags[0]["Tag.2.Key"] == "build" && tags[0]["Tag.2.Value"] == "42")
        #expect(fx.service.objectPath(bucket: "images", key: "img-import/web-base/disk.qcow2") == nil)

        // Same name again: refused before any upload, unless --force-delete-existing.
        cloud.calls = []
        do {
            _ = try ImageImport(request: r, oss: fx.client(), api: cloud.api).run()
            Issue.record("a taken image name was accepted")
        } catch let e as ToolError {
            #expect(e.status == .dataError && e.message.contains("taken by m-1"))
        }
        #expect(!cloud.calls.contains { $0.0 == "ImportImage" })
        r.forceDeleteExisting = true
        r.keepObject = true
        let again = try ImageImport(request: r, oss: fx.client(), api: cloud.api).run()
        #expect(cloud.calls.contains { $0.0 == "DeleteImage" && $0.1["ImageId"] == "m-1" })
        #expect(again["ObjectDeleted"] == .bool(false))
        #expect(fx.service.objectPath(bucket: "images", key: "img-import/web-base/disk.qcow2") != nil)
    }

    /// Every bad input: a clear error with the right status, and nothing uploaded.
    @Test func badInputUploadsNothing() throws {
        let fx = try OSSFixture()
        let cloud = ScriptedCloud(oss: fx.service)
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
            ("missing RAM role", { _ in cloud.roleExists = false }, .config),
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
            cloud.roleExists = true
        }
        #expect(!cloud.calls.contains { $0.0 == "ImportImage" })
        for bucket in ["images", "far-away"] {
            let objects = try FileManager.default.contentsOfDirectory(atPath: fx.service.root.appendingPathComponent("\(bucket)/objects").path)
            let uploads = try FileManager.default.contentsOfDirectory(atPath: fx.service.root.appendingPathComponent("\(bucket)/uploads").path)
            #expect(objects.isEmpty && uploads.isEmpty, "\(bucket): \(objects) \(uploads)")
        }
        // --create-role creates the missing role and goes on.
        cloud.roleExists = false
        var r = request(fx, file)
        r.createRole = true
        _ = try ImageImport(request: r, oss: fx.client(), api: cloud.api).run()
        #expect(cloud.calls.contains { $0.0 == "CreateRole" } && cloud.calls.contains { $0.0 == "AttachPolicyToRole" && $0.1["PolicyName"] == "AliyunECSImageImportRolePolicy" })
    }
}
