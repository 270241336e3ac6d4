import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

/// A clock the tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Double = 1_700_000_000
    var now: Double { lock.lock(); defer { lock.unlock() }; return t }
    func advance(_ s: Double) { lock.lock(); t += s; lock.unlock() }
}

/// An engine on a manual clock with the fast profile and a recording host.
struct Harness {
    let engine: Engine
    let clock = ManualClock()
    let host = NullHost()

    init(faults: String = "", seed: UInt64 = 1, idSeed: UInt64? = nil, stateDirectory: URL? = nil, strictCatalog: Bool = false) throws {
        var config = EngineConfig()
        config.idSeed = idSeed
        config.strictCatalog = strictCatalog
        config.profile = .fast
        config.faults = try FaultPlan(spec: faults)
        config.seed = seed
        config.stateDirectory = stateDirectory
        engine = try Engine(config: config, host: host)
        let c = clock
        engine.clock = { c.now }
    }

    /// Performs an action; returns the response object or the API error.
    @discardableResult
    func call(_ action: String, _ params: [String: String] = [:], vpc: Bool = false) -> Result<JSONValue, CloudError> {
        var p = params
        if p["RegionId"] == nil { p["RegionId"] = "cn-hangzhou" }
        let c = RPCCall(action: action, version: vpc ? "2016-04-28" : "2014-05-26", product: vpc ? .vpc : .ecs, params: p)
        return engine.perform(c, requestId: "REQ").result
    }

    func ok(_ action: String, _ params: [String: String] = [:], vpc: Bool = false) throws -> JSONValue {
        try call(action, params, vpc: vpc).get()
    }

    func code(_ action: String, _ params: [String: String] = [:], vpc: Bool = false) -> String? {
        if case .failure(let e) = call(action, params, vpc: vpc) { return e.code }
        return nil
    }

    /// Lets time pass and host work finish.
    func pass(_ seconds: Double) {
        engine.drainHostWork()
        clock.advance(seconds)
        engine.tick()
        engine.drainHostWork()
        engine.tick()
    }

    func instanceStatus(_ id: String) throws -> String? {
        let r = try ok("DescribeInstances", ["InstanceIds": "[\"\(id)\"]"])
        return r["Instances"]?["Instance"]?.arrayValue?.first?["Status"]?.stringValue
    }

    /// A VPC, VSwitch and security group, all Available.
    func network() throws -> (vpc: String, vsw: String, sg: String) {
        let vpc = try ok("CreateVpc", ["CidrBlock": "172.16.0.0/12"], vpc: true)["VpcId"]!.stringValue!
        pass(1)
        let vsw = try ok("CreateVSwitch", ["VpcId": vpc, "ZoneId": "cn-hangzhou-k", "CidrBlock": "172.16.1.0/24"], vpc: true)["VSwitchId"]!.stringValue!
        let sg = try ok("CreateSecurityGroup", ["VpcId": vpc])["SecurityGroupId"]!.stringValue!
        pass(1)
        return (vpc, vsw, sg)
    }

    func instance(_ net: (vpc: String, vsw: String, sg: String), extra: [String: String] = [:]) throws -> String {
        var p = ["ImageId": "centos_7_03_64_20G_alibase_20170818.vhd", "InstanceType": "ecs.t5-lc1m1.small", "SecurityGroupId": net.sg, "VSwitchId": net.vsw]
        p.merge(extra) { $1 }
        return try ok("CreateInstance", p)["InstanceId"]!.stringValue!
    }
}

