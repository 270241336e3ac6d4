import AlicloudKit

extension Engine {
    /// The canonical kind of a ResourceType as either API spells it.
    static func resourceKind(_ type: String) -> String? {
        switch type.lowercased() {
        case "instance": return "instance"
        case "disk": return "disk"
        case "snapshot": return "snapshot"
        case "image": return "image"
        case "securitygroup": return "securitygroup"
        case "keypair": return "keypair"
        case "vpc": return "vpc"
        case "vswitch": return "vswitch"
        case "eip": return "eip"
        default: return nil
        }
    }

    /// Reads or changes the tags of one resource; throws the kind's NotFound error.
    func withTags(kind: String, id: String, region: String, _ change: ((inout [Tag]) throws -> Void)?) throws -> [Tag] {
        func missing() -> CloudError {
            CloudError("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.", status: 404)
        }
        func apply<T>(_ dict: inout [String: T], _ key: String, _ reg: (T) -> String, _ tags: WritableKeyPath<T, [Tag]>) throws -> [Tag] {
            guard var v = dict[key], reg(v) == region else { throw missing() }
            if let change { try change(&v[keyPath: tags]); dict[key] = v }
            return v[keyPath: tags]
        }
        switch kind {
        case "instance": return try apply(&state.instances, id, \.region, \.tags)
        case "disk": return try apply(&state.disks, id, \.region, \.tags)
        case "snapshot": return try apply(&state.snapshots, id, \.region, \.tags)
        case "image": return try apply(&state.images, id, \.region, \.tags)
        case "securitygroup": return try apply(&state.securityGroups, id, \.region, \.tags)
        case "keypair": return try apply(&state.keyPairs, keyPairKey(region, id), \.region, \.tags)
        case "vpc": return try apply(&state.vpcs, id, \.region, \.tags)
        case "vswitch": return try apply(&state.vswitches, id, \.region, \.tags)
        case "eip": return try apply(&state.eips, id, \.region, \.tags)
        default: throw missing()
        }
    }

    /// Every (kind, id, tags) of a region, for ListTagResources and DescribeTags.
    func taggedResources(region r: String) -> [(kind: String, id: String, tags: [Tag])] {
        var out: [(String, String, [Tag])] = []
        out += state.instances.values.filter { $0.region == r }.map { ("instance", $0.id, $0.tags) }
        out += state.disks.values.filter { $0.region == r }.map { ("disk", $0.id, $0.tags) }
        out += state.snapshots.values.filter { $0.region == r }.map { ("snapshot", $0.id, $0.tags) }
        out += state.images.values.filter { $0.region == r }.map { ("image", $0.id, $0.tags) }
        out += state.securityGroups.values.filter { $0.region == r }.map { ("securitygroup", $0.id, $0.tags) }
        out += state.keyPairs.values.filter { $0.region == r }.map { ("keypair", $0.name, $0.tags) }
        out += state.vpcs.values.filter { $0.region == r }.map { ("vpc", $0.id, $0.tags) }
        out += state.vswitches.values.filter { $0.region == r }.map { ("vswitch", $0.id, $0.tags) }
        out += state.eips.values.filter { $0.region == r }.map { ("eip", $0.id, $0.tags) }
        return out.sorted { ($0.0, $0.1) < ($1.0, $1.1) }
    }

    func addTags(_ c: ActionContext, remove: Bool) throws -> JSONValue {
        let r = try region(c)
        let typeText = try c.params.required("ResourceType")
        guard let kind = Engine.resourceKind(typeText) else { throw CloudError.invalid("ResourceType") }
        let id = try c.params.required("ResourceId")
        let tags = try c.params.tags()
        if !remove && tags.isEmpty { throw CloudError.missing("Tag.1.Key") }
        _ = try withTags(kind: kind, id: id, region: r) { current in
            if remove {
                current.removeAll { t in tags.isEmpty || tags.contains { $0.key == t.key && ($0.value.isEmpty || $0.value == t.value) } }
            } else {
                current.merge(tags)
                guard current.count <= 20 else { throw CloudError("InvalidTagCount", "A resource can have at most 20 tags.") }
            }
        }
        return [:]
    }

