import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

/// ecs-sim answers each of Alibaba Cloud's naming rules (AlicloudKit's NameRule, the same
/// rules tmpl-render --validate checks) with the real error code, and accepts what passes.
@Suite struct NameRuleEnforcementTests {
    @Test func imageName() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        h.pass(1)
        for bad in ["img_$(x)", "7-web", "https://x", "a", String(repeating: "n", count: 129), "two words", "line\nbreak"] {
            #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": bad]) == "InvalidImageName.Malformed", "\(bad)")
        }
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "web_1.2:x-y"]) == nil)
    }

    @Test func copyImageDestinationName() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        h.pass(1)
        let image = try h.ok("CreateImage", ["InstanceId": id, "ImageName": "source-image"])["ImageId"]!.stringValue!
        for _ in 0..<6 { h.pass(1) }
        #expect(h.code("DescribeImages", ["ImageId": image]) == nil)
        #expect(h.code("CopyImage", ["ImageId": image, "DestinationRegionId": "cn-beijing", "DestinationImageName": "copy name"]) == "InvalidImageName.Malformed")
        #expect(h.code("CopyImage", ["ImageId": image, "DestinationRegionId": "cn-beijing", "DestinationDescription": "http://x"]) == "InvalidDescription.Malformed")
    }

    @Test func description() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        h.pass(1)
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "img-a", "Description": "https://example.com"]) == "InvalidDescription.Malformed")
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "img-b", "Description": "x"]) == "InvalidDescription.Malformed")
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "img-c", "Description": String(repeating: "d", count: 257)]) == "InvalidDescription.Malformed")
        // Any other text travels as it is, newlines and quotes included.
        #expect(h.code("CreateImage", ["InstanceId": id, "ImageName": "img-d", "Description": "line 1\nline 2 \"q\" $(x) 'y'"]) == nil)
    }

    @Test func instanceName() throws {
        let h = try Harness()
        let net = try h.network()
        for bad in ["web/builder", "_web", "http://web", "w"] {
            #expect(throws: CloudError.self) { try h.instance(net, extra: ["InstanceName": bad]) }
            let p = ["ImageId": "centos_7_03_64_20G_alibase_20170818.vhd", "InstanceType": "ecs.t5-lc1m1.small", "SecurityGroupId": net.sg, "VSwitchId": net.vsw, "InstanceName": bad]
            #expect(h.code("CreateInstance", p) == "InvalidInstanceName.Malformed", "\(bad)")
        }
        let id = try h.instance(net, extra: ["InstanceName": "web-builder_1"])
        #expect(h.code("ModifyInstanceAttribute", ["InstanceId": id, "InstanceName": "bad name"]) == "InvalidInstanceName.Malformed")
    }

    @Test func diskNameAndDescription() throws {
        let h = try Harness()
        let net = try h.network()
        let base = ["ImageId": "centos_7_03_64_20G_alibase_20170818.vhd", "InstanceType": "ecs.t5-lc1m1.small", "SecurityGroupId": net.sg, "VSwitchId": net.vsw]
        #expect(h.code("CreateInstance", base.merging(["SystemDisk.DiskName": "sys disk"]) { $1 }) == "InvalidDiskName.Malformed")
        #expect(h.code("CreateInstance", base.merging(["DataDisk.1.Size": "20", "DataDisk.1.DiskName": "9data"]) { $1 }) == "InvalidDiskName.Malformed")
        #expect(h.code("CreateInstance", base.merging(["DataDisk.1.Size": "20", "DataDisk.1.Description": "https://x"]) { $1 }) == "InvalidDescription.Malformed")
        #expect(h.code("CreateInstance", base.merging(["SystemDisk.Description": "x"]) { $1 }) == "InvalidDescription.Malformed")
        #expect(h.code("CreateInstance", base.merging(["SystemDisk.DiskName": "sys_disk", "SystemDisk.Description": "the system disk\nof a build"]) { $1 }) == nil)
    }

    @Test func networkNames() throws {
        let h = try Harness()
        #expect(h.code("CreateVpc", ["VpcName": "http://vpc"], vpc: true) == "InvalidVpcName.Malformed")
        #expect(h.code("CreateVpc", ["VpcName": String(repeating: "v", count: 129)], vpc: true) == "InvalidVpcName.Malformed")
        #expect(h.code("CreateVpc", ["Description": "https://x"], vpc: true) == "InvalidDescription.Malformed")
        let vpc = try h.ok("CreateVpc", ["VpcName": "my vpc (1)"], vpc: true)["VpcId"]!.stringValue!
        h.pass(1)
        let vswitch = ["VpcId": vpc, "ZoneId": "cn-hangzhou-k", "CidrBlock": "172.16.1.0/24"]
        #expect(h.code("CreateVSwitch", vswitch.merging(["VSwitchName": "https://vsw"]) { $1 }, vpc: true) == "InvalidVSwitchName.Malformed")
        #expect(h.code("CreateVSwitch", vswitch.merging(["VSwitchName": "v s w"]) { $1 }, vpc: true) == nil)
        #expect(h.code("CreateSecurityGroup", ["VpcId": vpc, "SecurityGroupName": "packer sg"]) == "InvalidSecurityGroupName.Malformed")
        #expect(h.code("CreateSecurityGroup", ["VpcId": vpc, "SecurityGroupName": "s"]) == "InvalidSecurityGroupName.Malformed")
        #expect(h.code("CreateSecurityGroup", ["VpcId": vpc, "SecurityGroupName": "packer_sg", "Description": "http://x"]) == "InvalidDescription.Malformed")
    }

    @Test func tags() throws {
        let h = try Harness()
        func tag(_ k: String, _ v: String) -> String? { h.code("CreateVpc", ["Tag.1.Key": k, "Tag.1.Value": v], vpc: true) }
        #expect(tag("aliyun-owner", "x") == "InvalidTagKey.Malformed")
        #expect(tag("acs:team", "x") == "InvalidTagKey.Malformed")
        #expect(tag("see http://x", "x") == "InvalidTagKey.Malformed")
        #expect(tag(String(repeating: "k", count: 129), "x") == "InvalidTagKey.Malformed")
        #expect(tag("team", "acs:ops") == "InvalidTagValue.Malformed")
        #expect(tag("team", "at https://x") == "InvalidTagValue.Malformed")
        #expect(tag("team", String(repeating: "v", count: 129)) == "InvalidTagValue.Malformed")
        #expect(tag("note", "line1\nline2\t\"q\"") == nil)
        #expect(tag("empty", "") == nil)
        var many: [String: String] = [:]
        for i in 1...21 { many["Tag.\(i).Key"] = "k\(i)"; many["Tag.\(i).Value"] = "v" }
        #expect(h.code("CreateVpc", many, vpc: true) == "InvalidTagCount")
    }
}

/// The rules themselves, as tmpl-render prints them.
@Suite struct NameRuleTests {
    @Test func reasons() {
        #expect(NameRule.imageName.violation("img_$(x)") == "may hold only letters, digits, '.', ':', '_' and '-', not \"$\"")
        #expect(NameRule.imageName.violation("镜像-1") == nil)
        #expect(NameRule.imageName.violation("a\tb") == "may hold only letters, digits, '.', ':', '_' and '-', not U+0009")
        #expect(NameRule.tagKey.violation("aliyunX") == "must not start with \"aliyun\"")
        #expect(NameRule.tagValue.violation("") == nil)
        #expect(NameRule.vpcName.violation("") == "must be 1 to 128 characters long, not 0")
        #expect(NameRule.description.violation("https://a") == "must not start with \"https://\"")
    }
}
