import FoundationEssentials
import AlicloudKit

extension Engine {
    // MARK: disks

    func diskJSON(_ d: Disk, _ c: ActionContext) -> JSONValue {
        [
            "DiskId": js(d.id), "DiskName": js(d.name), "Description": js(d.description), "Type": js(d.type), "Category": js(d.category),
            "Size": .int(d.size), "Status": js(d.status), "InstanceId": js(d.instanceId ?? ""), "RegionId": js(d.region), "ZoneId": js(d.zoneId),
            "Device": js(d.instanceId == nil ? "" : d.device), "DeleteWithInstance": .bool(d.deleteWithInstance), "DeleteAutoSnapshot": true,
            "EnableAutoSnapshot": false, "Portable": .bool(d.type == "data"), "ImageId": js(d.imageId), "SourceSnapshotId": js(d.sourceSnapshotId),
            "CreationTime": js(SimTime.iso(d.created)), "AttachedTime": js(d.instanceId == nil ? "" : SimTime.iso(d.created)),
            "Encrypted": .bool(d.kmsKeyId != nil), "KMSKeyId": js(d.kmsKeyId ?? ""),
            "OperationLocks": ["OperationLock": []], "Tags": tagsJSON(d.tags, c), "SerialNumber": js(String(d.id.dropFirst(2))),
        ]
    }