@Suite struct LifeCycleTests {
    @Test func instanceGoesThroughTheRealStates() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        #expect(id.hasPrefix("i-bp1") && id.count == 22)
        #expect(try h.instanceStatus(id) == "Pending")
        #expect(h.code("StartInstance", ["InstanceId": id]) == "IncorrectInstanceStatus.Initializing")
        h.pass(1)
        #expect(try h.instanceStatus(id) == "Stopped")
        _ = try h.ok("CreateKeyPair", ["KeyPairName": "k1"])
        let attached = try h.ok("AttachKeyPair", ["KeyPairName": "k1", "InstanceIds": "[\"\(id)\"]"])
        #expect(attached["Results"]?["Result"]?.arrayValue?.first?["Success"] == "true" && attached["FailCount"] == "0")
        _ = try h.ok("StartInstance", ["InstanceId": id])
        #expect(try h.instanceStatus(id) == "Starting")
        // The guest boots at the end of Starting: no sshd while the instance is Starting.
        h.engine.drainHostWork()
        #expect(!h.host.log.contains { $0.hasPrefix("start \(id) ") })
        h.pass(1)
        #expect(try h.instanceStatus(id) == "Running")
        #expect(h.host.log.contains { $0.hasPrefix("start \(id) 127.") && $0.hasSuffix("keys=1 password=false refuse=0") })
        let again = h.call("StartInstance", ["InstanceId": id])
        guard case .failure(let e) = again else { Issue.record("starting a running instance succeeded"); return }
        #expect(e.code == "IncorrectInstanceStatus" && e.status == 403)
        _ = try h.ok("StopInstance", ["InstanceId": id])
        #expect(try h.instanceStatus(id) == "Stopping")
        h.pass(1)
        #expect(try h.instanceStatus(id) == "Stopped")
        #expect(h.host.log.contains("stop \(id)"))
    }

    /// The key goes into the guest with the key pair's name as its comment (the line Packer's
    /// ssh_clear_authorized_keys removes), whatever comment an imported key had.
    @Test func theGuestGetsTheKeyUnderTheKeyPairsName() {
        #expect(Engine.authorizedKeyLine("ssh-rsa AAAAB3Nza someone@laptop", keyPairName: "packer_1") == "ssh-rsa AAAAB3Nza packer_1")
        #expect(Engine.authorizedKeyLine("ssh-ed25519 AAAAC3Nza", keyPairName: "k.2") == "ssh-ed25519 AAAAC3Nza k.2")
        #expect(Engine.authorizedKeyLine("ssh-rsa AAAAB3Nza x", keyPairName: nil) == "ssh-rsa AAAAB3Nza x")
    }

    @Test func runInstancesStartsByItself() throws {
        let h = try Harness()
        let net = try h.network()
        let r = try h.ok("RunInstances", ["ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "InstanceType": "ecs.g6.large",
                                          "SecurityGroupIds.1": net.sg, "VSwitchId": net.vsw, "Amount": "2"])
        let ids = r["InstanceIdSets"]?["InstanceIdSet"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(ids.count == 2)
        h.pass(1)
        h.pass(1)
        #expect(try h.instanceStatus(ids[0]) == "Running")
    }

    @Test func deleteNeedsStoppedOrForce() throws {
        let h = try Harness()
        let net = try h.network()
        let id = try h.instance(net, extra: ["DataDisk.1.Size": "40", "DataDisk.1.DeleteWithInstance": "false"])
        #expect(h.code("DeleteInstance", ["InstanceId": id]) == "IncorrectInstanceStatus.Initializing")
        h.pass(1)
        _ = try h.ok("StartInstance", ["InstanceId": id])
        h.pass(1)
        #expect(h.code("DeleteInstance", ["InstanceId": id]) == "IncorrectInstanceStatus")
        _ = try h.ok("DeleteInstance", ["InstanceId": id, "Force": "true"])
        #expect(h.code("DescribeInstanceAttribute", ["InstanceId": id]) == "InvalidInstanceId.NotFound")
        // The data disk kept (DeleteWithInstance=false) is Available and counts as temporary.
        let disks = try h.ok("DescribeDisks", [:])["Disks"]?["Disk"]?.arrayValue ?? []
        #expect(disks.count == 1 && disks[0]["Status"]?.stringValue == "Available")
        #expect(h.engine.dump()["temporaryCount"] == .int(4))
    }

    @Test func eipStatesAndRules() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        h.pass(1)
        let eip = try h.ok("AllocateEipAddress", [:], vpc: true)
        let alloc = eip["AllocationId"]!.stringValue!
        #expect(eip["EipAddress"]!.stringValue!.hasPrefix("127."))
        _ = try h.ok("AssociateEipAddress", ["AllocationId": alloc, "InstanceId": id], vpc: true)
        func status() throws -> String? {
            try h.ok("DescribeEipAddresses", ["AllocationId": alloc], vpc: true)["EipAddresses"]?["EipAddress"]?.arrayValue?.first?["Status"]?.stringValue
        }
        #expect(try status() == "Associating")
        h.pass(1)
        #expect(try status() == "InUse")
        #expect(h.code("ReleaseEipAddress", ["AllocationId": alloc], vpc: true) == "IncorrectEipStatus")
        _ = try h.ok("UnassociateEipAddress", ["AllocationId": alloc, "InstanceId": id], vpc: true)
        #expect(try status() == "Unassociating")
        h.pass(1)
        #expect(try status() == "Available")
        _ = try h.ok("ReleaseEipAddress", ["AllocationId": alloc], vpc: true)
    }

    @Test func imageFromInstanceWaitsForItsSnapshots() throws {
        let h = try Harness()
        let id = try h.instance(try h.network(), extra: ["DataDisk.1.Size": "20"])
        h.pass(1)
        let image = try h.ok("CreateImage", ["InstanceId": id, "ImageName": "app-v1"])["ImageId"]!.stringValue!
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "app-v1"]) == "InvalidImageName.Duplicated")
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "1bad"]) == "InvalidImageName.Malformed")
        func img() throws -> JSONValue? {
            try h.ok("DescribeImages", ["ImageId": image, "Status": "Creating,Available"])["Images"]?["Image"]?.arrayValue?.first
        }
        #expect(try img()?["Status"] == "Creating")
        // Default Status filter is Available only.
        #expect(try h.ok("DescribeImages", ["ImageId": image])["TotalCount"] == .int(0))
        let maps = try img()?["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue ?? []
        #expect(maps.count == 2)
        let snap = maps[0]["SnapshotId"]!.stringValue!
        h.pass(0.2)
        let s = try h.ok("DescribeSnapshots", ["SnapshotIds": "[\"\(snap)\"]"])["Snapshots"]?["Snapshot"]?.arrayValue?.first
        #expect(s?["Status"] == "progressing")
        #expect(s?["Progress"]?.stringValue?.hasSuffix("%") == true)
        h.pass(1)
        h.pass(1)
        #expect(try img()?["Status"] == "Available")
        #expect(h.host.log.contains { $0.hasPrefix("snapshot ") && $0.hasSuffix(snap) })
        #expect(h.code("DeleteSnapshot", ["SnapshotId": snap]) == "SnapshotCreatedImage")
        // An instance created from the custom image seeds its disk from the image's snapshot.
        let net2 = try h.network()
        _ = try h.instance(net2, extra: ["ImageId": image])
        h.engine.drainHostWork()
        #expect(h.host.log.contains { $0.contains("snapshot(id: \"\(snap)\")") })
        _ = try h.ok("DeleteImage", ["ImageId": image, "Force": "true"])
        _ = try h.ok("DeleteSnapshot", ["SnapshotId": snap, "Force": "true"])
    }

    @Test func copyImageAndCancel() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        h.pass(1)
        let image = try h.ok("CreateImage", ["InstanceId": id, "ImageName": "base"])["ImageId"]!.stringValue!
        #expect(h.code("CopyImage", ["ImageId": image, "DestinationRegionId": "cn-beijing"]) == "IncorrectImageStatus")
        h.pass(1)
        h.pass(1)
        let copy = try h.ok("CopyImage", ["ImageId": image, "DestinationRegionId": "cn-beijing"])["ImageId"]!.stringValue!
        #expect(copy.hasPrefix("m-2ze"))
        let tasks = try h.ok("DescribeTasks", ["RegionId": "cn-beijing", "TaskAction": "CopyImage"])
        #expect(tasks["TotalCount"] == .int(1))
        _ = try h.ok("CancelCopyImage", ["RegionId": "cn-beijing", "ImageId": copy])
        #expect(try h.ok("DescribeImages", ["RegionId": "cn-beijing", "ImageId": copy, "Status": "Creating,Available"])["TotalCount"] == .int(0))
        _ = try h.ok("ModifyImageSharePermission", ["ImageId": image, "AddAccount.1": "123456789"])
        let share = try h.ok("DescribeImageSharePermission", ["ImageId": image])
        #expect(share["Accounts"]?["Account"]?.arrayValue?.first?["AliyunId"] == "123456789")
        #expect(h.code("DeleteImage", ["ImageId": image]) == "InvalidImage.IsShared")
        #expect(h.code("DeleteImage", ["ImageId": "centos_7_03_64_20G_alibase_20170818.vhd"]) == "InvalidImageId.NotBelongToUser")
    }
}