    func describeTags(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var resources = taggedResources(region: r)
        if let t = c.params["ResourceType"] {
            guard let kind = Engine.resourceKind(t) else { throw CloudError.invalid("ResourceType") }
            resources = resources.filter { $0.kind == kind }
        }
        if let id = c.params["ResourceId"] { resources = resources.filter { $0.id == id } }
        let filterTags = try c.params.tags()
        var counts: [String: [String: Int]] = [:]   // "key\u{0}value" -> kind -> count
        for res in resources {
            for t in res.tags where filterTags.isEmpty || filterTags.contains(where: { $0.key == t.key && ($0.value.isEmpty || $0.value == t.value) }) {
                counts["\(t.key)\u{0}\(t.value)", default: [:]][res.kind, default: 0] += 1
            }
        }
        let keys = counts.keys.sorted()
        let (slice, meta) = try page(keys, c)
        var out = meta
        let names = ["instance": "Instance", "disk": "Disk", "snapshot": "Snapshot", "image": "Image", "securitygroup": "SecurityGroup",
                     "keypair": "KeyPair", "vpc": "Vpc", "vswitch": "VSwitch", "eip": "Eip"]
        out["Tags"] = wrap("Tag", slice.map { k in
            let parts = k.split(separator: "\u{0}", omittingEmptySubsequences: false)
            var rc: [String: JSONValue] = [:]
            for (kind, n) in counts[k]! { rc[names[kind] ?? kind] = .int(n) }
            return ["TagKey": js(String(parts[0])), "TagValue": js(String(parts.count > 1 ? parts[1] : "")), "ResourceTypeCount": .object(rc)]
        })
        return .object(out)
    }

    func tagResources(_ c: ActionContext, untag: Bool) throws -> JSONValue {
        let r = try region(c)
        guard let kind = Engine.resourceKind(try c.params.required("ResourceType")) else { throw CloudError.invalid("ResourceType") }
        let ids = c.params.list("ResourceId")
        guard !ids.isEmpty else { throw CloudError.missing("ResourceId.1") }
        guard ids.count <= 50 else { throw CloudError.invalid("ResourceId.N", "At most 50 resources.") }
        if untag {
            let keys = c.params.list("TagKey")
            let all = try c.params.bool("All")
            guard all || !keys.isEmpty else { throw CloudError.missing("TagKey.1") }
            for id in ids { _ = try withTags(kind: kind, id: id, region: r, nil) }
            for id in ids { _ = try withTags(kind: kind, id: id, region: r) { $0.removeAll { t in all || keys.contains(t.key) } } }
        } else {
            let tags = try c.params.tags()
            guard !tags.isEmpty else { throw CloudError.missing("Tag.1.Key") }
            for id in ids { _ = try withTags(kind: kind, id: id, region: r, nil) }
            for id in ids {
                _ = try withTags(kind: kind, id: id, region: r) {
                    $0.merge(tags)
                    guard $0.count <= 20 else { throw CloudError("InvalidTagCount", "A resource can have at most 20 tags.") }
                }
            }
        }
        return [:]
    }

    func listTagResources(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        guard let kind = Engine.resourceKind(try c.params.required("ResourceType")) else { throw CloudError.invalid("ResourceType") }
        let ids = c.params.list("ResourceId")
        let filterTags = try c.params.tags()
        guard !ids.isEmpty || !filterTags.isEmpty else { throw CloudError.missing("ResourceId.1") }
        var rows: [(String, Tag)] = []
        for res in taggedResources(region: r) where res.kind == kind && (ids.isEmpty || ids.contains(res.id)) {
            if !filterTags.isEmpty && !res.tags.matches(filterTags) { continue }
            for t in res.tags { rows.append((res.id, t)) }
        }
        let typeName = c.vpcDialect ? kind.uppercased() : kind
        var out: [String: JSONValue] = [:]
        let (slice, meta) = try page(rows, ActionContext(product: c.product, params: Params(c.params.values.merging(["MaxResults": c.params["MaxResults"] ?? "50", "NextToken": c.params["NextToken"] ?? "nt0"]) { $1 })), defaultSize: 50, maxSize: 1000, tokens: true)
        out["NextToken"] = meta["NextToken"]
        out["TagResources"] = wrap("TagResource", slice.map { row in
            ["ResourceId": js(row.0), "ResourceType": js(typeName), "TagKey": js(row.1.key), "TagValue": js(row.1.value)]
        })
        return .object(out)
    }

    func describeTasks(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.tasks.values.filter { $0.region == r }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        if let ids = c.params.commaList("TaskIds") { items = items.filter { ids.contains($0.id) } }
        if let a = c.params["TaskAction"] { items = items.filter { $0.action == a } }
        if let s = c.params["TaskStatus"] { items = items.filter { $0.status == s } }
        let resources = c.params.list("ResourceIds")
        if !resources.isEmpty { items = items.filter { resources.contains($0.resourceId) } }
        let (slice, meta) = try page(items, c)
        var out = meta
        out["RegionId"] = js(r)
        out["TaskSet"] = wrap("Task", slice.map { t in
            ["TaskId": js(t.id), "TaskAction": js(t.action), "TaskStatus": js(t.status), "ResourceId": js(t.resourceId),
             "CreationTime": js(SimTime.iso(t.created)), "FinishedTime": js(t.finished.map(SimTime.iso) ?? ""),
             "SupportCancel": js(t.action == "CopyImage" && t.status == "Processing" ? "true" : "false")]
        })
        return .object(out)
    }
}
