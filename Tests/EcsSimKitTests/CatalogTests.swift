import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

@Suite struct CatalogTests {
    /// Real types, with the vCPUs and memory the cloud lists for them.
    static let realTypes: [(String, Int, Double, String)] = [
        ("ecs.n1.tiny", 1, 1, "ecs.n1"), ("ecs.n1.medium", 2, 4, "ecs.n1"), ("ecs.n2.small", 1, 4, "ecs.n2"),
        ("ecs.n4.large", 2, 4, "ecs.n4"), ("ecs.mn4.xlarge", 4, 16, "ecs.mn4"), ("ecs.xn4.small", 1, 1, "ecs.xn4"),
        ("ecs.e4.small", 1, 8, "ecs.e4"), ("ecs.sn1ne.large", 2, 4, "ecs.sn1ne"), ("ecs.sn2ne.xlarge", 4, 16, "ecs.sn2ne"),
        ("ecs.t5-lc1m1.small", 1, 1, "ecs.t5"), ("ecs.t5-lc2m1.nano", 1, 0.5, "ecs.t5"), ("ecs.t6-c1m2.large", 2, 4, "ecs.t6"),
        ("ecs.c5.large", 2, 4, "ecs.c5"), ("ecs.g5.2xlarge", 8, 32, "ecs.g5"), ("ecs.r5.xlarge", 4, 32, "ecs.r5"),
        ("ecs.c6.13xlarge", 52, 96, "ecs.c6"), ("ecs.g6.26xlarge", 104, 384, "ecs.g6"), ("ecs.r6.large", 2, 16, "ecs.r6"),
        ("ecs.g7.large", 2, 8, "ecs.g7"), ("ecs.c7.32xlarge", 128, 256, "ecs.c7"), ("ecs.r7.4xlarge", 16, 128, "ecs.r7"),
        ("ecs.g8i.xlarge", 4, 16, "ecs.g8i"), ("ecs.c8y.large", 2, 4, "ecs.c8y"), ("ecs.r8a.2xlarge", 8, 64, "ecs.r8a"),
        ("ecs.hfc6.large", 2, 4, "ecs.hfc6"), ("ecs.hfg7.xlarge", 4, 16, "ecs.hfg7"), ("ecs.hfr5.large", 2, 16, "ecs.hfr5"),
        ("ecs.u1-c1m2.large", 2, 4, "ecs.u1"), ("ecs.ebmg6.26xlarge", 104, 384, "ecs.ebmg6"), ("ecs.ebmc7.32xlarge", 128, 256, "ecs.ebmc7"),
        ("ecs.d1ne.2xlarge", 8, 32, "ecs.d1ne"),
    ]

    @Test func instanceTypesAnswerAsTheRealOnes() throws {
        let h = try Harness()
        let all = try h.ok("DescribeInstanceTypes")["InstanceTypes"]?["InstanceType"]?.arrayValue ?? []
        #expect(all.count > 300)
        #expect(Set(all.compactMap { $0["InstanceTypeId"]?.stringValue }).count == all.count, "no type listed twice")
        for (id, cpu, mem, family) in Self.realTypes {
            let r = try h.ok("DescribeInstanceTypes", ["InstanceTypes.1": id])["InstanceTypes"]?["InstanceType"]?.arrayValue ?? []
            #expect(r.count == 1, "\(id) listed")
            #expect(r.first?["CpuCoreCount"]?.intValue == cpu, "\(id) vCPUs")
            #expect(r.first?["MemorySize"]?.doubleValue == mem, "\(id) memory")
            #expect(r.first?["InstanceTypeFamily"]?.stringValue == family, "\(id) family")
        }
        let g7 = try h.ok("DescribeInstanceTypes", ["InstanceTypeFamily": "ecs.g7"])["InstanceTypes"]?["InstanceType"]?.arrayValue ?? []
        #expect(g7.map { $0["InstanceTypeId"]?.stringValue ?? "" }.first == "ecs.g7.large" && g7.count == 9)
        // DescribeZones offers them in every zone; DescribeAvailableResource too.
        let zone = try h.ok("DescribeZones")["Zones"]?["Zone"]?.arrayValue?.first
        #expect(zone?["AvailableInstanceTypes"]?["InstanceTypes"]?.arrayValue?.contains(.string("ecs.n1.medium")) == true)
        let avail = try h.ok("DescribeAvailableResource", ["DestinationResource": "InstanceType", "InstanceType": "ecs.c7.large"])
        let zones = avail["AvailableZones"]?["AvailableZone"]?.arrayValue ?? []
        #expect(zones.count == 4)
        #expect(zones.first?["AvailableResources"]?["AvailableResource"]?.arrayValue?.first?["SupportedResources"]?["SupportedResource"]?.arrayValue?.first?["Value"]?.stringValue == "ecs.c7.large")
        #expect(try h.ok("DescribeAvailableResource", ["DestinationResource": "InstanceType", "InstanceType": "ecs.zz9.large"])["AvailableZones"]?["AvailableZone"]?.arrayValue?.isEmpty == true)
        #expect(h.code("DescribeAvailableResource", ["DestinationResource": "Fridge"]) == "InvalidParameter")
    }