@Suite struct RuleTests {
    @Test func deleteVpcWithAVSwitchIsADependencyViolation() throws {
        let h = try Harness()
        let net = try h.network()
        #expect(h.code("DeleteVpc", ["VpcId": net.vpc], vpc: true) == "DependencyViolation.VSwitch")
        _ = try h.ok("DeleteVSwitch", ["VSwitchId": net.vsw], vpc: true)
        #expect(h.code("DeleteVpc", ["VpcId": net.vpc], vpc: true) == "DependencyViolation.SecurityGroup")
        _ = try h.ok("DeleteSecurityGroup", ["SecurityGroupId": net.sg])
        _ = try h.ok("DeleteVpc", ["VpcId": net.vpc], vpc: true)
        #expect(h.code("DescribeVpcAttribute", ["VpcId": net.vpc], vpc: true) == "InvalidVpcId.NotFound")
    }

    @Test func pendingNetworkRefusesWork() throws {
        let h = try Harness()
        let vpc = try h.ok("CreateVpc", [:], vpc: true)["VpcId"]!.stringValue!
        #expect(h.code("CreateVSwitch", ["VpcId": vpc, "ZoneId": "cn-hangzhou-k", "CidrBlock": "172.16.0.0/24"], vpc: true) == "IncorrectVpcStatus")
        #expect(h.code("DeleteVpc", ["VpcId": vpc], vpc: true) == "IncorrectVpcStatus")
        h.pass(1)
        #expect(h.code("CreateVSwitch", ["VpcId": vpc, "ZoneId": "cn-hangzhou-k", "CidrBlock": "10.0.0.0/24"], vpc: true) == "InvalidCidrBlock.Malformed")
    }

