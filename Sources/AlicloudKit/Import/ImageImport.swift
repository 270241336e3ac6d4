import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// One call to an RPC API: product (`ecs`, `ram`), action, parameters → response object.
public typealias CloudCall = (_ product: String, _ action: String, _ params: [String: String]) throws -> JSONValue

/// What `img-import` was asked to do.
public struct ImportRequest: Sendable {
    /// The local disk file.
    public var diskPath: String
    /// The region of the image and the bucket.
    public var region: String
    /// The OSS bucket.
    public var bucket: String
    /// The image name (2–128 characters, starting with a letter).
    public var imageName: String
    /// The object key (default `img-import/<image name>/<file name>`).
    public var object: String?
    /// The format the user claims (checked against the header), or nil to detect.
    public var format: DiskFormat?
    /// ImportImage `Platform`.
    public var platform: String?
    /// `linux` or `windows`.
    public var osType: String?
    /// `x86_64`, `arm64` or `i386`.
    public var architecture: String?
    /// The system disk size in GiB (default: the disk's virtual size rounded up).
    public var systemSizeGiB: Int?
    /// `BIOS` or `UEFI`.
    public var bootMode: String?
    /// The image description.
    public var description: String?
    /// Tags for the image and its snapshots.
    public var tags: [(String, String)] = []
    /// ImportImage `LicenseType`.
    public var licenseType: String?
    /// ImportImage `ResourceGroupId` (`rg-...`), or nil for the account's default group.
    public var resourceGroupId: String?
    /// Keep the OSS object after the import.
    public var keepObject = false
    /// Create the bucket when it does not exist.
    public var createBucket = false
    /// Delete an existing image of the same name before importing.
    public var forceDeleteExisting = false
    /// Create the RAM role ImportImage needs when it is missing.
    public var createRole = false
    /// Seconds to wait for the image.
    public var timeout: Double = 3600
    /// Upload tuning and resume state.
    public var upload = UploadSettings()

    /// Makes a request.
    public init(diskPath: String, region: String, bucket: String, imageName: String) {
        self.diskPath = diskPath
        self.region = region
        self.bucket = bucket
        self.imageName = imageName
    }

    /// The object key used.
    public var objectKey: String {
        object ?? "img-import/\(imageName)/\(URL(fileURLWithPath: diskPath).lastPathComponent)"
    }
}

/// The role ImportImage assumes to read OSS, and its policy.
public enum ImportRole {
    /// `AliyunECSImageImportDefaultRole`.
    public static let name = "AliyunECSImageImportDefaultRole"
    /// `AliyunECSImageImportRolePolicy` (a System policy).
    public static let policy = "AliyunECSImageImportRolePolicy"
    /// The trust policy: ECS may assume the role.
    public static let trustPolicy = #"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}"#
    /// How to create it by hand.
    public static let howTo = "create RAM role \(name) trusted by ecs.aliyuncs.com with system policy \(policy) attached (or run again with --create-role)"
}

/// The whole import: local checks, remote checks, upload, ImportImage, wait, tags, cleanup.
public final class ImageImport {
    let request: ImportRequest
    let oss: OSSClient
    let api: CloudCall
    /// Lines for people (stderr).
    public var log: (String) -> Void = { _ in }
    /// Upload progress (bytes done, total), or nil for none.
    public var uploadProgress: ((Int64, Int64) -> Void)?
    /// Wait progress lines, or nil for none.
    public var waitProgress: ((String) -> Void)?
    /// The poll schedule of the wait.
    public var schedule = PollSchedule()

    /// Prepares an import.
    public init(request: ImportRequest, oss: OSSClient, api: @escaping CloudCall) {
        self.request = request
        self.oss = oss
        self.api = api
    }

    var object: String { "oss://\(request.bucket)/\(request.objectKey)" }

    // MARK: checks

    /// Checks the arguments alone (64) and the file (66 missing/unreadable, 65 wrong format
    /// or size); reads only the header and footer.
    public func checkLocal() throws -> DiskImageInfo { try ImageImport.checkLocal(request) }

