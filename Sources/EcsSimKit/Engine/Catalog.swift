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

    /// The instance types offered in every zone (InstanceTypes.swift).
    public static var instanceTypes: [InstanceType] { InstanceTypes.all }

    /// The disk categories offered.
    static let diskCategories = ["cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto"]

    /// The marketplace image the emulator offers (ImageOwnerAlias=marketplace).
    static let marketplaceImage = "m-marketplace-lamp-centos7"

    /// The listed public images of a region as `Image` values (PublicImages.swift).
    static func images(region: String) -> [Image] {
        (PublicImages.listed + [marketplaceImage]).compactMap { publicImage($0, region: region, strict: true) }
    }

    /// The newest listed public image of an `acs:` family (by the build date in its ID).
    static func latestPublicImage(family: String, region: String) -> Image? {
        images(region: region).filter { $0.family == family && $0.ownerAlias == "system" }.max { $0.id.split(separator: "_").last! < $1.id.split(separator: "_").last! }
    }

    /// A public image by ID: a listed one or, unless `strict`, any well-formed ID of a
    /// known family, served as that family.
    static func publicImage(_ id: String, region: String, strict: Bool) -> Image? {
        if id == marketplaceImage {
            return image(id, name: "LAMP on CentOS 7 (marketplace)", region: region, owner: "marketplace",
                         parsed: PublicImages.parse("centos_7_9_x64_20G_alibase_20240628.vhd")!)
        }
        guard !strict || PublicImages.listed.contains(id), let parsed = PublicImages.parse(id) else { return nil }
        return image(id, name: id, region: region, owner: "system", parsed: parsed)
    }

    private static func image(_ id: String, name: String, region: String, owner: String, parsed p: PublicImages.Parsed) -> Image {
        Image(id: id, region: region, name: name, description: "", family: owner == "system" ? PublicImages.family(of: id) : "", version: "", status: "Available", next: nil,
              ownerAlias: owner, osType: p.osType, osName: p.osName, platform: p.platform, architecture: p.architecture, size: p.sizeGiB,
              mappings: [DiskMapping(snapshotId: "", size: p.sizeGiB, device: "/dev/xvda", type: "system")], hostFamily: p.hostFamily,
              isPublic: true, created: 1_500_000_000)
    }
}
