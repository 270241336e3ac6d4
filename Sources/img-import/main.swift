// img-import: a local QCOW2/VHD/RAW disk file to an ECS image through OSS.
import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec.imgImport

let args = spec.parseOrExit()

runTool(spec) {
    let env = ProcessEnvironment.current
    guard args.positionals.count == 1 else { spec.usageExit("expected one DISKFILE") }
    for required in ["--bucket", "--image-name"] where (args.value(required) ?? "").isEmpty {
        spec.usageExit("\(required) is required")
    }
    // --format is the disk format here, so only --query of the shared output options.
    let query = try args.value("--query").map { try JSONQuery($0) }
    func nonEmpty(_ s: String?) -> String? { s.flatMap { $0.isEmpty ? nil : $0 } }
    let givenRegion = nonEmpty(args.value("--region")) ?? nonEmpty(env["ALICLOUD_REGION"]) ?? nonEmpty(env["ALIBABA_CLOUD_REGION_ID"])
    guard let region = try givenRegion ?? CloudSettings.resolve(profile: args.value("--profile"), environment: env).region else {
        spec.usageExit("--region is required (or ALICLOUD_REGION)")
    }

    var request = ImportRequest(diskPath: args.positionals[0], region: region, bucket: args.value("--bucket")!,
                                imageName: args.value("--image-name")!)
    request.object = args.value("--object")
    if let f = args.value("--format") {
        guard let format = DiskFormat(rawValue: f.lowercased()) else { spec.usageExit("--format \(f): qcow2, vhd or raw") }
        request.format = format
    }
    request.platform = args.value("--platform")
    request.osType = args.value("--os-type")
    request.architecture = args.value("--architecture")
    request.systemSizeGiB = try args.integer("--system-size")
    request.bootMode = args.value("--boot-mode")
    request.description = args.value("--description")
    request.licenseType = args.value("--license-type")
    if let group = args.value("--resource-group-id") {
        guard group.hasPrefix("rg-"), group.count > 3 else { spec.usageExit("--resource-group-id \(group): not a resource group id (rg-...)") }
        request.resourceGroupId = group
    }
    request.keepObject = args.has("--keep-object")
    request.createBucket = args.has("--create-bucket")
    request.createRole = args.has("--create-role")
    request.forceDeleteExisting = args.has("--force-delete-existing")
    for t in args.all("--tag") {
        guard let eq = t.firstIndex(of: "="), eq != t.startIndex else { spec.usageExit("--tag \(t): expected KEY=VALUE") }
        request.tags.append((String(t[..<eq]), String(t[t.index(after: eq)...])))
    }
    if let file = args.value("--tags-from") {
        guard let data = FileManager.default.contents(atPath: file) else { throw ToolError(.noInput, "--tags-from \(file): cannot read the file") }
        let tags = try RPCParameters.tagMap(json: [UInt8](data), source: file)
        for k in tags.keys.sorted() { request.tags.append((k, tags[k]!)) }
    }
    let partMiB = try args.number("--part-size", default: 64)!
    guard partMiB >= 0.1 && partMiB <= 5120 else { spec.usageExit("--part-size \(partMiB): 0.1 to 5120 MiB") }
    let parallel = try args.integer("--parallel", default: 4)!
    guard (1...64).contains(parallel) else { spec.usageExit("--parallel \(parallel): 1 to 64") }
    let timeout = try args.number("--timeout", default: 3600)!
    guard timeout > 0 else { spec.usageExit("--timeout \(timeout): must be positive") }
    request.timeout = timeout
    let stateDir = args.value("--state-dir")
        ?? ((env["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((env["HOME"] ?? Paths.home()) + "/.local/state")) + "/img-import")
    request.upload = UploadSettings(partSize: Int64(partMiB * 1024 * 1024), parallel: parallel,
                                    stateDirectory: URL(fileURLWithPath: stateDir))

    // Bad input ends here, before credentials are even looked at and nothing is uploaded.
    // (--abort gives up what an earlier run left, even when the disk file is gone.)
    if !args.has("--abort") { _ = try ImageImport.checkLocal(request) }
    let settings = try CloudSettings.resolve(profile: args.value("--profile"), region: region, environment: env)
    let debug = args.has("--debug")
    let creds = settings.credentials
    let ossEndpoint = try (args.value("--oss-endpoint") ?? env["ALICLOUD_OSS_ENDPOINT"]).flatMap { $0.isEmpty ? nil : $0 }
        .map(OSSEndpoint.parse) ?? .region(region)
    var httpOptions = HTTPOptions()
    // Each request is one part: allow a slow link (about 256 KiB/s) before giving up.
    httpOptions.timeout = 120 + Double(request.upload.partSize) / 262_144
    let oss = OSSClient(endpoint: ossEndpoint, region: region,
                        credentials: OSSCredentials(accessKeyId: creds.accessKeyId, accessKeySecret: creds.accessKeySecret,
                                                    securityToken: creds.securityToken),
                        options: httpOptions)
    if debug { oss.trace = { StandardStream.err("img-import: oss: \($0)\n") } }

    let endpoint = args.value("--endpoint")
    var clients: [String: RPCClient] = [:]
    let api: CloudCall = { product, action, params in
        if clients[product] == nil {
            clients[product] = try RPCClient.fromEnvironment(product: product, profile: args.value("--profile"),
                                                             region: region, endpoint: endpoint, environment: env)
        }
        if debug { StandardStream.err("img-import: \(product): \(action)\n") }
        return try clients[product]!.call(action, params)
    }

    let job = ImageImport(request: request, oss: oss, api: api)
    let terminal = isatty(2) == 1
    job.log = { StandardStream.err("img-import: \($0)\n") }
    if terminal {
        let meter = ProgressMeter()
        job.uploadProgress = { done, total in meter.show(done, total) }
        job.waitProgress = { StandardStream.err("\r\u{1b}[K  \($0)") }
    }
    if args.has("--abort") {
        let target = "oss://\(request.bucket)/\(request.objectKey)"
        if let id = try? job.abortUpload() {
            StandardStream.err("img-import: aborted upload \(id) of \(request.diskPath) to \(target)\n")
        } else {
            StandardStream.err("img-import: no interrupted upload of \(request.diskPath) to \(target)\n")
        }
        // An upload that completed before the interruption left the object: delete it too.
        do {
            if try oss.headObject(bucket: request.bucket, key: request.objectKey) != nil {
                try oss.deleteObject(bucket: request.bucket, key: request.objectKey)
                StandardStream.err("img-import: deleted \(target)\n")
            }
        } catch let e as OSSError where e.code == "NoSuchBucket" {
        } catch let e as OSSError {
            throw e.toolError(target)
        }
        return
    }
    let result = try job.run()
    if terminal { StandardStream.err("\r\u{1b}[K") }
    StandardStream.out(try query.map { try $0.render(result) } ?? result.document)
}

/// Upload progress on a terminal: bytes, MB/s, ETA, at most a few times a second.
final class ProgressMeter: @unchecked Sendable {
    let start = Date()
    var last = Date.distantPast
    let lock = Lock()

    func show(_ done: Int64, _ total: Int64) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) > 0.25 || done == total else { return }
        last = now
        let elapsed = max(0.001, now.timeIntervalSince(start))
        let rate = Double(done) / elapsed
        let eta = rate > 0 ? Int(Double(total - done) / rate) : 0
        let line = cFormat("  uploaded %.1f/%.1f MiB  %.1f MB/s  ETA %d:%02d",
                           Double(done) / 1_048_576, Double(total) / 1_048_576, rate / 1_000_000, eta / 60, eta % 60)
        StandardStream.err("\r\u{1b}[K" + line + (done == total ? "\n" : ""))
    }
}
