import FoundationEssentials
import AlicloudKit

extension Engine {
    /// Every live resource, the temporary ones (everything that is not an image, a snapshot
    /// an image uses or an OSS bucket: what a finished build or import must have released,
    /// OSS objects and unfinished multipart uploads included), and per-action request counts.
    public func dump(requestCounts override: [String: Int]? = nil) -> JSONValue {
        lock.lock()
        defer { lock.unlock() }
        func encode<T: Encodable>(_ items: [T]) -> JSONValue {
            let enc = JSONEncoder()
            guard let data = try? enc.encode(items), let v = try? JSONParser.parse([UInt8](data)) else { return [] }
            return v
        }
        let imageSnapshots = Set(state.images.values.flatMap { $0.mappings.map(\.snapshotId) })
        var temporary: [JSONValue] = []
        func temp(_ kind: String, _ id: String, _ region: String, _ status: String) {
            temporary.append(["kind": js(kind), "id": js(id), "region": js(region), "status": js(status)])
        }
        for i in state.instances.values.sorted(by: { $0.id < $1.id }) { temp("instance", i.id, i.region, i.status) }
        for d in state.disks.values.sorted(by: { $0.id < $1.id }) { temp("disk", d.id, d.region, d.status) }
        for e in state.eips.values.sorted(by: { $0.id < $1.id }) { temp("eip", e.id, e.region, e.status) }
        for g in state.securityGroups.values.sorted(by: { $0.id < $1.id }) { temp("securitygroup", g.id, g.region, "Available") }
        for v in state.vswitches.values.sorted(by: { $0.id < $1.id }) { temp("vswitch", v.id, v.region, v.status) }
        for v in state.vpcs.values.sorted(by: { $0.id < $1.id }) { temp("vpc", v.id, v.region, v.status) }
        for k in state.keyPairs.values.sorted(by: { $0.name < $1.name }) { temp("keypair", k.name, k.region, "Available") }
        for s in state.snapshots.values.sorted(by: { $0.id < $1.id }) where !imageSnapshots.contains(s.id) { temp("snapshot", s.id, s.region, s.status) }
        let oss = objectStore?.inventory() ?? (buckets: [], objects: [], uploads: [])
        for o in oss.objects {
            temp("oss-object", "oss://\(o["bucket"]?.stringValue ?? "")/\(o["key"]?.stringValue ?? "")", o["region"]?.stringValue ?? "", "Normal")
        }
        for u in oss.uploads {
            temp("oss-upload", "oss://\(u["bucket"]?.stringValue ?? "")/\(u["key"]?.stringValue ?? "")?uploadId=\(u["uploadId"]?.stringValue ?? "")",
                 u["region"]?.stringValue ?? "", "InProgress")
        }
        var instances = state.instances.values.sorted { $0.id < $1.id }
        for i in instances.indices { instances[i].userData = instances[i].userData == nil ? nil : "[redacted]" }
        let resources: JSONValue = [
            "instances": encode(instances),
            "disks": encode(state.disks.values.sorted { $0.id < $1.id }),
            "eips": encode(state.eips.values.sorted { $0.id < $1.id }),
            "securityGroups": encode(state.securityGroups.values.sorted { $0.id < $1.id }),
            "vswitches": encode(state.vswitches.values.sorted { $0.id < $1.id }),
            "vpcs": encode(state.vpcs.values.sorted { $0.id < $1.id }),
            "keyPairs": encode(state.keyPairs.values.sorted { $0.name < $1.name }),
            "snapshots": encode(state.snapshots.values.sorted { $0.id < $1.id }),
            "images": encode(state.images.values.sorted { $0.id < $1.id }),
            "tasks": encode(state.tasks.values.sorted { $0.id < $1.id }),
            "oss": ["buckets": .array(oss.buckets), "objects": .array(oss.objects), "uploads": .array(oss.uploads)],
        ]
        let counts = override ?? state.requestCounts
        var requestJSON: [String: JSONValue] = [:]
        for (k, v) in counts { requestJSON[k] = .int(v) }
        return [
            "resources": resources,
            "temporary": .array(temporary),
            "temporaryCount": .int(temporary.count),
            "requests": .object(requestJSON),
            "requestTotal": .int(counts.values.reduce(0, +)),
            "profile": js(config.profile.name),
        ]
    }
}