    @Test func securityGroupInUseCannotBeDeleted() throws {
        let h = try Harness()
        let net = try h.network()
        _ = try h.instance(net)
        #expect(h.code("DeleteSecurityGroup", ["SecurityGroupId": net.sg]) == "DependencyViolation")
        #expect(h.code("DeleteVSwitch", ["VSwitchId": net.vsw], vpc: true) == "DependencyViolation")
    }

    @Test func clientTokenReturnsTheFirstResult() throws {
        let h = try Harness()
        let a = try h.ok("CreateVpc", ["ClientToken": "tok-1", "VpcName": "a"], vpc: true)["VpcId"]
        let b = try h.ok("CreateVpc", ["ClientToken": "tok-1", "VpcName": "a"], vpc: true)["VpcId"]
        #expect(a == b)
        #expect(h.code("CreateVpc", ["ClientToken": "tok-1", "VpcName": "other"], vpc: true) == "IdempotentParameterMismatch")
        #expect(try h.ok("DescribeVpcs", [:], vpc: true)["TotalCount"] == .int(1))
    }

    @Test func parametersAreCheckedWithTheRealCodes() throws {
        let h = try Harness()
        #expect(h.code("DescribeInstanceAttribute") == "MissingParameter")
        #expect(h.code("DescribeImages", ["PageSize": "101"]) == "InvalidParameter")
        #expect(h.code("DescribeImages", ["RegionId": "mars-1"]) == "InvalidRegionId.NotFound")
        #expect(h.code("NoSuchThing") == "InvalidAction.NotFound")
        #expect(h.code("DescribeKeyPairs", vpc: true) == "InvalidAction.NotFound")
        let net = try h.network()
        #expect(h.code("CreateInstance", ["ImageId": "nope", "InstanceType": "ecs.g6.large", "SecurityGroupId": net.sg, "VSwitchId": net.vsw]) == "InvalidImageId.NotFound")
        #expect(h.code("CreateInstance", ["ImageId": "centos_7_03_64_20G_alibase_20170818.vhd", "InstanceType": "ecs.g6.large",
                                          "SecurityGroupId": net.sg, "VSwitchId": net.vsw, "Password": "short"]) == "InvalidPassword.Malformed")
        #expect(h.code("AuthorizeSecurityGroup", ["SecurityGroupId": net.sg, "IpProtocol": "tcp", "PortRange": "-1/-1"]) == "InvalidPortRange.Malformed")
        _ = try h.ok("AuthorizeSecurityGroup", ["SecurityGroupId": net.sg, "IpProtocol": "all", "PortRange": "-1/-1", "SourceCidrIp": "0.0.0.0/0", "NicType": "internet"])
        let rules = try h.ok("DescribeSecurityGroupAttribute", ["SecurityGroupId": net.sg])["Permissions"]?["Permission"]?.arrayValue
        #expect(rules?.count == 1 && rules?.first?["IpProtocol"] == "ALL")
        _ = try h.ok("RevokeSecurityGroup", ["SecurityGroupId": net.sg, "IpProtocol": "all", "PortRange": "-1/-1", "SourceCidrIp": "0.0.0.0/0"])
        #expect(try h.ok("DescribeSecurityGroupAttribute", ["SecurityGroupId": net.sg])["Permissions"]?["Permission"]?.arrayValue?.count == 0)
    }

    @Test func paginationCountsAndSlices() throws {
        let h = try Harness()
        let all = try h.ok("DescribeImages", ["PageSize": "100"])
        let total = all["TotalCount"]!.intValue!
        #expect(total >= 3)
        let p2 = try h.ok("DescribeImages", ["PageSize": "2", "PageNumber": "2"])
        #expect(p2["TotalCount"] == .int(total) && p2["PageNumber"] == .int(2) && p2["PageSize"] == .int(2))
        #expect(p2["Images"]?["Image"]?.arrayValue?.count == min(2, total - 2))
        #expect(try h.ok("DescribeImages", ["ImageOwnerAlias": "marketplace"])["TotalCount"] == .int(1))
        let net = try h.network()
        for _ in 0..<3 { _ = try h.instance(net) }
        let first = try h.ok("DescribeInstances", ["MaxResults": "2"])
        let token = first["NextToken"]!.stringValue!
        #expect(!token.isEmpty && first["Instances"]?["Instance"]?.arrayValue?.count == 2)
        let second = try h.ok("DescribeInstances", ["MaxResults": "2", "NextToken": token])
        #expect(second["NextToken"] == "" && second["Instances"]?["Instance"]?.arrayValue?.count == 1)
    }

    @Test func keyPairsAreRealAndTagsWork() throws {
        let h = try Harness()
        let kp = try h.ok("CreateKeyPair", ["KeyPairName": "packer_test"])
        #expect(kp["PrivateKeyBody"]?.stringValue?.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") == true)
        #expect(kp["KeyPairFingerPrint"]?.stringValue?.split(separator: ":").count == 16)
        #expect(h.code("CreateKeyPair", ["KeyPairName": "packer_test"]) == "KeyPair.AlreadyExist")
        #expect(h.code("ImportKeyPair", ["KeyPairName": "k2", "PublicKeyBody": "ssh-rsa notakey"]) == "InvalidKeyPair.FormatError")
        _ = try h.ok("TagResources", ["ResourceType": "keypair", "ResourceId.1": "packer_test", "Tag.1.Key": "env", "Tag.1.Value": "ci"])
        let listed = try h.ok("ListTagResources", ["ResourceType": "keypair", "ResourceId.1": "packer_test"])
        #expect(listed["TagResources"]?["TagResource"]?.arrayValue?.first?["TagValue"] == "ci")
        _ = try h.ok("DeleteKeyPairs", ["KeyPairNames": "[\"packer_test\"]"])
        #expect(try h.ok("DescribeKeyPairs", [:])["TotalCount"] == .int(0))
    }
}

