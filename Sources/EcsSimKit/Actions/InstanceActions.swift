import FoundationEssentials
import AlicloudKit

extension Engine {
    func instance(_ id: String, _ r: String?) throws -> Instance {
        guard let i = state.instances[id], r == nil || i.region == r else {
            throw CloudError("InvalidInstanceId.NotFound", "The specified InstanceId does not exist.", status: 404)
        }
        return i
    }

    /// An image visible in `region`: public ones and the account's own.
    func image(_ id: String, region: String) -> Image? {
        if let img = state.images[id], img.region == region { return img }
        return Catalog.publicImage(id, region: region, strict: config.strictCatalog)
    }

    static func validPassword(_ p: String) -> Bool {
        guard (8...30).contains(p.count) else { return false }
        let specials = Set("()`~!@#$%^&*-_+=|{}[]:;'<>,.?/")
        guard p.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || specials.contains($0)) }) else { return false }
        let classes = [p.contains { $0.isUppercase }, p.contains { $0.isLowercase }, p.contains { $0.isNumber }, p.contains { specials.contains($0) }]
        return classes.filter { $0 }.count >= 3
    }

    /// What CreateInstance and RunInstances share: validation and building one instance.
    struct InstancePlan {
        var region: String
        var zone: String
        var type: Catalog.InstanceType
        var image: Image
        var vswitch: VSwitch?
        var groups: [String]
        var keyPair: KeyPair?
        var password: String?
        var systemCategory: String
        var systemSize: Int
        var dataDisks: [[String: String]]
        var bandwidthOut: Int
        var chargeType: String
        var userData: String?
        var tags: [Tag]
    }

    func planInstance(_ c: ActionContext, groups: [String]) throws -> InstancePlan {
        let p = c.params
        let r = try region(c)
        let typeId = try p.required("InstanceType")
        guard let type = Catalog.instanceTypes.first(where: { $0.id == typeId }) else {
            throw CloudError("InvalidInstanceType.ValueNotSupported", "The specified InstanceType does not exist or beyond the permitted range.")
        }
        var img: Image?
        if let imageId = p["ImageId"] {
            img = image(imageId, region: r)
            guard img != nil else { throw CloudError("InvalidImageId.NotFound", "The specified ImageId does not exist.", status: 404) }
        } else if let fam = p["ImageFamily"] {
            img = state.images.values.filter { $0.region == r && $0.family == fam && $0.status == "Available" }.max { $0.created < $1.created }
                ?? Catalog.latestPublicImage(family: fam, region: r)
            guard img != nil else { throw CloudError("InvalidImageFamily.NotFound", "The specified ImageFamily does not exist.", status: 404) }
        } else {
            throw CloudError.missing("ImageId")
        }
        guard img!.status == "Available" else { throw CloudError("InvalidImageId.IncorrectStatus", "The specified image is not available.", status: 403) }
        var vsw: VSwitch?
        var zone = p["ZoneId"]
        if let vswId = p["VSwitchId"] {
            let v = try vswitch(vswId, r)
            guard v.status == "Available" else { throw CloudError("IncorrectVSwitchStatus", "The current status of the VSwitch does not support this operation.") }
            if let z = zone, z != v.zoneId { throw CloudError("InvalidParameter.Mismatch", "The specified ZoneId does not match the VSwitch's zone.") }
            zone = v.zoneId
            vsw = v
        }
        let zones = Catalog.region(r)!.zones
        if let z = zone, !zones.contains(z) { throw CloudError.notFound("InvalidZoneId.NotFound", "ZoneId", z) }
        guard !groups.isEmpty else { throw CloudError.missing("SecurityGroupId") }
        for g in groups {
            let sg = try securityGroup(g, r)
            if sg.vpcId != (vsw?.vpcId ?? "") {
                throw CloudError("InvalidSecurityGroupId.VPCMismatch", "The specified security group and the VSwitch are not in the same VPC.")
            }
        }
        var kp: KeyPair?
        if let name = p["KeyPairName"] {
            guard let k = state.keyPairs[keyPairKey(r, name)] else {
                throw CloudError("InvalidKeyPairName.NotFound", "The specified KeyPairName does not exist in our records.", status: 404)
            }
            if img!.osType == "windows" { throw CloudError("InvalidParameter.KeyPairNotSupport", "A key pair cannot be used with a Windows image.") }
            kp = k
        }
        let password = p["Password"]
        if let pw = password, !Engine.validPassword(pw) {
            throw CloudError("InvalidPassword.Malformed", "The specified parameter \"Password\" is not valid.")
        }
        let category = p["SystemDisk.Category"] ?? "cloud_efficiency"
        guard Catalog.diskCategories.contains(category) else { throw CloudError("InvalidSystemDiskCategory.ValueNotSupported", "The specified system disk category is not supported.") }
        let size = try p.int("SystemDisk.Size", default: max(img!.size, 20), in: 20...2048)!
        guard size >= img!.size else { throw CloudError("InvalidSystemDiskSize.LessThanImageSize", "The specified system disk size is less than the image size.") }
        let data = p.structList("DataDisk")
        guard data.count <= NameRule.dataDisksPerInstance else { throw CloudError.invalid("DataDisk", "At most 16 data disks.") }
        for d in data {
            if let s = d["Size"], Int(s).map({ (20...32768).contains($0) }) != true { throw CloudError("InvalidDataDiskSize.ValueNotSupported", "The specified data disk size is not valid.") }
            if let cat = d["Category"], !Catalog.diskCategories.contains(cat) { throw CloudError("InvalidDataDiskCategory.ValueNotSupported", "The specified data disk category is not supported.") }
            if let snap = d["SnapshotId"] {
                guard let s = state.snapshots[snap], s.region == r else { throw CloudError.notFound("InvalidSnapshotId.NotFound", "SnapshotId", snap) }
                guard s.status == "accomplished" else { throw CloudError("IncorrectSnapshotStatus", "The snapshot is not accomplished yet.", status: 403) }
            } else if d["Size"] == nil {
                throw CloudError.missing("DataDisk.N.Size")
            }
        }
        // Encryption is checked before anything is made (the keys are used in buildInstance).
        _ = try encryptionKey({ p[$0] }, prefix: "SystemDisk.", region: r, inherited: nil)
        for d in data { _ = try encryptionKey({ d[$0] }, region: r, inherited: nil) }
        let bw = try p.int("InternetMaxBandwidthOut", default: 0, in: 0...100)!
        let charge = p["InternetChargeType"] ?? "PayByTraffic"
        guard ["PayByTraffic", "PayByBandwidth"].contains(charge) else { throw CloudError("InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is not valid.") }
        if let io = p["IoOptimized"], !["optimized", "none"].contains(io) { throw CloudError.invalid("IoOptimized") }
        var userData: String?
        if let ud = p["UserData"] {
            guard let raw = Data(base64Encoded: ud) else { throw CloudError("InvalidUserData.Base64FormatInvalid", "The specified UserData is not Base64-encoded.") }
            guard raw.count <= 32 * 1024 else { throw CloudError("InvalidUserData.SizeExceeded", "The specified UserData is larger than 32 KB.") }
            userData = ud
        }
        try NameRule.instanceName.enforce(p["InstanceName"])
        try NameRule.diskName.enforce(p["SystemDisk.DiskName"], as: "SystemDisk.DiskName")
        try NameRule.description.enforce(p["SystemDisk.Description"], as: "SystemDisk.Description")
        for (n, d) in data.enumerated() {
            try NameRule.diskName.enforce(d["DiskName"], as: "DataDisk.\(n + 1).DiskName")
            try NameRule.description.enforce(d["Description"], as: "DataDisk.\(n + 1).Description")
        }
        return InstancePlan(region: r, zone: zone ?? zones.first!, type: type, image: img!, vswitch: vsw, groups: groups, keyPair: kp,
                            password: password, systemCategory: category, systemSize: size, dataDisks: data, bandwidthOut: bw,
                            chargeType: charge, userData: userData, tags: try p.tags())
    }

    /// Creates one instance from a plan: Pending, disks being created by the host.
    func buildInstance(_ plan: InstancePlan, _ c: ActionContext, name: String?, hostName: String?, then: Transition) -> String {
        let id = newId("i", region: plan.region)
        let address = allocateAddress(owner: id)
        let sysDisk = newId("d", region: plan.region)
        let imageFamily = plan.image.hostFamily
        state.disks[sysDisk] = Disk(id: sysDisk, region: plan.region, zoneId: plan.zone, instanceId: id, type: "system", category: plan.systemCategory,
                                    size: plan.systemSize, status: "Creating", deleteWithInstance: true, device: "/dev/xvda",
                                    name: c.params["SystemDisk.DiskName"] ?? "", description: c.params["SystemDisk.Description"] ?? "",
                                    imageId: plan.image.id, sourceSnapshotId: plan.image.mappings.first?.snapshotId ?? "", created: now,
                                    kmsKeyId: diskKey({ c.params[$0] }, prefix: "SystemDisk.", region: plan.region,
                                                      snapshot: plan.image.mappings.first { $0.type == "system" }?.snapshotId))
        let sysSource: HostDiskSource = plan.image.ownerAlias == "self" || plan.image.ownerAlias == "others"
            ? .snapshot(id: plan.image.mappings.first { $0.type == "system" }?.snapshotId ?? "") : .image(family: imageFamily)
        var dataIds: [String] = []
        var sources: [(String, HostDiskSource)] = [(sysDisk, sysSource)]
        // Data disks from the image's own data mappings, then the requested ones.
        var requested = plan.dataDisks
        for m in plan.image.mappings where m.type == "data" && !m.snapshotId.isEmpty {
            requested.insert(["SnapshotId": m.snapshotId, "Size": String(m.size), "DeleteWithInstance": "true"], at: 0)
        }
        for (n, d) in requested.enumerated() {
            let did = newId("d", region: plan.region)
            let snap = d["SnapshotId"] ?? ""
            let size = Int(d["Size"] ?? "") ?? state.snapshots[snap]?.diskSize ?? 20
            let device = d["Device"] ?? "/dev/xvd" + String(UnicodeScalar(UInt8(98 + n)))
            state.disks[did] = Disk(id: did, region: plan.region, zoneId: plan.zone, instanceId: id, type: "data", category: d["Category"] ?? "cloud_efficiency",
                                    size: size, status: "Creating", deleteWithInstance: (d["DeleteWithInstance"] ?? "true").lowercased() == "true",
                                    device: device, name: d["DiskName"] ?? "", description: d["Description"] ?? "", imageId: "", sourceSnapshotId: snap, created: now,
                                    kmsKeyId: diskKey({ d[$0] }, region: plan.region, snapshot: snap))
            dataIds.append(did)
            sources.append((did, snap.isEmpty ? .blank : .snapshot(id: snap)))
        }
        let inst = Instance(id: id, region: plan.region, zoneId: plan.zone, name: name ?? id, hostName: hostName ?? ("iZ" + id.dropFirst(2) + "Z"),
                            description: c.params["Description"] ?? "", instanceType: plan.type.id, imageId: plan.image.id, osType: plan.image.osType,
                            osName: plan.image.osName, family: imageFamily, status: "Pending", next: then, vpcId: plan.vswitch?.vpcId ?? "",
                            vswitchId: plan.vswitch?.id ?? "", securityGroupIds: plan.groups, privateIp: address, publicIp: nil, eipAllocationId: nil,
                            keyPairName: plan.keyPair?.name, authorizedKey: plan.keyPair?.publicKey, started: nil, systemDiskId: sysDisk, dataDiskIds: dataIds,
                            internetMaxBandwidthOut: plan.bandwidthOut, internetChargeType: plan.chargeType, instanceChargeType: c.params["InstanceChargeType"] ?? "PostPaid",
                            ioOptimized: c.params["IoOptimized"] != "none", userData: plan.userData, created: now, tags: plan.tags)
        state.instances[id] = inst
        if let pw = plan.password { passwords[id] = pw }
        let host = self.host
        for (did, src) in sources {
            hostWork(id, { try host.createDisk(id: did, source: src) }) { engine, _ in
                if var d = engine.state.disks[did], d.status == "Creating" {
                    d.status = "In_use"
                    engine.state.disks[did] = d
                    engine.dirty = true
                }
            }
        }
        return id
    }

    func createInstance(_ c: ActionContext) throws -> JSONValue {
        var groups = c.params["SecurityGroupId"].map { [$0] } ?? []
        groups += c.params.list("SecurityGroupIds")
        let plan = try planInstance(c, groups: groups)
        if try c.params.bool("DryRun") { throw CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.") }
        let id = buildInstance(plan, c, name: c.params["InstanceName"], hostName: c.params["HostName"],
                               then: Transition(to: "Stopped", at: now + config.profile.instanceCreate))
        return ["InstanceId": js(id), "OrderId": "", "TradePrice": .double(0)]
    }

    func runInstances(_ c: ActionContext) throws -> JSONValue {
        var groups = c.params.list("SecurityGroupIds")
        if groups.isEmpty, let g = c.params["SecurityGroupId"] { groups = [g] }
        let plan = try planInstance(c, groups: groups)
        let amount = try c.params.int("Amount", default: 1, in: 1...100)!
        if try c.params.bool("DryRun") { throw CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.") }
        var ids: [JSONValue] = []
        let unique = try c.params.bool("UniqueSuffix")
        for n in 0..<amount {
            var name = c.params["InstanceName"]
            if unique, amount > 1, let base = name { name = base + cFormat("%03d", n + 1) }
            let hostNames = c.params.list("HostNames")
            let id = buildInstance(plan, c, name: name, hostName: n < hostNames.count ? hostNames[n] : c.params["HostName"],
                                   then: Transition(to: "Starting", at: now + config.profile.instanceCreate))
            if plan.bandwidthOut > 0, plan.vswitch != nil || true {
                state.instances[id]!.publicIp = allocateAddress(owner: id)
            }
            ids.append(js(id))
        }
        return ["InstanceIdSets": ["InstanceIdSet": .array(ids)], "OrderId": "", "TradePrice": .double(0)]
    }

    func startInstance(_ c: ActionContext) throws -> JSONValue {
        var inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        switch inst.status {
        case "Stopped": break
        case "Pending": throw CloudError.incorrectStatus("IncorrectInstanceStatus.Initializing", "The specified instance is initializing.")
        default: throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
        }
        if try c.params.bool("DryRun") { throw CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.") }
        inst.status = "Starting"
        inst.next = Transition(to: "Running", at: now + config.profile.instanceStart)
        state.instances[inst.id] = inst
        return [:]  // the guest boots, and its sshd starts, at the end of Starting
    }

    func stopInstance(_ c: ActionContext) throws -> JSONValue {
        var inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        let forceStop = try c.params.bool("ForceStop")
        guard inst.status == "Running" || (inst.status == "Starting" && forceStop) else {
            if inst.status == "Stopped" || inst.status == "Stopping" {
                throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
            }
            throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
        }
        if try c.params.bool("DryRun") { throw CloudError("DryRunOperation", "Request validation has been passed with DryRun flag set.") }
        beginStop(&inst)
        state.instances[inst.id] = inst
        return [:]
    }

    func beginStop(_ inst: inout Instance) {
        inst.status = "Stopping"
        inst.next = Transition(to: "Stopped", at: now + config.profile.instanceStop)
        let host = self.host, id = inst.id
        hostWork(id, { host.stopSSH(instance: id); host.stopWinRM(instance: id) })
    }

    func rebootInstance(_ c: ActionContext) throws -> JSONValue {
        var inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        guard inst.status == "Running" else { throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.") }
        inst.status = "Starting"
        inst.next = Transition(to: "Running", at: now + config.profile.instanceStop + config.profile.instanceStart)
        state.instances[inst.id] = inst
        let host = self.host, id = inst.id
        hostWork(id, { host.stopSSH(instance: id); host.stopWinRM(instance: id) })
        return [:]
    }

    func deleteInstance(_ c: ActionContext) throws -> JSONValue {
        let inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        try removeInstance(inst, force: try c.params.bool("Force"))
        return [:]
    }

    func deleteInstances(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let ids = c.params.list("InstanceId")
        guard !ids.isEmpty else { throw CloudError.missing("InstanceId.N") }
        let found = try ids.map { try instance($0, r) }
        let force = try c.params.bool("Force")
        for inst in found { try checkDeletable(inst, force: force) }
        for inst in found { try removeInstance(inst, force: force) }
        return [:]
    }

    func checkDeletable(_ inst: Instance, force: Bool) throws {
        if inst.status == "Pending" { throw CloudError.incorrectStatus("IncorrectInstanceStatus.Initializing", "The specified instance is initializing.") }
        if inst.status != "Stopped" && !force {
            throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
        }
    }

    func removeInstance(_ inst: Instance, force: Bool) throws {
        try checkDeletable(inst, force: force)
        if let eipId = inst.eipAllocationId, var eip = state.eips[eipId] {
            eip.status = "Available"; eip.instanceId = nil; eip.next = nil
            state.eips[eipId] = eip
        }
        releaseAddress(inst.privateIp)
        releaseAddress(inst.publicIp)
        passwords[inst.id] = nil
        let host = self.host, id = inst.id
        hostWork(id, { host.stopSSH(instance: id); host.stopWinRM(instance: id) })
        for did in [inst.systemDiskId] + inst.dataDiskIds {
            guard var d = state.disks[did] else { continue }
            if d.deleteWithInstance || d.type == "system" {
                state.disks[did] = nil
                hostWork(did, { try host.deleteDisk(id: did) })
            } else {
                d.instanceId = nil
                d.status = "Available"
                state.disks[did] = d
            }
        }
        state.instances[inst.id] = nil
    }

    /// The address an instance's sshd answers on: its EIP, else its public IP, else its private IP.
    func sshAddress(_ inst: Instance) -> String {
        if let e = inst.eipAllocationId, let eip = state.eips[e], eip.status == "InUse" { return eip.ip }
        return inst.publicIp ?? inst.privateIp
    }

    /// (Re)starts an instance's sshd with its current address, key and password; for a
    /// Windows instance, its WinRM endpoint instead (see `startHostWinRM`). `boot` is a
    /// (re)boot of the guest, which clears an old power-off request; a change of address or
    /// key while the guest runs is not: a power-off the guest asked for still stops it.
    func startHostSSH(_ id: String, boot: Bool = false) {
        guard let inst = state.instances[id] else { return }
        if !boot, let sys = host.diskPath(id: inst.systemDiskId),
           FileManager.default.fileExists(atPath: sys.appendingPathComponent(".ecs-sim/poweroff").path) {
            return  // the guest is shutting down: the power-off check stops the instance
        }
        if inst.osType == "windows" { startHostWinRM(inst); return }
        let host = self.host
        let address = sshAddress(inst), port = config.sshPort, root = inst.systemDiskId
        let data = inst.dataDiskIds.map { (diskId: $0, mountPoint: "/mnt/" + $0) }
        let keys = inst.authorizedKey.map { [Engine.authorizedKeyLine($0, keyPairName: inst.keyPairName)] } ?? []
        let password = passwords[id]
        let refuse = config.faults.sshRefuseSeconds
        if let sys = host.diskPath(id: root) {
            try? FileManager.default.removeItem(at: sys.appendingPathComponent(".ecs-sim/poweroff"))
        }
        hostWork(id, {
            try host.startSSH(instance: id, address: address, port: port, rootDisk: root, dataDisks: data, loginUser: "root",
                              authorizedKeys: keys, password: password, refuseFor: refuse)
        })
    }

    /// Where a Windows system disk records that WinRM was turned on: the setting lives on
    /// the disk, so it survives restarts and goes into images made from it, as on Windows.
    static let winrmMarker = ".ecs-sim/winrm-enabled"

    /// (Re)starts a Windows instance's WinRM endpoint on its address, as Administrator with
    /// the instance password. Public Windows images boot with WinRM closed: the endpoint
    /// starts only when the UserData is the WinRM-enabling script (`userDataEnablesWinRM`)
    /// or the system disk was enabled before; otherwise nothing answers, as on the real cloud.
    func startHostWinRM(_ inst: Instance) {
        let host = self.host, id = inst.id, root = inst.systemDiskId
        let address = sshAddress(inst), port = config.winrmPort, httpsPort = config.winrmHTTPSPort
        let userData = inst.userData.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let enabledByUserData = userDataEnablesWinRM(userData)
        // Without a Password, Administrator has none anyone knows: the endpoint answers 401.
        let password = passwords[id] ?? UUID().uuidString + UUID().uuidString
        hostWork(id, {
            let marker = host.diskPath(id: root)?.appendingPathComponent(Engine.winrmMarker)
            let enabledBefore = marker.map { FileManager.default.fileExists(atPath: $0.path) } ?? false
            guard enabledByUserData || enabledBefore else {
                host.stopWinRM(instance: id)
                return
            }
            if let marker, !enabledBefore {
                // Unrecorded, images made from this disk would silently come up without WinRM.
                do {
                    try FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
                    try writeFile(marker.path, [UInt8]())
                } catch {
                    throw ToolError(.cantCreate, "\(marker.path): cannot record that WinRM is on: \(errorText(error))")
                }
            }
            try host.startWinRM(instance: id, address: address, port: port, httpsPort: httpsPort, rootDisk: root, password: password)
        })
    }

    func instanceJSON(_ i: Instance, _ c: ActionContext, flat: Bool = false) -> JSONValue {
        let type = Catalog.instanceTypes.first { $0.id == i.instanceType }
        var eipJSON: JSONValue = ["AllocationId": "", "IpAddress": "", "Bandwidth": 0, "InternetChargeType": "", "IsSupportUnassociate": false]
        if let e = i.eipAllocationId, let eip = state.eips[e], eip.status == "InUse" || eip.status == "Associating" {
            eipJSON = ["AllocationId": js(eip.id), "IpAddress": js(eip.ip), "Bandwidth": .int(Int(eip.bandwidth) ?? 5),
                       "InternetChargeType": js(eip.chargeType), "IsSupportUnassociate": true]
        }
        let vpc = !i.vpcId.isEmpty
        var o: [String: JSONValue] = [
            "InstanceId": js(i.id), "InstanceName": js(i.name), "Description": js(i.description), "Status": js(i.status),
            "InstanceType": js(i.instanceType), "InstanceTypeFamily": js(type?.family ?? ""), "ImageId": js(i.imageId), "RegionId": js(i.region),
            "ZoneId": js(i.zoneId), "HostName": js(i.hostName), "OSType": js(i.osType), "OSName": js(i.osName), "OSNameEn": js(i.osName),
            "CreationTime": js(SimTime.isoMinutes(i.created)), "StartTime": js(i.started.map(SimTime.isoMinutes) ?? ""),
            "ExpiredTime": "2099-12-31T15:59Z", "KeyPairName": js(i.keyPairName ?? ""), "Cpu": .int(type?.cpu ?? 1),
            "Memory": .int(Int((type?.memoryGiB ?? 1) * 1024)), "InternetChargeType": js(i.internetChargeType),
            "InternetMaxBandwidthOut": .int(i.internetMaxBandwidthOut), "InternetMaxBandwidthIn": 200, "InstanceChargeType": js(i.instanceChargeType),
            "InstanceNetworkType": js(vpc ? "vpc" : "classic"), "IoOptimized": .bool(i.ioOptimized),
            "PublicIpAddress": ["IpAddress": .array(i.publicIp.map { [js($0)] } ?? [])],
            "InnerIpAddress": ["IpAddress": .array(vpc ? [] : [js(i.privateIp)])],
            "EipAddress": eipJSON,
            "VpcAttributes": ["VpcId": js(i.vpcId), "VSwitchId": js(i.vswitchId), "NatIpAddress": "",
                              "PrivateIpAddress": ["IpAddress": .array(vpc ? [js(i.privateIp)] : [])]],
            "SecurityGroupIds": ["SecurityGroupId": .array(i.securityGroupIds.map { js($0) })],
            "OperationLocks": ["LockReason": .array(i.lockReasons.map { ["LockReason": js($0)] })],
            "SerialNumber": js(i.id + "-serial"), "DeletionProtection": false, "StoppedMode": "Not-applicable", "SpotStrategy": "NoSpot",
            "VlanId": "", "ClusterId": "", "DeviceAvailable": true, "GPUAmount": 0, "Recyclable": false, "CreditSpecification": "",
            "DedicatedHostAttribute": ["DedicatedHostId": "", "DedicatedHostName": ""], "ResourceGroupId": "",
        ]
        if !flat {
            o["Tags"] = tagsJSON(i.tags, c)
            o["NetworkInterfaces"] = ["NetworkInterface": vpc ? [["NetworkInterfaceId": js("eni-" + i.id.dropFirst(2)), "PrimaryIpAddress": js(i.privateIp), "Type": "Primary"]] : []]
        }
        return .object(o)
    }

    func describeInstances(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let p = c.params
        var items = state.instances.values.filter { $0.region == r }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        if let ids = try p.jsonArray("InstanceIds") {
            guard ids.count <= 100 else { throw CloudError.invalid("InstanceIds", "At most 100 IDs.") }
            items = items.filter { ids.contains($0.id) }
        }
        if let v = p["VpcId"] { items = items.filter { $0.vpcId == v } }
        if let v = p["VSwitchId"] { items = items.filter { $0.vswitchId == v } }
        if let z = p["ZoneId"] { items = items.filter { $0.zoneId == z } }
        if let g = p["SecurityGroupId"] { items = items.filter { $0.securityGroupIds.contains(g) } }
        if let s = p["Status"] { items = items.filter { $0.status == s } }
        if let t = p["InstanceType"] { items = items.filter { $0.instanceType == t } }
        if let i = p["ImageId"] { items = items.filter { $0.imageId == i } }
        if let k = p["KeyPairName"] { items = items.filter { $0.keyPairName == k } }
        if let n = p["InstanceName"] {
            items = n.contains("*") ? items.filter { Engine.wildcard($0.name, n.split(separator: "*", omittingEmptySubsequences: false).map(String.init)) } : items.filter { $0.name == n }
        }
        if let ips = try p.jsonArray("PrivateIpAddresses") { items = items.filter { ips.contains($0.privateIp) } }
        if let ips = try p.jsonArray("PublicIpAddresses") { items = items.filter { $0.publicIp.map(ips.contains) ?? false } }
        if let ips = try p.jsonArray("EipAddresses") { items = items.filter { i in i.eipAllocationId.flatMap { state.eips[$0]?.ip }.map(ips.contains) ?? false } }
        let filterTags = try p.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, tokens: true)
        var out = meta
        out["Instances"] = wrap("Instance", slice.map { instanceJSON($0, c) })
        return .object(out)
    }

    func describeInstanceAttribute(_ c: ActionContext) throws -> JSONValue {
        let inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        return instanceJSON(inst, c, flat: true)
    }

    func describeInstanceStatus(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.instances.values.filter { $0.region == r }.sorted { ($0.created, $0.id) < ($1.created, $1.id) }
        if let z = c.params["ZoneId"] { items = items.filter { $0.zoneId == z } }
        let ids = c.params.list("InstanceId")
        if !ids.isEmpty { items = items.filter { ids.contains($0.id) } }
        let (slice, meta) = try page(items, c, maxSize: 50)
        var out = meta
        out["InstanceStatuses"] = wrap("InstanceStatus", slice.map { ["InstanceId": js($0.id), "Status": js($0.status)] })
        return .object(out)
    }

    func modifyInstanceAttribute(_ c: ActionContext) throws -> JSONValue {
        var inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        if let n = c.params["InstanceName"] {
            try NameRule.instanceName.enforce(n)
            inst.name = n
        }
        if let d = c.params["Description"] { inst.description = d }
        if let h = c.params["HostName"] { inst.hostName = h }
        if let ud = c.params["UserData"] {
            guard inst.status == "Stopped" else { throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The instance must be stopped to change UserData.") }
            guard Data(base64Encoded: ud) != nil else { throw CloudError("InvalidUserData.Base64FormatInvalid", "The specified UserData is not Base64-encoded.") }
            inst.userData = ud
        }
        let groups = c.params.list("SecurityGroupIds")
        if !groups.isEmpty {
            for g in groups where try securityGroup(g, inst.region).vpcId != inst.vpcId {
                throw CloudError("InvalidSecurityGroupId.VPCMismatch", "The specified security group and the instance are not in the same VPC.")
            }
            inst.securityGroupIds = groups
        }
        if let pw = c.params["Password"] {
            guard Engine.validPassword(pw) else { throw CloudError("InvalidPassword.Malformed", "The specified parameter \"Password\" is not valid.") }
            // As on the real cloud, a new password takes effect at the next start.
            passwords[inst.id] = pw
        }
        state.instances[inst.id] = inst
        return [:]
    }

    func allocatePublicIp(_ c: ActionContext) throws -> JSONValue {
        var inst = try instance(try c.params.required("InstanceId"), c.params["RegionId"])
        guard inst.status == "Running" || inst.status == "Stopped" else {
            throw CloudError.incorrectStatus("IncorrectInstanceStatus", "The current status of the resource does not support this operation.")
        }
        guard inst.publicIp == nil, inst.eipAllocationId == nil else {
            throw CloudError("InvalidOperation.AllocatedAlready", "The instance already has a public IP address.", status: 403)
        }
        guard inst.internetMaxBandwidthOut > 0 else {
            throw CloudError("InvalidInternetMaxBandwidthOut.ValueNotSupported", "The instance has no outbound public bandwidth (InternetMaxBandwidthOut is 0).")
        }
        let ip = allocateAddress(owner: inst.id)
        inst.publicIp = ip
        state.instances[inst.id] = inst
        if inst.status == "Running" { startHostSSH(inst.id) }
        return ["IpAddress": js(ip)]
    }

    // MARK: the life cycle clock

    /// Moves every resource whose transition is due (and whose host work is done) on.
    func settleLocked() {
        let t = now
        for (id, var inst) in state.instances {
            guard let n = inst.next, t >= n.at, !isBusy(id) else { continue }
            if n.to == "Running", booting[id] != n.at {
                // The guest boots at the end of Starting, as on the cloud: its sshd (or
                // WinRM) starts now, and the instance is Running once that is up — so
                // nothing answers while it is Starting, and Running means it answers.
                booting[id] = n.at
                startHostSSH(id, boot: true)
                continue
            }
            booting[id] = nil
            inst.status = n.to
            inst.next = nil
            switch n.to {
            case "Starting":
                inst.next = Transition(to: "Running", at: t + config.profile.instanceStart)
                state.instances[id] = inst
            case "Running":
                inst.started = t
                state.instances[id] = inst
            default:
                state.instances[id] = inst
            }
            dirty = true
        }
        for (id, var v) in state.vpcs { if let n = v.next, t >= n.at { v.status = n.to; v.next = nil; state.vpcs[id] = v; dirty = true } }
        for (id, var v) in state.vswitches { if let n = v.next, t >= n.at { v.status = n.to; v.next = nil; state.vswitches[id] = v; dirty = true } }
        for (id, var e) in state.eips {
            guard let n = e.next, t >= n.at else { continue }
            e.status = n.to
            e.next = nil
            let instanceId = e.instanceId
            if n.to == "Available" { e.instanceId = nil }
            state.eips[id] = e
            dirty = true
            if let iid = instanceId, var inst = state.instances[iid] {
                if n.to == "Available" { inst.eipAllocationId = nil; state.instances[iid] = inst }
                if inst.status == "Running" { startHostSSH(iid) }
            }
        }
        for (id, var s) in state.snapshots where s.status == "progressing" && t >= s.doneAt && s.hostDone {
            s.status = "accomplished"
            state.snapshots[id] = s
            dirty = true
        }
        settleImages(t)
        if t - lastPoweroffCheck >= 0.25 {
            lastPoweroffCheck = t
            for (id, var inst) in state.instances where inst.status == "Running" && !isBusy(id) {
                guard let root = host.diskPath(id: inst.systemDiskId) else { continue }
                let flag = root.appendingPathComponent(".ecs-sim/poweroff")
                if FileManager.default.fileExists(atPath: flag.path) {
                    try? FileManager.default.removeItem(at: flag)
                    beginStop(&inst)
                    state.instances[id] = inst
                    dirty = true
                }
            }
        }
    }
}