    func describeDisks(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.disks.values.filter { $0.region == r }.sorted { ($0.created, $0.device, $0.id) < ($1.created, $1.device, $1.id) }
        if let ids = try c.params.jsonArray("DiskIds") { items = items.filter { ids.contains($0.id) } }
        if let i = c.params["InstanceId"] { items = items.filter { $0.instanceId == i } }
        if let t = c.params["DiskType"], t != "all" { items = items.filter { $0.type == t } }
        if let cat = c.params["Category"], cat != "all" { items = items.filter { $0.category == cat } }
        if let s = c.params["Status"], s != "All" { items = items.filter { $0.status == s } }
        if let z = c.params["ZoneId"] { items = items.filter { $0.zoneId == z } }
        if let s = c.params["SnapshotId"] { items = items.filter { $0.sourceSnapshotId == s } }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, tokens: true)
        var out = meta
        out["Disks"] = wrap("Disk", slice.map { diskJSON($0, c) })
        return .object(out)
    }

    func deleteDisk(_ c: ActionContext) throws -> JSONValue {
        let id = try c.params.required("DiskId")
        guard let d = state.disks[id], c.params["RegionId"] == nil || d.region == c.params["RegionId"] else {
            throw CloudError.notFound("InvalidDiskId.NotFound", "DiskId", id)
        }
        guard d.status == "Available" else { throw CloudError.incorrectStatus("IncorrectDiskStatus", "The current disk status does not support this operation.") }
        state.disks[id] = nil
        let host = self.host
        hostWork(id, { try host.deleteDisk(id: id) })
        return [:]
    }

    // MARK: snapshots

    /// Starts a snapshot of a disk: progressing until its time is up and the host copied the tree.
    func beginSnapshot(of disk: Disk, name: String, description: String, tags: [Tag]) -> String {
        let sid = newId("s", region: disk.region)
        let duration = config.profile.snapshotBase + config.profile.snapshotPerGiB * Double(disk.size)
        let imageId = disk.imageId.isEmpty ? state.snapshots[disk.sourceSnapshotId]?.sourceImageId : disk.imageId
        state.snapshots[sid] = Snapshot(id: sid, region: disk.region, name: name, description: description, diskId: disk.id, diskSize: disk.size,
                                        diskType: disk.type, status: "progressing", doneAt: now + duration, hostDone: false, sourceImageId: imageId,
                                        created: now, tags: tags, kmsKeyId: disk.kmsKeyId)
        let host = self.host, did = disk.id
        let size = Box<Int64>(0)
        hostWork(sid, { size.value = try host.snapshot(disk: did, to: sid) }) { engine, error in
            guard var s = engine.state.snapshots[sid] else { return }
            if error != nil { s.status = "failed" } else { s.hostDone = true; s.sizeBytes = size.value }
            engine.state.snapshots[sid] = s
            engine.dirty = true
        }
        return sid
    }

    func createSnapshot(_ c: ActionContext) throws -> JSONValue {
        let id = try c.params.required("DiskId")
        guard let d = state.disks[id], c.params["RegionId"] == nil || d.region == c.params["RegionId"] else {
            throw CloudError.notFound("InvalidDiskId.NotFound", "DiskId", id)
        }
        guard d.status != "Creating" else { throw CloudError.incorrectStatus("IncorrectDiskStatus", "The current disk status does not support this operation.") }
        if let iid = d.instanceId, let inst = state.instances[iid], !["Running", "Stopped"].contains(inst.status) {
            throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
        }
        if let n = c.params["SnapshotName"], n.hasPrefix("auto") || !(2...128).contains(n.count) {
            throw CloudError("InvalidSnapshotName.Malformed", "The specified parameter \"SnapshotName\" is not valid.")
        }
        let sid = beginSnapshot(of: d, name: c.params["SnapshotName"] ?? "", description: c.params["Description"] ?? "", tags: try c.params.tags())
        return ["SnapshotId": js(sid)]
    }

    func snapshotUsage(_ id: String) -> String {
        let byImage = state.images.values.contains { $0.mappings.contains { $0.snapshotId == id } }
        let byDisk = state.disks.values.contains { $0.sourceSnapshotId == id }
        switch (byImage, byDisk) {
        case (true, true): return "image_disk"
        case (true, false): return "image"
        case (false, true): return "disk"
        default: return "none"
        }
    }

    func snapshotProgress(_ s: Snapshot) -> Int {
        if s.status == "accomplished" { return 100 }
        let total = max(s.doneAt - s.created, 0.001)
        return min(99, max(0, Int((now - s.created) / total * 100)))
    }

    func describeSnapshots(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.snapshots.values.filter { $0.region == r }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        if let ids = try c.params.jsonArray("SnapshotIds") { items = items.filter { ids.contains($0.id) } }
        if let d = c.params["DiskId"] { items = items.filter { $0.diskId == d } }
        if let i = c.params["InstanceId"] { items = items.filter { state.disks[$0.diskId]?.instanceId == i } }
        if let s = c.params["Status"], s != "all" { items = items.filter { $0.status == s } }
        if let u = c.params["Usage"] { items = items.filter { snapshotUsage($0.id) == u } }
        if let t = c.params["SnapshotType"], t == "auto" { items = [] }
        if let n = c.params["SnapshotName"] { items = items.filter { $0.name == n } }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, tokens: true)
        var out = meta
        out["Snapshots"] = wrap("Snapshot", slice.map { s in
            let progress = snapshotProgress(s)
            return [
                "SnapshotId": js(s.id), "SnapshotName": js(s.name), "Description": js(s.description), "Status": js(s.status),
                "Progress": js("\(progress)%"), "RemainTime": .int(s.status == "accomplished" ? 0 : max(0, Int((s.doneAt - now).rounded(.up)))),
                "SourceDiskId": js(s.diskId), "SourceDiskSize": js(String(s.diskSize)), "SourceDiskType": js(s.diskType == "system" ? "System" : "Data"),
                "Usage": js(snapshotUsage(s.id)), "CreationTime": js(SimTime.iso(s.created)), "LastModifiedTime": js(SimTime.iso(s.created)),
                "SnapshotType": "user", "Encrypted": .bool(s.kmsKeyId != nil), "KMSKeyId": js(s.kmsKeyId ?? ""), "ProductCode": "", "SourceStorageType": "disk", "Category": "standard",
                "InstantAccess": false, "RegionId": js(s.region), "Tags": tagsJSON(s.tags, c), "ResourceGroupId": "",
            ]
        })
        return .object(out)
    }

    func deleteSnapshot(_ c: ActionContext) throws -> JSONValue {
        let id = try c.params.required("SnapshotId")
        guard let s = state.snapshots[id], c.params["RegionId"] == nil || s.region == c.params["RegionId"] else {
            throw CloudError.notFound("InvalidSnapshotId.NotFound", "SnapshotId", id)
        }
        if state.images.values.contains(where: { $0.mappings.contains { $0.snapshotId == id } }) {
            throw CloudError("SnapshotCreatedImage", "The snapshot has been used to create a custom image and cannot be deleted.", status: 403)
        }
        if !(try c.params.bool("Force")), state.disks.values.contains(where: { $0.sourceSnapshotId == id }) {
            throw CloudError("SnapshotCreatedDisk", "The snapshot has been used to create disks; use Force to delete it.", status: 403)
        }
        state.snapshots[id] = nil
        let host = self.host
        hostWork(id, { try host.deleteSnapshot(id: id) })
        return [:]
    }

    // MARK: images

    func checkImageName(_ name: String, region: String, as parameter: String = "ImageName") throws {
        if name.isEmpty { throw CloudError(NameRule.imageName.errorCode, "The specified parameter \"\(parameter)\" is not valid.") }
        try NameRule.imageName.enforce(name, as: parameter)
        if state.images.values.contains(where: { $0.region == region && $0.name == name && $0.ownerAlias == "self" }) {
            throw CloudError("InvalidImageName.Duplicated", "The specified Image name has already been used.")
        }
    }

    /// An image's OS facts, from the image a snapshot's disk came from.
    func imageFacts(_ imageId: String?, region: String) -> (osType: String, osName: String, platform: String, family: String) {
        if let id = imageId, let img = image(id, region: region) ?? state.images[id] {
            return (img.osType, img.osName, img.platform, img.hostFamily)
        }
        return ("linux", "Others Linux", "Others Linux", "centos")
    }

    func createImage(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let p = c.params
        var mappings: [DiskMapping] = []
        var facts: (osType: String, osName: String, platform: String, family: String)
        var sourceInstance = ""
        let name = p["ImageName"] ?? ""
        if !name.isEmpty { try checkImageName(name, region: r) }
        try NameRule.description.enforce(p["Description"])
        if let iid = p["InstanceId"] {
            let inst = try instance(iid, r)
            // The real API images Running and Stopped instances alike.
            guard inst.status == "Running" || inst.status == "Stopped" else {
                throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
            }
            guard !isBusy(iid) else { throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The instance is busy.") }
            facts = imageFacts(inst.imageId, region: r)
            sourceInstance = iid
            let tags = try p.tags()
            for did in [inst.systemDiskId] + inst.dataDiskIds {
                guard let d = state.disks[did] else { continue }
                let sid = beginSnapshot(of: d, name: "", description: "", tags: [])
                _ = tags
                mappings.append(DiskMapping(snapshotId: sid, size: d.size, device: d.device, type: d.type))
            }
        } else {
            var entries = p.structList("DiskDeviceMapping")
            if let sid = p["SnapshotId"] { entries.insert(["SnapshotId": sid, "DiskType": "system"], at: 0) }
            guard !entries.isEmpty else { throw CloudError.missing("InstanceId") }
            var firstImage: String?
            for (n, e) in entries.enumerated() {
                guard let sid = e["SnapshotId"] else { throw CloudError.missing("DiskDeviceMapping.\(n + 1).SnapshotId") }
                guard let s = state.snapshots[sid], s.region == r else { throw CloudError.notFound("InvalidSnapshotId.NotFound", "SnapshotId", sid) }
                guard s.status == "accomplished" else { throw CloudError("IncorrectSnapshotStatus", "The snapshot is not accomplished yet.", status: 403) }
                let type = e["DiskType"] ?? (n == 0 ? "system" : "data")
                let size = Int(e["Size"] ?? "") ?? s.diskSize
                if type == "system" && firstImage == nil { firstImage = s.sourceImageId ?? "" }
                mappings.append(DiskMapping(snapshotId: sid, size: size, device: e["Device"] ?? (n == 0 ? "/dev/xvda" : "/dev/xvd" + String(UnicodeScalar(UInt8(97 + n)))), type: type))
            }
            guard mappings.first(where: { $0.type == "system" }) != nil else { throw CloudError.invalid("DiskDeviceMapping.N.DiskType", "One disk must be the system disk.") }
            facts = imageFacts(firstImage, region: r)
        }
        let id = newId("m", region: r)
        let img = Image(id: id, region: r, name: name.isEmpty ? id : name, description: p["Description"] ?? "", family: p["ImageFamily"] ?? "",
                        version: p["ImageVersion"] ?? "", status: "Creating", next: nil, ownerAlias: "self", osType: facts.osType,
                        osName: facts.osName, platform: p["Platform"] ?? facts.platform, architecture: p["Architecture"] ?? "x86_64",
                        size: mappings.first { $0.type == "system" }?.size ?? 20, mappings: mappings, hostFamily: facts.family,
                        bootMode: p["BootMode"] ?? "BIOS", resourceGroupId: try resourceGroup(c), sourceInstanceId: sourceInstance, created: now,
                        tags: try p.tags(), progressStart: now)
        state.images[id] = img
        return ["ImageId": js(id)]
    }

    /// Images become Available once every snapshot they need is accomplished, plus a little.
    func settleImages(_ t: Double) {
        for (id, var img) in state.images where img.status == "Creating" || img.status == "Waiting" {
            let snaps = img.mappings.compactMap { state.snapshots[$0.snapshotId] }
            let importing = state.tasks.values.contains { $0.resourceId == id && $0.action == "ImportImage" && $0.status == "Processing" }
            if let reason = img.importFailure {
                // The object was not a disk the import can use: it fails once it "read" it.
                guard t >= img.progressStart + config.profile.imageImport / 2 else { continue }
                failImage(&img, reason: reason, at: t)
                state.images[id] = img; dirty = true; continue
            }
            if snaps.contains(where: { $0.status == "failed" }) {
                failImage(&img, reason: "the disk could not be converted", at: t)
                state.images[id] = img; dirty = true; continue
            }
            if importing, img.status == "Waiting", t >= img.progressStart + config.profile.imageImport / 5 {
                img.status = "Creating"
                state.images[id] = img
                dirty = true
            }
            guard snaps.count == img.mappings.count, snaps.allSatisfy({ $0.status == "accomplished" }), !isBusy(id) else { continue }
            if let n = img.next {
                guard t >= n.at else { continue }
                img.status = n.to
                img.next = nil
                for (tid, var task) in state.tasks where task.resourceId == id && task.status == "Processing" {
                    task.status = "Finished"; task.finished = t; state.tasks[tid] = task
                }
            } else {
                let delay = img.copiedFrom.isEmpty ? config.profile.imageAfterSnapshots : 0
                img.next = Transition(to: "Available", at: t + delay)
                if delay == 0 { img.status = "Available"; img.next = nil }
            }
            state.images[id] = img
            dirty = true
        }
    }

    /// Ends an image that cannot be created: CreateFailed, its tasks Failed with `reason`.
    func failImage(_ img: inout Image, reason: String, at t: Double) {
        img.status = "CreateFailed"
        img.next = nil
        for (tid, var task) in state.tasks where task.resourceId == img.id && task.status == "Processing" {
            task.status = "Failed"; task.finished = t; task.failure = reason; state.tasks[tid] = task
        }
    }

    func imageProgress(_ img: Image) -> Int {
        if img.status == "Available" { return 100 }
        let snaps = img.mappings.compactMap { state.snapshots[$0.snapshotId] }
        guard !snaps.isEmpty else { return 0 }
        return min(99, snaps.map(snapshotProgress).reduce(0, +) / snaps.count)
    }

    func imageJSON(_ img: Image, _ c: ActionContext) -> JSONValue {
        let used = state.instances.values.contains { $0.imageId == img.id }
        return [
            "ImageId": js(img.id), "ImageName": js(img.name), "ImageFamily": js(img.family), "ImageVersion": js(img.version),
            "Description": js(img.description), "Status": js(img.status), "Progress": js("\(imageProgress(img))%"), "Size": .int(img.size),
            "OSType": js(img.osType), "OSName": js(img.osName), "OSNameEn": js(img.osName), "Platform": js(img.platform),
            "Architecture": js(img.architecture), "BootMode": js(img.bootMode), "ImageOwnerAlias": js(img.ownerAlias),
            "IsCopied": .bool(img.isCopied), "IsSelfShared": js(img.sharedAccounts.isEmpty ? "" : "True"), "IsSubscribed": false,
            "IsSupportCloudinit": true, "IsSupportIoOptimized": true, "IsPublic": .bool(img.ownerAlias == "system" || img.isPublic),
            "Usage": js(used ? "instance" : "none"), "CreationTime": js(SimTime.iso(img.created)), "ProductCode": "", "ResourceGroupId": js(img.resourceGroupId ?? ""),
            "ImageOwnerId": .int(img.ownerAlias == "self" ? 1_234_567_890_123_456 : 0), "LoginAsNonRootSupported": false,
            "DiskDeviceMappings": wrap("DiskDeviceMapping", img.mappings.map { m in
                let s = state.snapshots[m.snapshotId]
                return [
                    "SnapshotId": js(m.snapshotId), "Size": js(String(m.size)), "Device": js(m.device), "Type": js(m.type),
                    "Format": js(m.format ?? ""), "ImportOSSBucket": js(m.importBucket ?? ""), "ImportOSSObject": js(m.importObject ?? ""), "Progress": js(s.map { "\(snapshotProgress($0))%" } ?? "100%"),
                    "RemainTime": .int(s.map { $0.status == "accomplished" ? 0 : max(0, Int(($0.doneAt - now).rounded(.up))) } ?? 0),
                ]
            }),
            "Tags": tagsJSON(img.tags, c),
        ]
    }

    func describeImages(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let p = c.params
        var items = Catalog.images(region: r) + state.images.values.filter { $0.region == r }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        if let ids = p.commaList("ImageId") {
            items = items.filter { ids.contains($0.id) }
            // An unlisted but well-formed public ID of a known family is served as that family.
            for id in ids where !items.contains(where: { $0.id == id }) {
                if let img = Catalog.publicImage(id, region: r, strict: config.strictCatalog) { items.insert(img, at: 0) }
            }
        }
        if let n = p["ImageName"] { items = items.filter { $0.name == n } }
        if let f = p["ImageFamily"] { items = items.filter { $0.family == f } }
        if let o = p["ImageOwnerAlias"] {
            guard ["system", "self", "others", "marketplace"].contains(o) else { throw CloudError.invalid("ImageOwnerAlias") }
            items = items.filter { $0.ownerAlias == o }
        }
        let statuses = p.commaList("Status") ?? ["Available"]
        items = items.filter { statuses.contains($0.status) }
        if let os = p["OSType"] { items = items.filter { $0.osType == os.lowercased() } }
        if let a = p["Architecture"] { items = items.filter { $0.architecture == a } }
        if let pub = p["IsPublic"] { items = items.filter { ($0.ownerAlias == "system" || $0.isPublic) == (pub == "true") } }
        if let s = p["SnapshotId"] { items = items.filter { $0.mappings.contains { $0.snapshotId == s } } }
        if let u = p["Usage"] {
            items = items.filter { img in
                let used = state.instances.values.contains { $0.imageId == img.id }
                return u == "instance" ? used : u == "none" ? !used : true
            }
        }
        for f in p.structList("Filter") where f["Key"] == "CreationStartTime" || f["Key"] == "CreationEndTime" {
            if let v = f["Value"], let t = SimTime.parse(v.count == 17 ? String(v.dropLast()) + ":00Z" : v) {
                items = items.filter { f["Key"] == "CreationStartTime" ? $0.created >= t : $0.created <= t }
            }
        }
        let filterTags = try p.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c)
        var out = meta
        out["RegionId"] = js(r)
        out["Images"] = wrap("Image", slice.map { imageJSON($0, c) })
        return .object(out)
    }

    func describeImageFromFamily(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let fam = try c.params.required("ImageFamily")
        guard let img = state.images.values.filter({ $0.region == r && $0.family == fam && $0.status == "Available" }).max(by: { $0.created < $1.created })
            ?? Catalog.latestPublicImage(family: fam, region: r) else {
            return ["Image": [:]]
        }
        return ["Image": imageJSON(img, c)]
    }

    func ownImage(_ id: String, _ r: String) throws -> Image {
        if let img = state.images[id], img.region == r, img.ownerAlias == "self" { return img }
        if Catalog.publicImage(id, region: r, strict: config.strictCatalog) != nil {
            throw CloudError("InvalidImageId.NotBelongToUser", "The specified image does not belong to the caller.", status: 403)
        }
        throw CloudError("InvalidImageId.NotFound", "The specified ImageId does not exist.", status: 404)
    }

    func deleteImage(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let img = try ownImage(try c.params.required("ImageId"), r)
        let force = try c.params.bool("Force")
        if !force, state.instances.values.contains(where: { $0.imageId == img.id }) {
            throw CloudError("InvalidImageId.ImageUsedByInstance", "The specified image is in use by instances; use Force to delete it.", status: 403)
        }
        if !force, !img.sharedAccounts.isEmpty {
            throw CloudError("InvalidImage.IsShared", "The image is shared with other accounts; unshare it or use Force.", status: 403)
        }
        state.images[img.id] = nil
        // Its snapshots remain, as on the real cloud (Usage becomes none).
        return [:]
    }

    /// ResourceGroupId of a create call: nil when absent; a value that is no group id
    /// (rg-...) is refused as the API does.
    func resourceGroup(_ c: ActionContext) throws -> String? {
        guard let g = c.params["ResourceGroupId"], !g.isEmpty else { return nil }
        guard g.hasPrefix("rg-"), g.count > 3, g.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
            throw CloudError("InvalidResourceGroup", "The specified ResourceGroupId is invalid.")
        }
        return g
    }

    func copyImage(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let src = try ownImage(try c.params.required("ImageId"), r)
        guard src.status == "Available" else { throw CloudError.incorrectStatus("IncorrectImageStatus", "The image is not available yet.") }
        let dest = c.params["DestinationRegionId"] ?? r
        guard Catalog.region(dest) != nil else { throw CloudError("InvalidRegionId.NotFound", "The specified DestinationRegionId does not exist.", status: 404) }
        let name = c.params["DestinationImageName"] ?? src.name
        try checkImageName(name, region: dest, as: c.params["DestinationImageName"] == nil ? "ImageName" : "DestinationImageName")
        try NameRule.description.enforce(c.params["DestinationDescription"], as: "DestinationDescription")
        // Encrypted=true encrypts every copied snapshot (with KMSKeyId, a key of the
        // destination region, or its ECS service key); an encrypted source stays encrypted.
        let key = try encryptionKey({ c.params[$0] }, region: dest, inherited: nil)
        let id = newId("m", region: dest)
        var mappings: [DiskMapping] = []
        let host = self.host
        for m in src.mappings {
            guard let s = state.snapshots[m.snapshotId] else { continue }
            let sid = newId("s", region: dest)
            let duration = config.profile.imageCopy
            state.snapshots[sid] = Snapshot(id: sid, region: dest, name: "", description: "Copied from \(s.id)", diskId: "", diskSize: s.diskSize,
                                            diskType: s.diskType, status: "progressing", doneAt: now + duration, hostDone: false, sizeBytes: s.sizeBytes,
                                            sourceImageId: s.sourceImageId, created: now, tags: [], kmsKeyId: key ?? s.kmsKeyId)
            let from = s.id
            hostWork(sid, { try host.copySnapshot(from, to: sid) }) { engine, error in
                guard var snap = engine.state.snapshots[sid] else { return }
                if error != nil { snap.status = "failed" } else { snap.hostDone = true }
                engine.state.snapshots[sid] = snap
                engine.dirty = true
            }
            mappings.append(DiskMapping(snapshotId: sid, size: m.size, device: m.device, type: m.type))
        }
        var img = src
        img.id = id
        img.region = dest
        img.name = name
        img.description = c.params["DestinationDescription"] ?? src.description
        img.status = "Creating"
        img.next = nil
        img.mappings = mappings
        img.sharedAccounts = []
        img.isPublic = false
        img.isCopied = true
        img.copiedFrom = "\(r):\(src.id)"
        img.created = now
        img.tags = try c.params.tags()
        img.resourceGroupId = try resourceGroup(c)
        state.images[id] = img
        let tid = newId("t", region: dest)
        state.tasks[tid] = SimTask(id: tid, region: dest, action: "CopyImage", status: "Processing", resourceId: id, created: now, finished: nil)
        return ["ImageId": js(id)]
    }

    func cancelCopyImage(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let img = try ownImage(try c.params.required("ImageId"), r)
        guard img.status == "Creating", img.isCopied else {
            throw CloudError.incorrectStatus("IncorrectImageStatus", "The image is not being copied.")
        }
        state.images[img.id] = nil
        let host = self.host
        for m in img.mappings {
            state.snapshots[m.snapshotId] = nil
            let sid = m.snapshotId
            hostWork(sid, { try host.deleteSnapshot(id: sid) })
        }
        for (tid, var t) in state.tasks where t.resourceId == img.id && t.status == "Processing" {
            t.status = "Cancelled"; t.finished = now; state.tasks[tid] = t
        }
        return [:]
    }

    /// ImportImage: the disk is read from the emulator's OSS store during the call (its
    /// format and virtual size from the header; img-import deletes the object afterwards).
    /// Missing role, bucket or object fail at once as on the real API; an object that is not a
    /// usable disk (wrong format, smaller DiskImageSize, VMDK/ISO/...) fails the import later:
    /// the image becomes CreateFailed and the task Failed. The disk's content is not a file
    /// system the host can mount, so the image boots as its platform's family (CentOS, Ubuntu,
    /// ... → that userland tree), with /etc/ecs-sim/imported-disk naming the object.
    func importImage(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let disks = c.params.structList("DiskDeviceMapping")
        guard let first = disks.first else { throw CloudError.missing("DiskDeviceMapping.1.OSSBucket") }
        guard let bucket = first["OSSBucket"], !bucket.isEmpty else { throw CloudError.missing("DiskDeviceMapping.1.OSSBucket") }
        guard let key = first["OSSObject"], !key.isEmpty else { throw CloudError.missing("DiskDeviceMapping.1.OSSObject") }
        guard disks.count == 1 else { throw CloudError.invalid("DiskDeviceMapping.N", "ecs-sim imports the system disk only.") }
        let claimed = first["Format"].map { $0.uppercased() }
        if let f = claimed, !f.isEmpty, !["RAW", "VHD", "QCOW2", "VMDK"].contains(f) {
            throw CloudError("InvalidImageFormat.Malformed", "The specified Image Format is wrongly formed.")
        }
        var requestedSize: Int?
        if let text = first["DiskImageSize"] ?? first["DiskImSize"] {
            guard let n = Int(text), (1...2048).contains(n) else {
                throw CloudError("InvalidImageSize", "The specified \"DiskDeviceMapping.n.DiskImageSize\" beyond the permitted range.")
            }
            requestedSize = n
        }
        let name = c.params["ImageName"] ?? ""
        if !name.isEmpty { try checkImageName(name, region: r) }
        try NameRule.description.enforce(c.params["Description"])
        if let a = c.params["Architecture"], !["x86_64", "arm64", "i386"].contains(a) { throw CloudError.invalid("Architecture") }
        let osType = (c.params["OSType"] ?? "linux").lowercased()
        guard ["linux", "windows"].contains(osType) else { throw CloudError.invalid("OSType") }
        // ECS reads the object with the caller's role; without it, it has no access to OSS.
        let roleName = c.params["RoleName"] ?? "AliyunECSImageImportDefaultRole"
        guard let role = state.roles?[roleName], role.policies.contains("AliyunECSImageImportRolePolicy") else {
            throw CloudError("NoSetRoletoECSServiceAcount",
                             "ECS service account Have no right to access your OSS.please attach a role of access your oss to ECS service account.",
                             status: 403)
        }
        guard let store = objectStore, store.bucketRegion(bucket) == r else {
            throw CloudError("InvalidOSSBucket.NotFound", "The specified OSS bucket does not exist in this region.")
        }
        guard store.objectSegments(bucket: bucket, key: key) != nil else {
            throw CloudError("InvalidOSSObject.NotFound", "The specified OSS object does not exist in this region.")
        }
        // Read the disk now: the object may be gone by the time the import "finishes".
        var failure: String?
        var format = claimed ?? ""
        var virtualGiB = requestedSize ?? 1
        do {
            let info = try store.importedDiskInfo(bucket: bucket, key: key)
            virtualGiB = Int(max(1, (info.virtualSize + (1 << 30) - 1) >> 30))
            if let f = claimed, !f.isEmpty, f != info.format {
                failure = "the object is a \(info.format) disk, not \(f)"
            } else if let n = requestedSize, n < virtualGiB {
                failure = "DiskImageSize \(n) GiB is smaller than the disk's virtual size (\(virtualGiB) GiB)"
            }
            format = info.format
        } catch let e as ToolError {
            failure = e.message
        }
        let size = max(requestedSize ?? virtualGiB, virtualGiB)
        let platform = c.params["Platform"] ?? (osType == "windows" ? "Windows Server 2022" : "Others Linux")
        let lower = platform.lowercased()
        let family = osType == "windows" ? "windows" : lower.contains("ubuntu") || lower.contains("debian") ? "ubuntu" : "centos"
        let id = newId("m", region: r)
        var mappings: [DiskMapping] = []
        if failure == nil {
            let sid = newId("s", region: r)
            state.snapshots[sid] = Snapshot(id: sid, region: r, name: "", description: "Imported from oss://\(bucket)/\(key)",
                                            diskId: "", diskSize: virtualGiB, diskType: "system", status: "progressing",
                                            doneAt: now + config.profile.imageImport, hostDone: false, sourceImageId: id, created: now, tags: [])
            let host = self.host
            let tmp = "d-import-" + sid
            let marker = "source=oss://\(bucket)/\(key)\nformat=\(format)\nvirtual_size_gib=\(virtualGiB)\nplatform=\(platform)\n"
            hostWork(sid, {
                try host.createDisk(id: tmp, source: .image(family: family))
                defer { try? host.deleteDisk(id: tmp) }
                if let root = host.diskPath(id: tmp), family != "windows" {
                    let dir = root.appendingPathComponent("etc/ecs-sim")
                    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                    try writeFile(dir.appendingPathComponent("imported-disk").path, Array(marker.utf8))
                }
                _ = try host.snapshot(disk: tmp, to: sid)
            }) { engine, error in
                guard var s = engine.state.snapshots[sid] else { return }
                if error != nil { s.status = "failed" } else { s.hostDone = true }
                engine.state.snapshots[sid] = s
                engine.dirty = true
            }
            mappings = [DiskMapping(snapshotId: sid, size: size, device: "/dev/xvda", type: "system", format: format,
                                    importBucket: bucket, importObject: key)]
        }
        state.images[id] = Image(id: id, region: r, name: name.isEmpty ? id : name, description: c.params["Description"] ?? "", family: "", version: "",
                                 status: "Waiting", next: nil, ownerAlias: "self", osType: osType, osName: platform, platform: platform,
                                 architecture: c.params["Architecture"] ?? "x86_64", size: size, mappings: mappings, hostFamily: family,
                                 bootMode: c.params["BootMode"] ?? "BIOS", resourceGroupId: try resourceGroup(c), created: now, tags: try c.params.tags(),
                                 progressStart: now,
                                 importFailure: failure)
        let tid = newId("t", region: r)
        state.tasks[tid] = SimTask(id: tid, region: r, action: "ImportImage", status: "Processing", resourceId: id, created: now, finished: nil)
        return ["ImageId": js(id), "TaskId": js(tid), "RegionId": js(r)]
    }

    func modifyImageAttribute(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var img = try ownImage(try c.params.required("ImageId"), r)
        if let n = c.params["ImageName"], n != img.name { try checkImageName(n, region: r); img.name = n }
        if let d = c.params["Description"] { img.description = d }
        if let f = c.params["ImageFamily"] { img.family = f }
        state.images[img.id] = img
        return [:]
    }

    func modifyImageSharePermission(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var img = try ownImage(try c.params.required("ImageId"), r)
        let add = c.params.list("AddAccount"), remove = c.params.list("RemoveAccount")
        guard add.count <= NameRule.accountsPerShare, remove.count <= NameRule.accountsPerShare else { throw CloudError.invalid("AddAccount.N", "At most 10 accounts per call.") }
        for a in add + remove where a.isEmpty || !a.allSatisfy(\.isNumber) {
            throw CloudError("InvalidAccount.NotFound", "The specified account \"\(a)\" does not exist.", status: 404)
        }
        guard img.status != "CreateFailed" else { throw CloudError.incorrectStatus("IncorrectImageStatus", "The image failed to be created.") }
        for a in add where !img.sharedAccounts.contains(a) { img.sharedAccounts.append(a) }
        img.sharedAccounts.removeAll { remove.contains($0) }
        if let pub = c.params["IsPublic"] { img.isPublic = pub == "true" }
        state.images[img.id] = img
        return [:]
    }

    func describeImageSharePermission(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let img = try ownImage(try c.params.required("ImageId"), r)
        let (slice, meta) = try page(img.sharedAccounts, c)
        var out = meta
        out["ImageId"] = js(img.id)
        out["RegionId"] = js(r)
        out["Accounts"] = wrap("Account", slice.map { ["AliyunId": js($0)] })
        out["ShareGroups"] = wrap("ShareGroup", img.isPublic ? [["Group": "all"]] : [])
        return .object(out)
    }
}

/// A mutable box for results handed from host work to its completion.
final class Box<T>: @unchecked Sendable {
    var value: T
    init(_ v: T) { value = v }
}
