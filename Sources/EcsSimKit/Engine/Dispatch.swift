import AlicloudKit

/// The context of one action: which product's dialect answers it.
struct ActionContext {
    var product: Product
    var params: Params
    /// VPC's own API spells tags `{Key,Value}`; ECS spells them `{TagKey,TagValue}`.
    var vpcDialect: Bool { product == .vpc }
}

extension Engine {
    /// The actions each product serves. ECS 2014-05-26 also serves the network actions
    /// (Packer 1.6.6 calls CreateVpc, AllocateEipAddress... with the ECS version).
    static let networkActions: Set<String> = [
        "CreateVpc", "DescribeVpcs", "DeleteVpc", "DescribeVpcAttribute", "ModifyVpcAttribute", "CreateVSwitch", "DescribeVSwitches", "DeleteVSwitch",
        "DescribeVSwitchAttributes", "AllocateEipAddress", "AssociateEipAddress", "UnassociateEipAddress", "ReleaseEipAddress",
        "DescribeEipAddresses", "DescribeRegions", "DescribeZones", "TagResources", "UntagResources", "ListTagResources",
    ]

    static let ecsActions: Set<String> = networkActions.union([
        "DescribeInstanceTypes", "DescribeAvailableResource", "DescribeImages", "DescribeImageFromFamily", "CreateKeyPair", "ImportKeyPair", "AttachKeyPair",
        "DetachKeyPair", "DeleteKeyPairs", "DescribeKeyPairs", "CreateSecurityGroup", "DescribeSecurityGroups",
        "DescribeSecurityGroupAttribute", "DeleteSecurityGroup", "AuthorizeSecurityGroup", "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroup", "RevokeSecurityGroupEgress", "CreateInstance", "RunInstances", "StartInstance", "StopInstance",
        "RebootInstance", "DeleteInstance", "DeleteInstances", "DescribeInstances", "DescribeInstanceAttribute", "DescribeInstanceStatus",
        "ModifyInstanceAttribute", "AllocatePublicIpAddress", "DescribeDisks", "DeleteDisk", "CreateSnapshot", "DescribeSnapshots",
        "DeleteSnapshot", "CreateImage", "DeleteImage", "CopyImage", "CancelCopyImage", "ModifyImageSharePermission",
        "DescribeImageSharePermission", "ModifyImageAttribute", "ImportImage", "AddTags", "RemoveTags", "DescribeTags", "DescribeTasks",
    ])

    static let stsActions: Set<String> = ["GetCallerIdentity"]
    static let ramActions: Set<String> = ["GetRole", "CreateRole", "UpdateRole", "DeleteRole", "AttachPolicyToRole", "DetachPolicyFromRole", "ListPoliciesForRole"]

    /// Whether `product` serves `action`.
    public static func serves(_ product: Product, _ action: String) -> Bool {
        switch product {
        case .ecs: return ecsActions.contains(action)
        case .vpc: return networkActions.contains(action)
        case .sts: return stsActions.contains(action)
        case .ram: return ramActions.contains(action)
        }
    }

