import AlicloudKit

extension Engine {
    func eip(_ id: String, _ r: String?) throws -> Eip {
        guard let e = state.eips[id], r == nil || e.region == r else {
            throw CloudError("InvalidAllocationId.NotFound", "Specified allocation ID is not found.", status: 404)
        }
        return e
    }

    func allocateEip(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let bw = try c.params.int("Bandwidth", default: 5, in: 1...500)!
        let charge = c.params["InternetChargeType"] ?? "PayByBandwidth"
        guard ["PayByBandwidth", "PayByTraffic"].contains(charge) else { throw CloudError.invalid("InternetChargeType") }
        let id = newId("eip", region: r)
        let ip = allocateAddress(owner: id)
        state.eips[id] = Eip(id: id, region: r, ip: ip, status: "Available", next: nil, instanceId: nil, instanceType: "", bandwidth: String(bw),
                             chargeType: charge, name: c.params["Name"] ?? "", created: now, tags: try c.params.tags())
        return ["AllocationId": js(id), "EipAddress": js(ip), "OrderId": "", "ResourceGroupId": "rg-acfmdefault000"]
    }

    func associateEip(_ c: ActionContext) throws -> JSONValue {
        var e = try eip(try c.params.required("AllocationId"), c.params["RegionId"])
        let instanceId = try c.params.required("InstanceId")
        let type = c.params["InstanceType"] ?? "EcsInstance"
        guard type == "EcsInstance" else { throw CloudError.invalid("InstanceType", "Only EcsInstance is emulated.") }
        guard e.status == "Available" else { throw CloudError("IncorrectEipStatus", "The current status of the EIP does not support this operation.") }
        var inst = try instance(instanceId, e.region)
        guard !inst.vpcId.isEmpty else { throw CloudError("InvalidAssociation.Duplicated", "An EIP can only be associated with a VPC instance.") }
        guard inst.status == "Running" || inst.status == "Stopped" else {
            throw CloudError("IncorrectInstanceStatus", "The current status of the instance does not support this operation.")
        }
        guard inst.eipAllocationId == nil, inst.publicIp == nil else {
            throw CloudError("InvalidAssociation.Duplicated", "The instance already has a public IP address or an EIP.")
        }
        e.status = "Associating"
        e.instanceId = inst.id
        e.instanceType = type
        e.next = Transition(to: "InUse", at: now + config.profile.eip)
        inst.eipAllocationId = e.id
        state.eips[e.id] = e
        state.instances[inst.id] = inst
        return [:]
    }

    func unassociateEip(_ c: ActionContext) throws -> JSONValue {
        var e = try eip(try c.params.required("AllocationId"), c.params["RegionId"])
        guard e.status == "InUse" else { throw CloudError("IncorrectEipStatus", "The current status of the EIP does not support this operation.") }
        if let i = c.params["InstanceId"], i != e.instanceId { throw CloudError("InvalidInstanceId.NotFound", "The EIP is not associated with the specified instance.", status: 404) }
        e.status = "Unassociating"
        e.next = Transition(to: "Available", at: now + config.profile.eip)
        state.eips[e.id] = e
        return [:]
    }

    func releaseEip(_ c: ActionContext) throws -> JSONValue {
        let e = try eip(try c.params.required("AllocationId"), c.params["RegionId"])
        guard e.status == "Available" else { throw CloudError("IncorrectEipStatus", "The current status of the EIP does not support this operation.") }
        releaseAddress(e.ip)
        state.eips[e.id] = nil
        return [:]
    }

    func describeEips(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.eips.values.filter { $0.region == r }.sorted { $0.created < $1.created }
        if let ids = c.params.commaList("AllocationId") { items = items.filter { ids.contains($0.id) } }
        if let ip = c.params["EipAddress"] { items = items.filter { $0.ip == ip } }
        if let s = c.params["Status"] { items = items.filter { $0.status == s } }
        if let i = c.params["AssociatedInstanceId"] { items = items.filter { $0.instanceId == i } }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c)
        var out = meta
        out["EipAddresses"] = wrap("EipAddress", slice.map { e in
            [
                "AllocationId": js(e.id), "IpAddress": js(e.ip), "Status": js(e.status), "InstanceId": js(e.instanceId ?? ""),
                "InstanceType": js(e.instanceId == nil ? "" : e.instanceType), "InstanceRegionId": js(e.instanceId == nil ? "" : e.region),
                "Bandwidth": js(e.bandwidth), "InternetChargeType": js(e.chargeType), "ChargeType": "PostPaid", "RegionId": js(e.region),
                "AllocationTime": js(SimTime.iso(e.created)), "Name": js(e.name), "Description": "", "ISP": "BGP", "Mode": "NAT",
                "ExpiredTime": "", "PrivateIpAddress": js(e.instanceId.flatMap { state.instances[$0]?.privateIp } ?? ""),
                "OperationLocks": ["LockReason": []], "Tags": tagsJSON(e.tags, c), "ResourceGroupId": "rg-acfmdefault000",
            ]
        })
        return .object(out)
    }
}
