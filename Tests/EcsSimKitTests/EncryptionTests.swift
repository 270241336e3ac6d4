import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

/// Disk encryption as the real API has it: CreateInstance's SystemDisk/DataDisk.N.Encrypted
/// and KMSKeyId, snapshots and images that inherit it, CopyImage's Encrypted and KMSKeyId,
/// and the real errors for a key that does not exist or a key without Encrypted.
@Suite struct EncryptionTests {
    func disks(_ h: Harness, _ instance: String) throws -> [JSONValue] {
        try h.ok("DescribeDisks", ["InstanceId": instance])["Disks"]?["Disk"]?.arrayValue ?? []
    }

    func snapshot(_ h: Harness, _ id: String, region: String = "cn-hangzhou") throws -> JSONValue? {
        try h.ok("DescribeSnapshots", ["RegionId": region, "SnapshotIds": "[\"\(id)\"]"])["Snapshots"]?["Snapshot"]?.arrayValue?.first
    }

    func image(_ h: Harness, _ id: String, region: String = "cn-hangzhou") throws -> JSONValue? {
        try h.ok("DescribeImages", ["RegionId": region, "ImageId": id, "Status": "Creating,Available"])["Images"]?["Image"]?.arrayValue?.first
    }

    func systemSnapshot(_ image: JSONValue?) -> String {
        image?["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue?.first?["SnapshotId"]?.stringValue ?? "(none)"
    }

    @Test func disksCarryTheirKeyIntoSnapshotsAndImages() throws {
        let h = try Harness()
        let cmk = KMSKeys.customerKey(region: "cn-hangzhou")
        let id = try h.instance(try h.network(), extra: [
            "DataDisk.1.Size": "25", "DataDisk.1.Encrypted": "true",
            "DataDisk.2.Size": "35", "DataDisk.2.Encrypted": "false",
            "DataDisk.3.Size": "45",
            "DataDisk.4.Size": "20", "DataDisk.4.Encrypted": "true", "DataDisk.4.KMSKeyId": cmk,
        ])
        let ds = try disks(h, id)
        #expect(ds.count == 5)
        func disk(_ size: Int) -> JSONValue? { ds.first { $0["Size"] == .int(size) && $0["Type"] == "data" } }
        #expect(ds.first { $0["Type"] == "system" }?["Encrypted"] == .bool(false))
        #expect(ds.first { $0["Type"] == "system" }?["KMSKeyId"] == "")
        #expect(disk(25)?["Encrypted"] == .bool(true))
        #expect(disk(25)?["KMSKeyId"]?.stringValue == KMSKeys.serviceKey(region: "cn-hangzhou"))
        #expect(disk(35)?["Encrypted"] == .bool(false))
        #expect(disk(45)?["Encrypted"] == .bool(false))
        #expect(disk(20)?["KMSKeyId"]?.stringValue == cmk)

        h.pass(1)
        let img = try h.ok("CreateImage", ["InstanceId": id, "ImageName": "enc-data"])["ImageId"]!.stringValue!
        h.pass(1)
        h.pass(1)
        let maps = try image(h, img)?["DiskDeviceMappings"]?["DiskDeviceMapping"]?.arrayValue ?? []
        #expect(maps.count == 5)
        var bySize: [String: JSONValue] = [:]
        for m in maps {
            let s = try snapshot(h, m["SnapshotId"]!.stringValue!)
            bySize[(s?["SourceDiskType"]?.stringValue ?? "") + (s?["SourceDiskSize"]?.stringValue ?? "")] = s
        }
        #expect(bySize["System20"]?["Encrypted"] == .bool(false))
        #expect(bySize["Data25"]?["Encrypted"] == .bool(true))
        #expect(bySize["Data35"]?["Encrypted"] == .bool(false))
        #expect(bySize["Data45"]?["Encrypted"] == .bool(false))
        #expect(bySize["Data20"]?["KMSKeyId"]?.stringValue == cmk)

        // An instance made from that image gets the encrypted data disks back, still encrypted.
        let again = try h.instance(try h.network(), extra: ["ImageId": img])
        let ds2 = try disks(h, again)
        #expect(ds2.filter { $0["Encrypted"] == .bool(true) }.count == 2)
    }

    @Test func systemDiskEncryption() throws {
        let h = try Harness()
        let id = try h.instance(try h.network(), extra: ["SystemDisk.Encrypted": "true"])
        let sys = try disks(h, id).first { $0["Type"] == "system" }
        #expect(sys?["Encrypted"] == .bool(true))
        #expect(sys?["KMSKeyId"]?.stringValue == KMSKeys.serviceKey(region: "cn-hangzhou"))
    }

    @Test func unknownKeyAndKeyWithoutEncryptedAreRefusedBeforeAnythingIsMade() throws {
        let h = try Harness()
        let net = try h.network()
        let base = ["ImageId": "centos_7_03_64_20G_alibase_20170818.vhd", "InstanceType": "ecs.t5-lc1m1.small", "SecurityGroupId": net.sg, "VSwitchId": net.vsw]
        func create(_ extra: [String: String]) -> Result<JSONValue, CloudError> { h.call("CreateInstance", base.merging(extra) { $1 }) }
        guard case .failure(let e) = create(["DataDisk.1.Size": "20", "DataDisk.1.Encrypted": "true", "DataDisk.1.KMSKeyId": "key-no-such-key"]) else {
            Issue.record("an unknown key was accepted"); return
        }
        #expect(e.code == "InvalidParameter.KMSKeyId.NotFound")
        #expect(e.message == "The specified KMSKeyId does not exist.")
        #expect(e.status == 404)
        // A key of another region is not a key of this one.
        let other = KMSKeys.customerKey(region: "cn-beijing")
        #expect(h.code("CreateInstance", base.merging(["SystemDisk.Encrypted": "true", "SystemDisk.KMSKeyId": other]) { $1 }) == "InvalidParameter.KMSKeyId.NotFound")
        guard case .failure(let e2) = create(["DataDisk.1.Size": "20", "DataDisk.1.KMSKeyId": KMSKeys.customerKey(region: "cn-hangzhou")]) else {
            Issue.record("a key without Encrypted was accepted"); return
        }
        #expect(e2.code == "InvalidParameter.EncryptedIllegal")
        #expect(e2.status == 400)
        #expect(h.code("CreateInstance", base.merging(["DataDisk.1.Size": "20", "DataDisk.1.Encrypted": "yes"]) { $1 }) == "InvalidParameter")
        #expect(try h.ok("DescribeInstances")["TotalCount"] == .int(0))
        #expect(try h.ok("DescribeDisks")["TotalCount"] == .int(0))
    }

    @Test func copyImageEncryptsTheCopy() throws {
        let h = try Harness()
        let id = try h.instance(try h.network())
        h.pass(1)
        let plain = try h.ok("CreateImage", ["InstanceId": id, "ImageName": "plain"])["ImageId"]!.stringValue!
        h.pass(1)
        h.pass(1)
        // Refused as the real API refuses them; nothing is made.
        #expect(h.code("CopyImage", ["ImageId": plain, "DestinationRegionId": "cn-hangzhou", "DestinationImageName": "x1", "Encrypted": "true", "KMSKeyId": "key-nope"])
            == "InvalidParameter.KMSKeyId.NotFound")
        #expect(h.code("CopyImage", ["ImageId": plain, "DestinationRegionId": "cn-hangzhou", "DestinationImageName": "x2",
                                     "KMSKeyId": KMSKeys.customerKey(region: "cn-hangzhou")]) == "InvalidParameter.EncryptedIllegal")
        #expect(try h.ok("DescribeImages", ["ImageOwnerAlias": "self", "Status": "Creating,Available"])["TotalCount"] == .int(1))

        // Same region, Encrypted=true: the service key.
        let enc = try h.ok("CopyImage", ["ImageId": plain, "DestinationRegionId": "cn-hangzhou", "DestinationImageName": "enc", "Encrypted": "true"])["ImageId"]!.stringValue!
        // With a named key, into another region (the key must be of that region).
        let cmk = KMSKeys.customerKey(region: "cn-beijing")
        let far = try h.ok("CopyImage", ["ImageId": plain, "DestinationRegionId": "cn-beijing", "DestinationImageName": "enc", "Encrypted": "true", "KMSKeyId": cmk])["ImageId"]!.stringValue!
        h.pass(1)
        h.pass(1)
        h.pass(1)
        let e = try image(h, enc)
        #expect(e?["Status"] == "Available")
        #expect(e?["IsCopied"] == .bool(true))
        let es = try snapshot(h, systemSnapshot(e))
        #expect(es?["Encrypted"] == .bool(true))
        #expect(es?["KMSKeyId"]?.stringValue == KMSKeys.serviceKey(region: "cn-hangzhou"))
        let f = try image(h, far, region: "cn-beijing")
        let fs = try snapshot(h, systemSnapshot(f), region: "cn-beijing")
        #expect(fs?["KMSKeyId"]?.stringValue == cmk)
        // The source stays unencrypted; a copy of an encrypted image without Encrypted stays encrypted.
        let ps = try snapshot(h, systemSnapshot(try image(h, plain)))
        #expect(ps?["Encrypted"] == .bool(false))
        let again = try h.ok("CopyImage", ["ImageId": enc, "DestinationRegionId": "cn-shanghai", "DestinationImageName": "enc"])["ImageId"]!.stringValue!
        h.pass(1)
        h.pass(1)
        let a = try image(h, again, region: "cn-shanghai")
        let asnap = try snapshot(h, systemSnapshot(a), region: "cn-shanghai")
        #expect(asnap?["Encrypted"] == .bool(true))
        // An instance from the encrypted image has an encrypted system disk.
        let inst = try h.instance(try h.network(), extra: ["ImageId": enc])
        #expect(try disks(h, inst).first { $0["Type"] == "system" }?["Encrypted"] == .bool(true))
    }
}