    func dispatch(_ call: RPCCall) throws -> JSONValue {
        guard Engine.serves(call.product, call.action) else {
            throw CloudError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.", status: 404)
        }
        let c = ActionContext(product: call.product, params: call.params)
        if let region = c.params["RegionId"], Catalog.region(region) == nil {
            throw CloudError("InvalidRegionId.NotFound", "The specified RegionId does not exist.", status: 404)
        }
        switch call.action {
        case "DescribeRegions": return describeRegions(c)
        case "DescribeZones": return try describeZones(c)
        case "DescribeInstanceTypes": return try describeInstanceTypes(c)
        case "DescribeAvailableResource": return try describeAvailableResource(c)
        case "DescribeImages": return try describeImages(c)
        case "DescribeImageFromFamily": return try describeImageFromFamily(c)
        case "CreateKeyPair": return try createKeyPair(c)
        case "ImportKeyPair": return try importKeyPair(c)
        case "AttachKeyPair": return try attachKeyPair(c, attach: true)
        case "DetachKeyPair": return try attachKeyPair(c, attach: false)
        case "DeleteKeyPairs": return try deleteKeyPairs(c)
        case "DescribeKeyPairs": return try describeKeyPairs(c)
        case "CreateVpc": return try createVpc(c)
        case "DescribeVpcs": return try describeVpcs(c)
        case "DescribeVpcAttribute": return try describeVpcAttribute(c)
        case "ModifyVpcAttribute": return try modifyVpcAttribute(c)
        case "DeleteVpc": return try deleteVpc(c)
        case "CreateVSwitch": return try createVSwitch(c)
        case "DescribeVSwitches": return try describeVSwitches(c)
        case "DescribeVSwitchAttributes": return try describeVSwitchAttributes(c)
        case "DeleteVSwitch": return try deleteVSwitch(c)
        case "CreateSecurityGroup": return try createSecurityGroup(c)
        case "DescribeSecurityGroups": return try describeSecurityGroups(c)
        case "DescribeSecurityGroupAttribute": return try describeSecurityGroupAttribute(c)
        case "DeleteSecurityGroup": return try deleteSecurityGroup(c)
        case "AuthorizeSecurityGroup": return try authorize(c, direction: "ingress", revoke: false)
        case "AuthorizeSecurityGroupEgress": return try authorize(c, direction: "egress", revoke: false)
        case "RevokeSecurityGroup": return try authorize(c, direction: "ingress", revoke: true)
        case "RevokeSecurityGroupEgress": return try authorize(c, direction: "egress", revoke: true)
        case "CreateInstance": return try createInstance(c)
        case "RunInstances": return try runInstances(c)
        case "StartInstance": return try startInstance(c)
        case "StopInstance": return try stopInstance(c)
        case "RebootInstance": return try rebootInstance(c)
        case "DeleteInstance": return try deleteInstance(c)
        case "DeleteInstances": return try deleteInstances(c)
        case "DescribeInstances": return try describeInstances(c)
        case "DescribeInstanceAttribute": return try describeInstanceAttribute(c)
        case "DescribeInstanceStatus": return try describeInstanceStatus(c)
        case "ModifyInstanceAttribute": return try modifyInstanceAttribute(c)
        case "AllocatePublicIpAddress": return try allocatePublicIp(c)
        case "AllocateEipAddress": return try allocateEip(c)
        case "AssociateEipAddress": return try associateEip(c)
        case "UnassociateEipAddress": return try unassociateEip(c)
        case "ReleaseEipAddress": return try releaseEip(c)
        case "DescribeEipAddresses": return try describeEips(c)
        case "DescribeDisks": return try describeDisks(c)
        case "DeleteDisk": return try deleteDisk(c)
        case "CreateSnapshot": return try createSnapshot(c)
        case "DescribeSnapshots": return try describeSnapshots(c)
        case "DeleteSnapshot": return try deleteSnapshot(c)
        case "CreateImage": return try createImage(c)
        case "DeleteImage": return try deleteImage(c)
        case "CopyImage": return try copyImage(c)
        case "CancelCopyImage": return try cancelCopyImage(c)
        case "ImportImage": return try importImage(c)
        case "ModifyImageAttribute": return try modifyImageAttribute(c)
        case "ModifyImageSharePermission": return try modifyImageSharePermission(c)
        case "DescribeImageSharePermission": return try describeImageSharePermission(c)
        case "AddTags": return try addTags(c, remove: false)
        case "RemoveTags": return try addTags(c, remove: true)
        case "DescribeTags": return try describeTags(c)
        case "TagResources": return try tagResources(c, untag: false)
        case "UntagResources": return try tagResources(c, untag: true)
        case "ListTagResources": return try listTagResources(c)
        case "DescribeTasks": return try describeTasks(c)
        case "GetRole", "CreateRole", "UpdateRole", "DeleteRole", "AttachPolicyToRole", "DetachPolicyFromRole", "ListPoliciesForRole":
            return try ram(call.action, c)
        case "GetCallerIdentity":
            return ["AccountId": "1234567890123456", "UserId": "1234567890123456", "Arn": "acs:ram::1234567890123456:root", "IdentityType": "Account", "PrincipalId": "1234567890123456"]
        default:
            throw CloudError("InvalidAction.NotFound", "Specified api is not found, please check your url and method.", status: 404)
        }
    }

    // MARK: shared helpers

    /// The required RegionId.
    func region(_ c: ActionContext) throws -> String { try c.params.required("RegionId") }

    /// A page of `items` the way the real API pages: PageNumber/PageSize, or NextToken/MaxResults
    /// when `tokens` is allowed and the caller uses them.
    func page<T>(_ items: [T], _ c: ActionContext, defaultSize: Int = 10, maxSize: Int = 100, tokens: Bool = false) throws -> ([T], [String: JSONValue]) {
        let p = c.params
        if tokens, p["NextToken"] != nil || p["MaxResults"] != nil {
            let size = try p.int("MaxResults", default: defaultSize, in: 1...maxSize)!
            var offset = 0
            if let t = p["NextToken"] {
                guard t.hasPrefix("nt"), let o = Int(t.dropFirst(2)), o >= 0 else { throw CloudError("InvalidNextToken.Malformed", "The specified NextToken is not valid.") }
                offset = o
            }
            let slice = Array(items.dropFirst(offset).prefix(size))
            let next = offset + slice.count < items.count ? "nt\(offset + slice.count)" : ""
            return (slice, ["TotalCount": .int(items.count), "NextToken": .string(next), "MaxResults": .int(size)])
        }
        let number = try p.int("PageNumber", default: 1, in: 1...Int(Int32.max))!
        let size = try p.int("PageSize", default: defaultSize, in: 1...maxSize)!
        let slice = Array(items.dropFirst((number - 1) * size).prefix(size))
        var meta: [String: JSONValue] = ["TotalCount": .int(items.count), "PageNumber": .int(number), "PageSize": .int(size)]
        if tokens { meta["NextToken"] = "" }
        return (slice, meta)
    }

    /// Tags in the caller's dialect, double-wrapped.
    func tagsJSON(_ tags: [Tag], _ c: ActionContext) -> JSONValue {
        let items: [JSONValue] = tags.map {
            c.vpcDialect ? ["Key": .string($0.key), "Value": .string($0.value)] : ["TagKey": .string($0.key), "TagValue": .string($0.value)]
        }
        return ["Tag": .array(items)]
    }

    /// `{"Xs":{"X":[...]}}`-style wrapping.
    func wrap(_ name: String, _ items: [JSONValue]) -> JSONValue { .object([name: .array(items)]) }
}

/// Shorthand for string JSON values.
func js(_ s: String) -> JSONValue { .string(s) }
func js(_ s: String?) -> JSONValue { .string(s ?? "") }
