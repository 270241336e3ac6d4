/// The static parts of the emulated cloud: regions, zones, instance types, public images.
public enum Catalog {
    /// A region.
    public struct Region: Sendable {
        public var id: String
        public var localName: String
        public var idCode: String      // the 3 characters real resource IDs carry after the prefix
        public var zones: [String]
    }

    /// The regions served.
    public static let regions: [Region] = [
        Region(id: "cn-hangzhou", localName: "China (Hangzhou)", idCode: "bp1", zones: ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]),
        Region(id: "cn-shanghai", localName: "China (Shanghai)", idCode: "uf6", zones: ["cn-shanghai-e", "cn-shanghai-f", "cn-shanghai-g"]),
        Region(id: "cn-beijing", localName: "China (Beijing)", idCode: "2ze", zones: ["cn-beijing-a", "cn-beijing-c", "cn-beijing-g", "cn-beijing-h"]),
        Region(id: "cn-shenzhen", localName: "China (Shenzhen)", idCode: "wz9", zones: ["cn-shenzhen-a", "cn-shenzhen-d", "cn-shenzhen-e"]),
        Region(id: "cn-qingdao", localName: "China (Qingdao)", idCode: "m5e", zones: ["cn-qingdao-b", "cn-qingdao-c"]),
        Region(id: "cn-zhangjiakou", localName: "China (Zhangjiakou)", idCode: "8vb", zones: ["cn-zhangjiakou-a", "cn-zhangjiakou-b"]),
        Region(id: "cn-hongkong", localName: "China (Hong Kong)", idCode: "j6c", zones: ["cn-hongkong-b", "cn-hongkong-c"]),
        Region(id: "ap-southeast-1", localName: "Singapore", idCode: "t4n", zones: ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]),
        Region(id: "ap-northeast-1", localName: "Japan (Tokyo)", idCode: "6we", zones: ["ap-northeast-1a", "ap-northeast-1b"]),
        Region(id: "us-west-1", localName: "US (Silicon Valley)", idCode: "rj9", zones: ["us-west-1a", "us-west-1b"]),
        Region(id: "us-east-1", localName: "US (Virginia)", idCode: "0xi", zones: ["us-east-1a", "us-east-1b"]),
        Region(id: "eu-central-1", localName: "Germany (Frankfurt)", idCode: "gw8", zones: ["eu-central-1a", "eu-central-1b"]),
        Region(id: "eu-west-1", localName: "UK (London)", idCode: "d7o", zones: ["eu-west-1a", "eu-west-1b"]),
    ]

    /// A region by id.
    public static func region(_ id: String) -> Region? { regions.first { $0.id == id } }

    /// The public endpoint of a region (DescribeRegions' RegionEndpoint).
    static func endpoint(_ region: String) -> String {
        ["cn-hangzhou", "cn-shanghai", "cn-beijing", "cn-shenzhen", "cn-qingdao", "cn-hongkong", "ap-southeast-1", "us-west-1", "us-east-1"].contains(region)
            ? "ecs.aliyuncs.com" : "ecs.\(region).aliyuncs.com"
    }

    /// An instance type.
    public struct InstanceType: Sendable {
        public var id: String
        public var family: String
        public var cpu: Int
        public var memoryGiB: Double
    }

    /// The instance types offered in every zone.
    public static let instanceTypes: [InstanceType] = [
        InstanceType(id: "ecs.t5-lc1m1.small", family: "ecs.t5", cpu: 1, memoryGiB: 1),
        InstanceType(id: "ecs.t5-lc1m2.small", family: "ecs.t5", cpu: 1, memoryGiB: 2),
        InstanceType(id: "ecs.t6-c1m1.large", family: "ecs.t6", cpu: 2, memoryGiB: 2),
        InstanceType(id: "ecs.n1.tiny", family: "ecs.n1", cpu: 1, memoryGiB: 1),
        InstanceType(id: "ecs.n4.large", family: "ecs.n4", cpu: 2, memoryGiB: 4),
        InstanceType(id: "ecs.c6.large", family: "ecs.c6", cpu: 2, memoryGiB: 4),
        InstanceType(id: "ecs.g6.large", family: "ecs.g6", cpu: 2, memoryGiB: 8),
        InstanceType(id: "ecs.g7.large", family: "ecs.g7", cpu: 2, memoryGiB: 8),
        InstanceType(id: "ecs.u1-c1m2.large", family: "ecs.u1", cpu: 2, memoryGiB: 4),
        InstanceType(id: "ecs.d1ne.2xlarge", family: "ecs.d1ne", cpu: 8, memoryGiB: 32),
    ]

    /// The disk categories offered.
    static let diskCategories = ["cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto"]

    /// The public images present in every region.
    static let publicImages: [(id: String, name: String, family: String, osName: String, platform: String, osType: String, size: Int, owner: String)] = [
        ("centos_7_03_64_20G_alibase_20170818.vhd", "centos_7_03_64_20G_alibase_20170818.vhd", "centos", "CentOS  7.3 64位", "CentOS", "linux", 20, "system"),
        ("centos_7_9_x64_20G_alibase_20240628.vhd", "centos_7_9_x64_20G_alibase_20240628.vhd", "centos", "CentOS  7.9 64位", "CentOS", "linux", 20, "system"),
        ("ubuntu_22_04_x64_20G_alibase_20240130.vhd", "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "ubuntu", "Ubuntu  22.04 64位", "Ubuntu", "linux", 20, "system"),
        ("ubuntu_20_04_x64_20G_alibase_20230101.vhd", "ubuntu_20_04_x64_20G_alibase_20230101.vhd", "ubuntu", "Ubuntu  20.04 64位", "Ubuntu", "linux", 20, "system"),
        ("win2008r2_64_ent_sp1_zh-cn_40G_alibase_20181220.vhd", "win2008r2_64_ent_sp1_zh-cn_40G_alibase_20181220.vhd", "windows", "Windows Server  2008 R2 企业版 64位中文版", "Windows Server 2008", "windows", 40, "system"),
        ("win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "windows", "Windows Server  2019 数据中心版 64位中文版", "Windows Server 2019", "windows", 40, "system"),
        ("m-marketplace-lamp-centos7", "LAMP on CentOS 7 (marketplace)", "centos", "CentOS  7.9 64位", "CentOS", "linux", 20, "marketplace"),
    ]

    /// The public images of a region as `Image` values.
    static func images(region: String) -> [Image] {
        publicImages.map { p in
            Image(id: p.id, region: region, name: p.name, description: "", family: "", version: "", status: "Available", next: nil,
                  ownerAlias: p.owner, osType: p.osType, osName: p.osName, platform: p.platform, architecture: "x86_64", size: p.size,
                  mappings: [DiskMapping(snapshotId: "", size: p.size, device: "/dev/xvda", type: "system")], hostFamily: p.family,
                  isPublic: true, created: 1_500_000_000)
        }
    }
}
