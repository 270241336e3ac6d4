import AlicloudKit

/// An IPv4 CIDR block.
struct CIDR: Equatable {
    var base: UInt32
    var bits: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits) else { return nil }
        let octets = parts[0].split(separator: ".", omittingEmptySubsequences: false).map { UInt32($0) }
        guard octets.count == 4, octets.allSatisfy({ $0 != nil && $0! <= 255 }) else { return nil }
        let addr = octets.reduce(UInt32(0)) { $0 << 8 | $1! }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
        guard addr & ~mask == 0 else { return nil }
        base = addr
        self.bits = bits
    }

    var mask: UInt32 { bits == 0 ? 0 : ~UInt32(0) << (32 - bits) }

    func contains(_ other: CIDR) -> Bool { other.bits >= bits && other.base & mask == base }
    func overlaps(_ other: CIDR) -> Bool { contains(other) || other.contains(self) }
    var size: Int { 1 << (32 - bits) }

    /// RFC 1918 private ranges, which VPCs must use.
    var isPrivate: Bool {
        [CIDR("10.0.0.0/8")!, CIDR("172.16.0.0/12")!, CIDR("192.168.0.0/16")!].contains { $0.contains(self) }
    }
}

extension Engine {
    // MARK: VPC

    func vpc(_ id: String, _ r: String?) throws -> Vpc {
        guard let v = state.vpcs[id], r == nil || v.region == r else { throw CloudError.notFound("InvalidVpcId.NotFound", "VpcId", id) }
        return v
    }

    func createVpc(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let cidrText = c.params["CidrBlock"] ?? "172.16.0.0/12"
        guard let cidr = CIDR(cidrText), cidr.isPrivate, (8...28).contains(cidr.bits) else {
            throw CloudError("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.")
        }
        try NameRule.vpcName.enforce(c.params["VpcName"])
        try NameRule.description.enforce(c.params["Description"])
        let id = newId("vpc", region: r)
        let v = Vpc(id: id, region: r, name: c.params["VpcName"] ?? "", description: c.params["Description"] ?? "", cidr: cidrText,
                    status: "Pending", next: Transition(to: "Available", at: now + config.profile.network),
                    vrouterId: newId("vrt", region: r), routeTableId: newId("vtb", region: r), created: now, tags: try c.params.tags())
        state.vpcs[id] = v
        return ["VpcId": js(id), "VRouterId": js(v.vrouterId), "RouteTableId": js(v.routeTableId), "ResourceGroupId": "rg-acfmdefault000"]
    }


    func vpcJSON(_ v: Vpc, _ c: ActionContext) -> JSONValue {
        let vsw = state.vswitches.values.filter { $0.vpcId == v.id }.sorted { $0.created < $1.created }.map { js($0.id) }
        return [
            "VpcId": js(v.id), "VpcName": js(v.name), "Description": js(v.description), "Status": js(v.status), "CidrBlock": js(v.cidr),
            "VRouterId": js(v.vrouterId), "RegionId": js(v.region), "IsDefault": false, "CreationTime": js(SimTime.iso(v.created)),
            "VSwitchIds": ["VSwitchId": .array(vsw)], "UserCidrs": ["UserCidr": []], "NatGatewayIds": ["NatGatewayIds": []],
            "RouterTableIds": ["RouterTableIds": [js(v.routeTableId)]], "ResourceGroupId": "rg-acfmdefault000", "Tags": tagsJSON(v.tags, c),
        ]
    }

