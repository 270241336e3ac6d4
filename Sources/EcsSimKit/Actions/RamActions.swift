import AlicloudKit

extension Engine {
    /// The RAM role actions image import needs (RAM 2015-05-01); RegionId is not required.
    func ram(_ action: String, _ c: ActionContext) throws -> JSONValue {
        let name = try c.params.required("RoleName")
        var roles = state.roles ?? [:]
        defer { state.roles = roles }
        func roleJSON(_ r: RamRole) -> JSONValue {
            ["RoleName": js(r.name), "RoleId": js("3" + Engine.digest(["RoleName": r.name])), "Arn": js("acs:ram::1234567890123456:role/\(r.name.lowercased())"),
             "Description": js(r.description), "AssumeRolePolicyDocument": js(r.assumeRolePolicy), "CreateDate": js(SimTime.iso(r.created)),
             "MaxSessionDuration": 3600]
        }
        func notFound() -> CloudError { CloudError("EntityNotExist.Role", "The role does not exist: \(name).", status: 404) }
        switch action {
        case "GetRole":
            guard let r = roles[name] else { throw notFound() }
            return ["Role": roleJSON(r)]
        case "CreateRole":
            guard roles[name] == nil else { throw CloudError("EntityAlreadyExists.Role", "The role already exists: \(name).", status: 409) }
            let doc = try c.params.required("AssumeRolePolicyDocument")
            guard (try? JSONParser.parse(doc))?.objectValue != nil else { throw CloudError("MalformedPolicyDocument", "The policy document is not valid JSON.") }
            let r = RamRole(name: name, assumeRolePolicy: doc, description: c.params["Description"] ?? "", policies: [], created: now)
            roles[name] = r
            return ["Role": roleJSON(r)]
        case "UpdateRole":
            guard var r = roles[name] else { throw notFound() }
            if let d = c.params["NewAssumeRolePolicyDocument"] { r.assumeRolePolicy = d }
            roles[name] = r
            return ["Role": roleJSON(r)]
        case "DeleteRole":
            guard let r = roles[name] else { throw notFound() }
            guard r.policies.isEmpty else { throw CloudError("DeleteConflict.Role.Policy", "The role still has policies attached.", status: 409) }
            roles[name] = nil
            return [:]
        case "AttachPolicyToRole", "DetachPolicyFromRole":
            guard var r = roles[name] else { throw notFound() }
            let policy = try c.params.required("PolicyName")
            _ = try c.params.required("PolicyType")
            if action == "AttachPolicyToRole" {
                guard !r.policies.contains(policy) else { throw CloudError("EntityAlreadyExists.Role.Policy", "The policy is already attached.", status: 409) }
                r.policies.append(policy)
            } else {
                guard r.policies.contains(policy) else { throw CloudError("EntityNotExist.Role.Policy", "The policy is not attached.", status: 404) }
                r.policies.removeAll { $0 == policy }
            }
            roles[name] = r
            return [:]
        default: // ListPoliciesForRole
            guard let r = roles[name] else { throw notFound() }
            return ["Policies": wrap("Policy", r.policies.map { ["PolicyName": js($0), "PolicyType": "System", "Description": "", "DefaultVersion": "v1", "AttachDate": js(SimTime.iso(r.created))] })]
        }
    }
}
