import AlicloudKit
import FoundationEssentials

extension OSSService {
    /// What the store holds, for the emulator's dump: buckets, objects and unfinished
    /// multipart uploads (objects and uploads are billable: a finished job leaves none).
    public func inventory() -> (buckets: [JSONValue], objects: [JSONValue], uploads: [JSONValue]) {
        let fm = FileManager.default
        var buckets: [JSONValue] = [], objects: [JSONValue] = [], uploads: [JSONValue] = []
        for name in ((try? fm.contentsOfDirectory(atPath: root.path)) ?? []).sorted() {
            guard let b = try? bucketRecord(name) else { continue }
            buckets.append(["name": .string(b.name), "region": .string(b.region)])
            let objectDir = bucketDir(name).appendingPathComponent("objects")
            var found: [ObjectRecord] = []
            for file in (try? fm.contentsOfDirectory(atPath: objectDir.path)) ?? [] where file.hasSuffix(".json") && !file.hasPrefix(".") {
                if let r = readJSON(ObjectRecord.self, objectDir.appendingPathComponent(file)) { found.append(r) }
            }
            for r in found.sorted(by: { $0.key < $1.key }) {
                objects.append(["bucket": .string(name), "key": .string(r.key), "size": .int(Int(r.size)), "region": .string(b.region)])
            }
            let uploadDir = bucketDir(name).appendingPathComponent("uploads")
            for id in ((try? fm.contentsOfDirectory(atPath: uploadDir.path)) ?? []).sorted() {
                guard let u = readJSON(UploadRecord.self, uploadDir.appendingPathComponent(id).appendingPathComponent("upload.json")) else { continue }
                uploads.append(["bucket": .string(name), "key": .string(u.key), "uploadId": .string(id),
                                "parts": .int(parts(uploadDir.appendingPathComponent(id)).count), "region": .string(b.region)])
            }
        }
        return (buckets, objects, uploads)
    }
}