    /// The local checks alone, before any client exists.
    public static func checkLocal(_ r: ImportRequest) throws -> DiskImageInfo {
        if let why = NameRule.imageName.violation(r.imageName) { throw ToolError.usage("--image-name \(r.imageName): \(why)") }
        if let d = r.description, !d.isEmpty, let why = NameRule.description.violation(d) { throw ToolError.usage("--description: \(why)") }
        if let os = r.osType, !["linux", "windows"].contains(os) { throw ToolError.usage("--os-type \(os): linux or windows") }
        if let a = r.architecture, !["x86_64", "arm64", "i386"].contains(a) { throw ToolError.usage("--architecture \(a): x86_64, arm64 or i386") }
        if let b = r.bootMode, !["BIOS", "UEFI"].contains(b) { throw ToolError.usage("--boot-mode \(b): BIOS or UEFI") }
        if r.architecture == "arm64" && r.bootMode == "BIOS" { throw ToolError.usage("--boot-mode BIOS: arm64 images boot with UEFI") }
        if let s = r.systemSizeGiB, !(1...2048).contains(s) { throw ToolError.usage("--system-size \(s): 1 to 2048 GiB") }
        guard r.tags.count <= NameRule.tagsPerResource else { throw ToolError.usage("--tag: at most \(NameRule.tagsPerResource) tags") }
        for (k, v) in r.tags {
            if let why = NameRule.tagKey.violation(k) { throw ToolError.usage("--tag \(k): the key \(why)") }
            if let why = NameRule.tagValue.violation(v) { throw ToolError.usage("--tag \(k): the value \(why)") }
        }
        guard access(r.diskPath, R_OK) == 0 || errno != EACCES else {
            throw ToolError(.noInput, "\(r.diskPath): permission denied")
        }
        let info = try DiskImage.inspect(path: r.diskPath)
        if let claimed = r.format, claimed != info.format {
            throw ToolError.data("\(r.diskPath): --format \(claimed.rawValue) but the file is \(info.detail)")
        }
        if let s = r.systemSizeGiB, Int64(s) < info.virtualSizeGiB {
            throw ToolError.data("\(r.diskPath): --system-size \(s) GiB is smaller than the disk (\(info.virtualSizeGiB) GiB)")
        }
        if info.virtualSizeGiB > 2048 { throw ToolError.data("\(r.diskPath): a \(info.virtualSizeGiB) GiB disk is over ImportImage's 2048 GiB") }
        return info
    }

    /// Remote checks before any upload: the bucket exists (or is created) in the region, the
    /// image name is free (or `--force-delete-existing`), the RAM role exists (or is created).
    /// Returns the ids of existing images of that name (to delete before importing).
    public func checkRemote() throws -> [String] {
        let r = request
        do {
            let location = try oss.bucketLocation(r.bucket)
            guard location == "oss-\(r.region)" else {
                throw ToolError.data("bucket \(r.bucket) is in \(location.replacingText("oss-", with: "")), not \(r.region): ImportImage needs the bucket in the image's region")
            }
        } catch let e as OSSError where e.code == "NoSuchBucket" {
            guard r.createBucket else { throw ToolError.data("bucket \(r.bucket): does not exist in \(r.region) (add --create-bucket to create it)") }
            do { try oss.putBucket(r.bucket) } catch let e as OSSError { throw e.toolError("bucket \(r.bucket): create") }
            log("created bucket \(r.bucket) in \(r.region)")
        } catch let e as OSSError {
            throw e.toolError("bucket \(r.bucket)")
        }
        let found = try call("ecs", "DescribeImages", ["RegionId": r.region, "ImageName": r.imageName, "ImageOwnerAlias": "self",
                                                      "Status": "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated",
                                                      "PageSize": "100"])
        let ids = (found["Images"]?["Image"]?.arrayValue ?? []).filter { $0["ImageName"]?.stringValue == r.imageName }
            .compactMap { $0["ImageId"]?.stringValue }
        if !ids.isEmpty && !r.forceDeleteExisting {
            throw ToolError.data("image name \(r.imageName) is taken by \(ids.joined(separator: ", ")) in \(r.region) (add --force-delete-existing to replace it)")
        }
        try checkRole()
        return ids
    }