    @Test func unknownInstanceTypeFailsAsTheRealAPI() throws {
        let h = try Harness()
        let net = try h.network()
        #expect(h.code("CreateInstance", ["ImageId": "centos_7_9_x64_20G_alibase_20240628.vhd", "InstanceType": "ecs.g7.huge",
                                          "SecurityGroupId": net.sg, "VSwitchId": net.vsw]) == "InvalidInstanceType.ValueNotSupported")
        _ = try h.instance(net, extra: ["InstanceType": "ecs.n1.medium", "ImageId": "ubuntu_18_04_64_20G_alibase_20190223.vhd"])
    }

    @Test func publicImageIdsParseAsTheirFamily() {
        let cases: [(String, String, String, String, Int, String)] = [
            ("ubuntu_14_0405_64_40G_base_20170222.vhd", "Ubuntu", "Ubuntu  14.04 64位", "ubuntu:ubuntu:14.04", 40, "x86_64"),
            ("centos_7_03_64_20G_alibase_20170818.vhd", "CentOS", "CentOS  7.3 64位", "centos:centos:7", 20, "x86_64"),
            ("centos_7_04_64_20G_alibase_201701015.vhd", "CentOS", "CentOS  7.4 64位", "centos:centos:7", 20, "x86_64"),
            ("centos_stream_9_x64_20G_alibase_20240628.vhd", "CentOS Stream", "CentOS Stream  9 64位", "centos:centos:9", 20, "x86_64"),
            ("aliyun_3_arm64_20G_alibase_20240528.vhd", "Aliyun", "Alibaba Cloud Linux  3 64位 ARM版", "centos:alinux:3", 20, "arm64"),
            ("debian_12_6_x64_20G_alibase_20240715.vhd", "Debian", "Debian  12.6 64位", "ubuntu:debian:12", 20, "x86_64"),
            ("anolisos_8_9_x64_20G_rhck_alibase_20240528.vhd", "Anolis", "Anolis OS  8.9 64位", "centos:anolis:8.9", 20, "x86_64"),
            ("freebsd_13_3_x64_30G_alibase_20240628.vhd", "FreeBSD", "FreeBSD  13.3 64位", "centos:freebsd:13.3", 30, "x86_64"),
            ("winsvr_64_dtcC_1809_en-us_40G_alibase_20190318.vhd", "Windows Server 2019", "Windows Server 64位英文版", "windows", 40, "x86_64"),
            ("win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240614.vhd", "Windows Server 2022", "Windows Server 2022 64位中文版", "windows", 40, "x86_64"),
        ]
        for (id, platform, osName, host, size, arch) in cases {
            let p = PublicImages.parse(id)
            #expect(p == PublicImages.Parsed(platform: platform, osName: osName, osType: host == "windows" ? "windows" : "linux",
                                             hostFamily: host, architecture: arch, sizeGiB: size), "\(id)")
        }
        for bad in ["centos_7.vhd", "plan9_4_x64_20G_alibase_20240101.vhd", "ubuntu_22_04_x64_20G_alibase_2024.vhd",
                    "ubuntu_22_04_20G_alibase_20240101.vhd", "ubuntu_22_04_x64_alibase_20240101.vhd", "ubuntu_22_04_x64_20G_alibase_20240101.qcow2",
                    "m-2ze0123456789abcdef", "ubuntu__22_x64_20G_alibase_20240101.vhd"] {
            #expect(PublicImages.parse(bad) == nil, "\(bad)")
        }
        #expect(PublicImages.listed.allSatisfy { PublicImages.parse($0) != nil })
        #expect(Set(PublicImages.listed).count == PublicImages.listed.count)
    }

    @Test func defaultCatalogServesOldIdsStrictOnlyListedOnes() throws {
        let retired = "ubuntu_14_0405_64_40G_base_20170222.vhd"
        for strict in [false, true] {
            let h = try Harness(strictCatalog: strict)
            let found = try h.ok("DescribeImages", ["ImageId": retired])["Images"]?["Image"]?.arrayValue ?? []
            #expect(found.count == (strict ? 0 : 1))
            if !strict {
                #expect(found.first?["Platform"]?.stringValue == "Ubuntu" && found.first?["OSType"]?.stringValue == "linux")
                #expect(found.first?["ImageOwnerAlias"]?.stringValue == "system" && found.first?["Size"]?.intValue == 40)
            }
            // The listing shows only listed images in both modes, with every family.
            let listed = try h.ok("DescribeImages", ["ImageOwnerAlias": "system", "PageSize": "100"])["Images"]?["Image"]?.arrayValue ?? []
            #expect(listed.count == PublicImages.listed.count)
            let platforms = Set(listed.compactMap { $0["Platform"]?.stringValue })
            for p in ["Aliyun", "CentOS", "CentOS Stream", "Ubuntu", "Debian", "Rocky Linux", "AlmaLinux", "Anolis", "OpenSUSE", "FreeBSD",
                      "Windows Server 2012", "Windows Server 2016", "Windows Server 2019", "Windows Server 2022"] {
                #expect(platforms.contains(p), "\(p) listed")
            }
            let net = try h.network()
            let create = h.call("CreateInstance", ["ImageId": retired, "InstanceType": "ecs.n1.medium", "SecurityGroupId": net.sg, "VSwitchId": net.vsw])
            switch create {
            case .success: #expect(!strict, "strict catalog created an instance from an unlisted image")
            case .failure(let e): #expect(strict && e.code == "InvalidImageId.NotFound")
            }
            // Filters stay consistent: OSType and Architecture over the listing.
            let win = try h.ok("DescribeImages", ["OSType": "windows", "PageSize": "100"])["Images"]?["Image"]?.arrayValue ?? []
            #expect(!win.isEmpty && win.allSatisfy { $0["Platform"]?.stringValue?.hasPrefix("Windows Server") == true })
            let arm = try h.ok("DescribeImages", ["Architecture": "arm64", "PageSize": "100"])["Images"]?["Image"]?.arrayValue ?? []
            #expect(arm.count == 2)
            // Public families: DescribeImages' ImageFamily filter, DescribeImageFromFamily and
            // CreateInstance's ImageFamily agree on the newest image of the family.
            let fam = try h.ok("DescribeImages", ["ImageFamily": "acs:ubuntu_20_04_x64"])["Images"]?["Image"]?.arrayValue ?? []
            #expect(Set(fam.compactMap { $0["ImageId"]?.stringValue }) == ["ubuntu_20_04_x64_20G_alibase_20230101.vhd", "ubuntu_20_04_x64_20G_alibase_20240628.vhd"])
            #expect(try h.ok("DescribeImageFromFamily", ["ImageFamily": "acs:ubuntu_20_04_x64"])["Image"]?["ImageId"]?.stringValue == "ubuntu_20_04_x64_20G_alibase_20240628.vhd")
            let byFamily = try h.ok("CreateInstance", ["ImageFamily": "acs:ubuntu_20_04_x64", "InstanceType": "ecs.g7.large", "SecurityGroupId": net.sg, "VSwitchId": net.vsw])
            let made = try h.ok("DescribeInstances", ["InstanceIds": "[\"\(byFamily["InstanceId"]!.stringValue!)\"]"])
            #expect(made["Instances"]?["Instance"]?.arrayValue?.first?["ImageId"]?.stringValue == "ubuntu_20_04_x64_20G_alibase_20240628.vhd")
        }
    }

    @Test func guestsNameTheReleaseOfTheirImage() throws {
        #expect(ImageUserland.isKnown("ubuntu") && ImageUserland.isKnown("ubuntu:debian:12") && ImageUserland.isKnown("centos:rocky:9.4"))
        #expect(!ImageUserland.isKnown("plan9") && !ImageUserland.isKnown("windows:win:2019") && !ImageUserland.isKnown("ubuntu:../x:1")
            && !ImageUserland.isKnown("ubuntu::12"))
        #expect(ImageUserland.osRelease(id: "debian", version: "12", likeRHEL: false)
            == "NAME=\"Debian GNU/Linux\"\nVERSION=\"12\"\nID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n")
        #expect(ImageUserland.osRelease(id: "rocky", version: "9.4", likeRHEL: true).contains("ID_LIKE=\"rhel centos fedora\"\n"))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("userland-\(getpid())")
        defer { try? FileManager.default.removeItem(at: dir) }
        try ImageUserland(family: "ubuntu:ubuntu:18.04").build(into: dir)
        let release = try String(contentsOf: dir.appendingPathComponent("etc/os-release"), encoding: .utf8)
        #expect(release.contains("ID=ubuntu\n") && release.contains("VERSION_ID=\"18.04\"\n"))
        #expect(try String(contentsOf: dir.appendingPathComponent("etc/lsb-release"), encoding: .utf8).contains("DISTRIB_RELEASE=18.04\n"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("usr/bin/apt-get").path))
    }
}