    func describeVpcs(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.vpcs.values.filter { $0.region == r }.sorted { $0.created < $1.created }
        if let ids = c.params.commaList("VpcId") { items = items.filter { ids.contains($0.id) } }
        if let name = c.params["VpcName"] { items = items.filter { $0.name == name } }
        if let d = c.params["IsDefault"], d == "true" { items = [] }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, maxSize: 50)
        var out = meta
        out["Vpcs"] = wrap("Vpc", slice.map { vpcJSON($0, c) })
        return .object(out)
    }

    func describeVpcAttribute(_ c: ActionContext) throws -> JSONValue {
        let v = try vpc(try c.params.required("VpcId"), c.params["RegionId"])
        guard case .object(var o) = vpcJSON(v, c) else { return [:] }
        o["CloudResources"] = ["CloudResourceSetType": []]
        return .object(o)
    }

    func modifyVpcAttribute(_ c: ActionContext) throws -> JSONValue {
        var v = try vpc(try c.params.required("VpcId"), c.params["RegionId"])
        if let n = c.params["VpcName"] { v.name = n }
        if let d = c.params["Description"] { v.description = d }
        state.vpcs[v.id] = v
        return [:]
    }

    func deleteVpc(_ c: ActionContext) throws -> JSONValue {
        let v = try vpc(try c.params.required("VpcId"), c.params["RegionId"])
        guard v.status == "Available" else { throw CloudError("IncorrectVpcStatus", "The current status of the VPC does not support this operation.") }
        if state.instances.values.contains(where: { $0.vpcId == v.id }) {
            throw CloudError.dependency("DependencyViolation.Instance", "Specified VPC still has instances, delete them first.")
        }
        if state.vswitches.values.contains(where: { $0.vpcId == v.id }) {
            throw CloudError.dependency("DependencyViolation.VSwitch", "Specified VPC has VSwitches, delete them first.")
        }
        if state.securityGroups.values.contains(where: { $0.vpcId == v.id }) {
            throw CloudError.dependency("DependencyViolation.SecurityGroup", "Specified VPC has security groups, delete them first.")
        }
        state.vpcs[v.id] = nil
        return [:]
    }

    // MARK: VSwitch

    func vswitch(_ id: String, _ r: String?) throws -> VSwitch {
        guard let v = state.vswitches[id], r == nil || v.region == r else { throw CloudError.notFound("InvalidVSwitchId.NotFound", "VSwitchId", id) }
        return v
    }

    func createVSwitch(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let vpcId = try c.params.required("VpcId")
        let zone = try c.params.required("ZoneId")
        let cidrText = try c.params.required("CidrBlock")
        let v = try vpc(vpcId, r)
        guard Catalog.region(r)!.zones.contains(zone) else { throw CloudError.notFound("InvalidZoneId.NotFound", "ZoneId", zone) }
        guard v.status == "Available" else { throw CloudError("IncorrectVpcStatus", "The current status of the VPC does not support this operation.") }
        guard let cidr = CIDR(cidrText), (16...29).contains(cidr.bits) else { throw CloudError("InvalidCidrBlock.Malformed", "Specified CIDR block is not valid.") }
        guard CIDR(v.cidr)!.contains(cidr) else {
            throw CloudError("InvalidCidrBlock.Malformed", "Specified VSwitch CIDR block is not within the VPC's CIDR block.")
        }
        for other in state.vswitches.values where other.vpcId == vpcId {
            if let o = CIDR(other.cidr), o.overlaps(cidr) { throw CloudError("InvalidCidrBlock.Overlapped", "Specified CIDR block overlapped with other VSwitch.") }
        }
        try NameRule.vswitchName.enforce(c.params["VSwitchName"])
        try NameRule.description.enforce(c.params["Description"])
        let id = newId("vsw", region: r)
        state.vswitches[id] = VSwitch(id: id, region: r, vpcId: vpcId, zoneId: zone, cidr: cidrText, name: c.params["VSwitchName"] ?? "",
                                      description: c.params["Description"] ?? "", status: "Pending",
                                      next: Transition(to: "Available", at: now + config.profile.network), created: now, tags: try c.params.tags())
        return ["VSwitchId": js(id)]
    }

    func vswitchJSON(_ v: VSwitch, _ c: ActionContext) -> JSONValue {
        let used = state.instances.values.filter { $0.vswitchId == v.id }.count
        let avail = max(0, (CIDR(v.cidr)?.size ?? 256) - 4 - used)
        return [
            "VSwitchId": js(v.id), "VSwitchName": js(v.name), "VpcId": js(v.vpcId), "ZoneId": js(v.zoneId), "Status": js(v.status),
            "CidrBlock": js(v.cidr), "Description": js(v.description), "AvailableIpAddressCount": .int(avail), "IsDefault": false,
            "CreationTime": js(SimTime.iso(v.created)), "RegionId": js(v.region), "ResourceGroupId": "rg-acfmdefault000",
            "RouteTable": ["RouteTableId": js(state.vpcs[v.vpcId]?.routeTableId ?? ""), "RouteTableType": "System"],
            "Tags": tagsJSON(v.tags, c),
        ]
    }

    func describeVSwitches(_ c: ActionContext) throws -> JSONValue {
        var items = state.vswitches.values.sorted { $0.created < $1.created }
        if let r = c.params["RegionId"] { items = items.filter { $0.region == r } }
        if let v = c.params["VpcId"] { items = items.filter { $0.vpcId == v } }
        if let ids = c.params.commaList("VSwitchId") { items = items.filter { ids.contains($0.id) } }
        if let z = c.params["ZoneId"] { items = items.filter { $0.zoneId == z } }
        if let n = c.params["VSwitchName"] { items = items.filter { $0.name == n } }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, maxSize: 50)
        var out = meta
        out["VSwitches"] = wrap("VSwitch", slice.map { vswitchJSON($0, c) })
        return .object(out)
    }

    func describeVSwitchAttributes(_ c: ActionContext) throws -> JSONValue {
        vswitchJSON(try vswitch(try c.params.required("VSwitchId"), c.params["RegionId"]), c)
    }

    func deleteVSwitch(_ c: ActionContext) throws -> JSONValue {
        let v = try vswitch(try c.params.required("VSwitchId"), c.params["RegionId"])
        guard v.status == "Available" else { throw CloudError("IncorrectVSwitchStatus", "The current status of the VSwitch does not support this operation.") }
        if state.instances.values.contains(where: { $0.vswitchId == v.id }) {
            throw CloudError.dependency("DependencyViolation", "Specified object has dependent resources (instances in the VSwitch).")
        }
        state.vswitches[v.id] = nil
        return [:]
    }

    // MARK: security groups

    func securityGroup(_ id: String, _ r: String?) throws -> SecurityGroup {
        guard let g = state.securityGroups[id], r == nil || g.region == r else { throw CloudError.notFound("InvalidSecurityGroupId.NotFound", "SecurityGroupId", id) }
        return g
    }

    func createSecurityGroup(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var vpcId = ""
        if let v = c.params["VpcId"] { vpcId = try vpc(v, r).id }
        let type = c.params["SecurityGroupType"] ?? "normal"
        guard ["normal", "enterprise"].contains(type) else { throw CloudError.invalid("SecurityGroupType") }
        try NameRule.securityGroupName.enforce(c.params["SecurityGroupName"])
        try NameRule.description.enforce(c.params["Description"])
        let id = newId("sg", region: r)
        state.securityGroups[id] = SecurityGroup(id: id, region: r, vpcId: vpcId, name: c.params["SecurityGroupName"] ?? "",
                                                 description: c.params["Description"] ?? "", type: type, created: now, tags: try c.params.tags())
        return ["SecurityGroupId": js(id)]
    }

    func describeSecurityGroups(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.securityGroups.values.filter { $0.region == r }.sorted { $0.created < $1.created }
        if let v = c.params["VpcId"] { items = items.filter { $0.vpcId == v } }
        if let id = c.params["SecurityGroupId"] { items = items.filter { $0.id == id } }
        if let ids = try c.params.jsonArray("SecurityGroupIds") { items = items.filter { ids.contains($0.id) } }
        if let n = c.params["SecurityGroupName"] { items = items.filter { $0.name == n } }
        if let t = c.params["SecurityGroupType"] { items = items.filter { $0.type == t } }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, maxSize: 50, tokens: true)
        var out = meta
        out["RegionId"] = js(r)
        out["SecurityGroups"] = wrap("SecurityGroup", slice.map { g in
            let users = state.instances.values.filter { $0.securityGroupIds.contains(g.id) }.count
            return [
                "SecurityGroupId": js(g.id), "SecurityGroupName": js(g.name), "Description": js(g.description), "VpcId": js(g.vpcId),
                "SecurityGroupType": js(g.type), "CreationTime": js(SimTime.iso(g.created)), "EcsCount": .int(users),
                "AvailableInstanceAmount": .int(2000 - users), "ServiceManaged": false, "ResourceGroupId": "", "Tags": tagsJSON(g.tags, c),
            ]
        })
        return .object(out)
    }

    func ruleJSON(_ rule: SecurityRule) -> JSONValue {
        [
            "IpProtocol": js(rule.ipProtocol), "PortRange": js(rule.portRange), "SourceCidrIp": js(rule.sourceCidrIp), "DestCidrIp": js(rule.destCidrIp),
            "Policy": js(rule.policy), "Priority": js(rule.priority), "NicType": js(rule.nicType), "Direction": js(rule.direction),
            "Description": js(rule.description), "CreateTime": js(SimTime.iso(rule.created)), "SourceGroupId": "", "DestGroupId": "",
            "SourcePortRange": "", "Ipv6SourceCidrIp": "", "Ipv6DestCidrIp": "",
        ]
    }

    func describeSecurityGroupAttribute(_ c: ActionContext) throws -> JSONValue {
        let g = try securityGroup(try c.params.required("SecurityGroupId"), c.params["RegionId"])
        let dir = c.params["Direction"] ?? "all"
        let rules = g.rules.filter { dir == "all" || $0.direction == dir }
        return [
            "SecurityGroupId": js(g.id), "SecurityGroupName": js(g.name), "Description": js(g.description), "VpcId": js(g.vpcId),
            "RegionId": js(g.region), "InnerAccessPolicy": "Accept", "Permissions": wrap("Permission", rules.map(ruleJSON)),
        ]
    }

    func deleteSecurityGroup(_ c: ActionContext) throws -> JSONValue {
        let g = try securityGroup(try c.params.required("SecurityGroupId"), c.params["RegionId"])
        if state.instances.values.contains(where: { $0.securityGroupIds.contains(g.id) }) {
            throw CloudError.dependency("DependencyViolation", "There is still instance(s) in the specified security group.")
        }
        state.securityGroups[g.id] = nil
        return [:]
    }

    /// AuthorizeSecurityGroup(Egress) and RevokeSecurityGroup(Egress): `Permissions.N.*` or the
    /// deprecated top-level parameters.
    func authorize(_ c: ActionContext, direction: String, revoke: Bool) throws -> JSONValue {
        var g = try securityGroup(try c.params.required("SecurityGroupId"), try region(c))
        var entries = c.params.structList("Permissions")
        if entries.isEmpty {
            var top: [String: String] = [:]
            for k in ["IpProtocol", "PortRange", "SourceCidrIp", "DestCidrIp", "Policy", "Priority", "NicType", "Description"] {
                if let v = c.params[k] { top[k] = v }
            }
            entries = [top]
        }
        guard entries.count <= 100 else { throw CloudError.invalid("Permissions", "At most 100 rules per call.") }
        for e in entries {
            guard let protoRaw = e["IpProtocol"], !protoRaw.isEmpty else { throw CloudError.missing("IpProtocol") }
            let proto = protoRaw.lowercased()
            guard ["tcp", "udp", "icmp", "gre", "all", "icmpv6"].contains(proto) else {
                throw CloudError("InvalidIpProtocol.Malformed", "The specified parameter \"IpProtocol\" is not valid.")
            }
            guard let range = e["PortRange"], !range.isEmpty else { throw CloudError.missing("PortRange") }
            let ends = range.split(separator: "/", omittingEmptySubsequences: false).map { Int($0) }
            guard ends.count == 2, let lo = ends[0], let hi = ends[1] else {
                throw CloudError("InvalidPortRange.Malformed", "The specified parameter \"PortRange\" is not valid.")
            }
            if ["tcp", "udp"].contains(proto) {
                guard (1...65535).contains(lo), (lo...65535).contains(hi) else {
                    throw CloudError("InvalidPortRange.Malformed", "The specified parameter \"PortRange\" is not valid.")
                }
            } else if lo != -1 || hi != -1 {
                throw CloudError("InvalidPortRange.Malformed", "The specified parameter \"PortRange\" must be -1/-1 for \(proto).")
            }
            let cidrKey = direction == "ingress" ? "SourceCidrIp" : "DestCidrIp"
            let cidr = e[cidrKey] ?? ""
            if !cidr.isEmpty, CIDR(cidr) == nil, CIDR(cidr + "/32") == nil {
                throw CloudError("InvalidIpAddress.Malformed", "The specified parameter \"\(cidrKey)\" is not valid.")
            }
            let policy = (e["Policy"] ?? "accept").lowercased()
            guard ["accept", "drop"].contains(policy) else { throw CloudError.invalid("Policy") }
            let priority = e["Priority"] ?? "1"
            guard let pr = Int(priority), (1...100).contains(pr) else { throw CloudError.invalid("Priority") }
            let rule = SecurityRule(direction: direction, ipProtocol: proto.uppercased() == "ALL" ? "ALL" : proto.uppercased(), portRange: range,
                                    sourceCidrIp: direction == "ingress" ? cidr : "", destCidrIp: direction == "egress" ? cidr : "",
                                    policy: policy == "accept" ? "Accept" : "Drop", priority: priority, nicType: e["NicType"] ?? "internet",
                                    description: e["Description"] ?? "", created: now)
            let same: (SecurityRule) -> Bool = {
                $0.direction == rule.direction && $0.ipProtocol == rule.ipProtocol && $0.portRange == rule.portRange &&
                    $0.sourceCidrIp == rule.sourceCidrIp && $0.destCidrIp == rule.destCidrIp && $0.policy == rule.policy
            }
            if revoke {
                g.rules.removeAll(where: same)
            } else if !g.rules.contains(where: same) {
                guard g.rules.count < 200 else { throw CloudError("QuotaExceed.AuthorizationRule", "The maximum number of rules in a security group is exceeded.") }
                g.rules.append(rule)
            }
        }
        state.securityGroups[g.id] = g
        return [:]
    }
}