    func checkRole() throws {
        do {
            _ = try api("ram", "GetRole", ["RoleName": ImportRole.name])
        } catch let e as APIError where e.code == "EntityNotExist.Role" {
            guard request.createRole else { throw ToolError(.config, "RAM role \(ImportRole.name) does not exist: \(ImportRole.howTo)") }
            try createRole()
        } catch let e as APIError {
            // Without RAM read access the import itself will say whether the role is missing.
            log("could not check RAM role \(ImportRole.name) (\(e.code)); continuing")
        } catch let e as ToolError where e.status == .unavailable {
            log("could not check RAM role \(ImportRole.name) (\(e.message)); continuing")
        }
    }

    func createRole() throws {
        _ = try call("ram", "CreateRole", ["RoleName": ImportRole.name, "AssumeRolePolicyDocument": ImportRole.trustPolicy,
                                           "Description": "ECS image import reads disk files from OSS"])
        _ = try call("ram", "AttachPolicyToRole", ["PolicyType": "System", "PolicyName": ImportRole.policy, "RoleName": ImportRole.name])
        log("created RAM role \(ImportRole.name) with policy \(ImportRole.policy)")
    }

    func call(_ product: String, _ action: String, _ params: [String: String]) throws -> JSONValue {
        do { return try api(product, action, params) } catch let e as APIError { throw e.toolError }
    }

    // MARK: the run

    /// Gives up an interrupted upload of this file: AbortMultipartUpload and forget it.
    public func abortUpload() throws -> String? {
        try DiskUpload(client: oss, bucket: request.bucket, key: request.objectKey, path: request.diskPath, settings: request.upload).abort()
    }