@Suite struct FaultTests {
    @Test func grammarAndDeterminism() throws {
        let plan = try FaultPlan(spec: "CreateVpc:Throttling.User:0.5,StopInstance:503:2x,*:delay:10-20,ssh-refuse:7,CreateImage:drop:1x")
        #expect(plan.rules.count == 4 && plan.sshRefuseSeconds == 7)
        #expect(plan.rules[1] == .init(action: "StopInstance", effect: .error(code: "ServiceUnavailable", status: 503), rate: .firstCalls(2)))
        for bad in ["CreateVpc", "CreateVpc:Throttling:2", "CreateVpc:lower:1x", "x:delay:9-1", "ssh-refuse:abc"] {
            #expect(throws: FaultSpecError.self) { try FaultPlan(spec: bad) }
        }
        func run(_ seed: UInt64) throws -> [String?] {
            let h = try Harness(faults: "DescribeRegions:Throttling:0.5", seed: seed)
            return (0..<30).map { _ in h.code("DescribeRegions") }
        }
        let a = try run(7), b = try run(7), c = try run(8)
        #expect(a == b)
        #expect(a != c)
        #expect(a.contains("Throttling") && a.contains(nil))
    }

    @Test func sshRefusalReachesTheHost() throws {
        let h = try Harness(faults: "ssh-refuse:7")
        let id = try h.instance(try h.network(), extra: ["Password": "Sim-Passw0rd!"])
        h.pass(1)
        _ = try h.ok("StartInstance", ["InstanceId": id])
        h.pass(1)
        #expect(h.host.log.contains { $0.hasPrefix("start \(id) ") && $0.hasSuffix("keys=0 password=true refuse=7") })
    }