    /// Runs everything; returns the result document printed on stdout.
    public func run() throws -> JSONValue {
        let r = request
        let info = try checkLocal()
        log("\(r.diskPath): \(info.detail), virtual size \(info.virtualSizeGiB) GiB, \(info.fileSize) bytes")
        let existing = try checkRemote()

        // Upload (resumable); an interruption leaves the parts for the next run.
        let started = Date()
        let upload = DiskUpload(client: oss, bucket: r.bucket, key: r.objectKey, path: r.diskPath, settings: r.upload)
        upload.progress = uploadProgress
        upload.note = log
        let uploaded: UploadResult
        do {
            uploaded = try upload.run()
        } catch let e as OSSError {
            throw e.toolError("\(object): upload (run the same command again to resume, or add --abort to give up)")
        }
        let seconds = Date().timeIntervalSince(started)
        log("uploaded \(object): \(uploaded.size) bytes in \(uploaded.parts) part(s), CRC-64 \(uploaded.crc64) checked")

        var objectDeleted = false
        func dropObject() {
            guard !r.keepObject else { return }
            do {
                try oss.deleteObject(bucket: r.bucket, key: r.objectKey)
                objectDeleted = true
            } catch {
                log("could not delete \(object): \(error)")
            }
        }

        let imageId: String
        let taskId: String
        let image: JSONValue
        do {
            for id in existing {
                // Its snapshots outlive DeleteImage and are billed: they go too.
                let old = try call("ecs", "DescribeImages", ["RegionId": r.region, "ImageId": id, "ImageOwnerAlias": "self",
                                                             "Status": "Creating,Waiting,Available,UnAvailable,CreateFailed,Deprecated"])
                let snapshots = (old["Images"]?["Image"]?.arrayValue ?? []).flatMap { $0["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue ?? [] }
                    .compactMap { $0["SnapshotId"]?.stringValue }.filter { !$0.isEmpty }
                _ = try call("ecs", "DeleteImage", ["RegionId": r.region, "ImageId": id, "Force": "true"])
                for s in snapshots {
                    do {
                        _ = try api("ecs", "DeleteSnapshot", ["RegionId": r.region, "SnapshotId": s, "Force": "true"])
                    } catch let e as APIError where e.code.hasSuffix(".NotFound") {
                    } catch let e as APIError {
                        log("could not delete snapshot \(s) of the replaced image \(id): \(e.code)")
                    }
                }
                log("deleted existing image \(id) (\(r.imageName))" + (snapshots.isEmpty ? "" : " and its snapshots \(snapshots.joined(separator: ", "))"))
            }
            (imageId, taskId) = try importImage(info: info)
            log("importing \(object) as image \(imageId) (task \(taskId))")
        } catch {
            dropObject()
            throw error
        }
        do {
            let waiter = Waiter(target: .image(imageId), region: r.region, timeout: r.timeout, schedule: schedule,
                                describe: { [api] product, action, params in
                                    do { return try api(product, action, params) } catch let e as APIError { throw e.toolError }
                                }, progress: waitProgress)
            image = try waiter.run().value
        } catch let e as ToolError where e.status == .tempFail {
            throw ToolError(.tempFail, "\(e.message); the import goes on, \(object) is kept for it")
        } catch {
            dropObject()
            throw error
        }
        let snapshots = (image["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue ?? [])
            .compactMap { $0["SnapshotId"]?.stringValue }.filter { !$0.isEmpty }
        if !r.tags.isEmpty {
            try tag("image", [imageId])
            if !snapshots.isEmpty { try tag("snapshot", snapshots) }
        }
        dropObject()
        return [
            "ImageId": .string(imageId), "ImageName": .string(r.imageName), "RegionId": .string(r.region),
            "TaskId": .string(taskId), "Format": .string(info.format.apiName), "DiskImageSize": .int(Int(systemSize(info))),
            "Bucket": .string(r.bucket), "Object": .string(r.objectKey), "ObjectDeleted": .bool(objectDeleted),
            "SnapshotIds": .array(snapshots.map { .string($0) }), "Status": .string(image["Status"]?.stringValue ?? ""),
            "Upload": [
                "Bytes": .int(Int(uploaded.size)), "Parts": .int(uploaded.parts), "ResumedParts": .int(uploaded.resumedParts),
                "Crc64": .string(String(uploaded.crc64)), "Seconds": .double((seconds * 1000).rounded() / 1000),
            ],
        ]
    }

    func systemSize(_ info: DiskImageInfo) -> Int64 { Int64(request.systemSizeGiB ?? Int(info.virtualSizeGiB)) }

    /// The ImportImage parameters (one system disk).
    public func importParameters(info: DiskImageInfo, clientToken: String) -> [String: String] {
        let r = request
        var p: [String: String] = [
            "RegionId": r.region, "ImageName": r.imageName, "ClientToken": clientToken,
            "DiskDeviceMapping.1.OSSBucket": r.bucket, "DiskDeviceMapping.1.OSSObject": r.objectKey,
            "DiskDeviceMapping.1.Format": info.format.apiName,
            "DiskDeviceMapping.1.DiskImageSize": String(systemSize(info)),
            "RoleName": ImportRole.name,
        ]
        p["Description"] = r.description
        p["OSType"] = r.osType
        p["Platform"] = r.platform
        p["Architecture"] = r.architecture
        p["BootMode"] = r.bootMode
        p["LicenseType"] = r.licenseType
        p["ResourceGroupId"] = r.resourceGroupId
        return p
    }

    func importImage(info: DiskImageInfo) throws -> (String, String) {
        let token = "img-import-" + SHA256.hash("\(request.region)/\(request.imageName)/\(object)/\(UUID().uuidString)").hexString.prefix(40)
        var roleCreated = false
        var attempt = 0
        while true {
            attempt += 1
            do {
                let res = try api("ecs", "ImportImage", importParameters(info: info, clientToken: String(token)))
                guard let id = res["ImageId"]?.stringValue, !id.isEmpty else { throw ToolError.data("ImportImage: no ImageId in the answer") }
                return (id, res["TaskId"]?.stringValue ?? "")
            } catch let e as APIError where e.code == "NoSetRoletoECSServiceAcount" {
                guard request.createRole else { throw ToolError(.config, "ImportImage: \(e.code): \(ImportRole.howTo)") }
                if !roleCreated {
                    try? createRole()
                    roleCreated = true
                }
                // A new role takes about a minute to reach ECS.
                guard attempt < 12 else { throw e.toolError }
                sleepSeconds(5)
            } catch let e as APIError {
                throw e.toolError
            }
        }
    }

    func tag(_ type: String, _ ids: [String]) throws {
        var p = ["RegionId": request.region, "ResourceType": type]
        for (i, id) in ids.enumerated() { p["ResourceId.\(i + 1)"] = id }
        for (i, kv) in request.tags.enumerated() {
            p["Tag.\(i + 1).Key"] = kv.0
            p["Tag.\(i + 1).Value"] = kv.1
        }
        _ = try call("ecs", "TagResources", p)
    }
}