    @Test func burstsAndDrops() throws {
        let h = try Harness(faults: "StopInstance:IncorrectInstanceStatus:1x,CreateVpc:drop:1x")
        let out = h.engine.perform(RPCCall(action: "CreateVpc", product: .vpc, params: ["RegionId": "cn-hangzhou"]), requestId: "R")
        #expect(out.drop)
        // The dropped call still created the VPC (the client just never heard back).
        #expect(try h.ok("DescribeVpcs", [:], vpc: true)["TotalCount"] == .int(1))
        let e = h.call("StopInstance", ["InstanceId": "i-x"])
        guard case .failure(let err) = e else { Issue.record("no injected error"); return }
        #expect(err.code == "IncorrectInstanceStatus" && err.status == 403)
        #expect(h.code("StopInstance", ["InstanceId": "i-x"]) == "InvalidInstanceId.NotFound")
    }
}

@Suite struct PersistenceTests {
    @Test func stateSurvivesARestart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecs-sim-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let h = try Harness(stateDirectory: dir)
        let net = try h.network()
        let id = try h.instance(net, extra: ["Password": "Sim-Passw0rd!"])
        h.pass(1)
        let text = try String(contentsOf: dir.appendingPathComponent("state.json"), encoding: .utf8)
        #expect(!text.contains("Sim-Passw0rd"))
        let again = try Harness(stateDirectory: dir)
        #expect(try again.instanceStatus(id) == "Stopped")
        #expect(again.code("DeleteVpc", ["VpcId": net.vpc], vpc: true) == "DependencyViolation.Instance")
    }
}

@Suite struct RamTests {
    @Test func imageImportRoleFlow() throws {
        let h = try Harness()
        func ram(_ action: String, _ p: [String: String]) -> Result<JSONValue, CloudError> {
            h.engine.perform(RPCCall(action: action, version: "2015-05-01", product: .ram, params: p), requestId: "R").result
        }
        let role = "AliyunECSImageImportDefaultRole"
        guard case .failure(let missing) = ram("GetRole", ["RoleName": role]) else { Issue.record("a missing role was found"); return }
        #expect(missing.code == "EntityNotExist.Role" && missing.status == 404)
        let doc = #"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["ecs.aliyuncs.com"]}}],"Version":"1"}"#
        _ = try ram("CreateRole", ["RoleName": role, "AssumeRolePolicyDocument": doc]).get()
        _ = try ram("AttachPolicyToRole", ["RoleName": role, "PolicyName": "AliyunECSImageImportRolePolicy", "PolicyType": "System"]).get()
        let listed = try ram("ListPoliciesForRole", ["RoleName": role]).get()
        #expect(listed["Policies"]?["Policy"]?.arrayValue?.first?["PolicyName"] == "AliyunECSImageImportRolePolicy")
        #expect(try ram("GetRole", ["RoleName": role]).get()["Role"]?["AssumeRolePolicyDocument"] == .string(doc))
        #expect(h.code("GetRole", ["RoleName": role]) == "InvalidAction.NotFound")
    }
}
