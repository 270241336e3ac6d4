import FoundationEssentials

/// A pending asynchronous state change: `status` becomes `to` at time `at` (seconds since 1970).
public struct Transition: Codable, Sendable, Equatable {
    /// The status reached.
    public var to: String
    /// When it is reached.
    public var at: Double
}

/// A key pair. The private key is never stored: it is returned once by CreateKeyPair.
public struct KeyPair: Codable, Sendable {
    public var name: String
    public var id: String
    public var region: String
    public var fingerprint: String
    public var publicKey: String
    public var created: Double
    public var tags: [Tag] = []
    public var resourceGroupId: String = ""
}

/// A VPC.
public struct Vpc: Codable, Sendable {
    public var id: String
    public var region: String
    public var name: String
    public var description: String
    public var cidr: String
    public var status: String
    public var next: Transition?
    public var vrouterId: String
    public var routeTableId: String
    public var created: Double
    public var tags: [Tag] = []
}

/// A VSwitch.
public struct VSwitch: Codable, Sendable {
    public var id: String
    public var region: String
    public var vpcId: String
    public var zoneId: String
    public var cidr: String
    public var name: String
    public var description: String
    public var status: String
    public var next: Transition?
    public var created: Double
    public var tags: [Tag] = []
}

/// One security group rule.
public struct SecurityRule: Codable, Sendable, Equatable {
    public var direction: String  // ingress | egress
    public var ipProtocol: String
    public var portRange: String
    public var sourceCidrIp: String
    public var destCidrIp: String
    public var policy: String
    public var priority: String
    public var nicType: String
    public var description: String
    public var created: Double
}

/// A security group.
public struct SecurityGroup: Codable, Sendable {
    public var id: String
    public var region: String
    public var vpcId: String
    public var name: String
    public var description: String
    public var type: String
    public var rules: [SecurityRule] = []
    public var created: Double
    public var tags: [Tag] = []
}

/// An instance.
public struct Instance: Codable, Sendable {
    public var id: String
    public var region: String
    public var zoneId: String
    public var name: String
    public var hostName: String
    public var description: String
    public var instanceType: String
    public var imageId: String
    public var osType: String      // linux | windows
    public var osName: String
    public var family: String      // centos | ubuntu | windows: the userland the host seeds
    public var status: String
    public var next: Transition?
    public var vpcId: String
    public var vswitchId: String
    public var securityGroupIds: [String]
    public var privateIp: String
    public var publicIp: String?
    public var eipAllocationId: String?
    public var keyPairName: String?
    /// The public key injected by the attached key pair (kept when the pair is deleted, as on a real disk).
    public var authorizedKey: String?
    /// When the instance last started.
    public var started: Double?
    public var systemDiskId: String
    public var dataDiskIds: [String]
    public var internetMaxBandwidthOut: Int
    public var internetChargeType: String
    public var instanceChargeType: String
    public var ioOptimized: Bool
    public var userData: String?
    public var created: Double
    public var tags: [Tag] = []
    public var lockReasons: [String] = []
}

/// A cloud disk (system or data).
public struct Disk: Codable, Sendable {
    public var id: String
    public var region: String
    public var zoneId: String
    public var instanceId: String?
    public var type: String        // system | data
    public var category: String
    public var size: Int
    public var status: String      // Creating | Available | In_use
    public var deleteWithInstance: Bool
    public var device: String
    public var name: String
    public var description: String
    public var imageId: String
    public var sourceSnapshotId: String
    public var created: Double
    public var tags: [Tag] = []
    /// The KMS key the disk is encrypted with; nil: not encrypted.
    public var kmsKeyId: String?
}

/// A snapshot. `Progress` grows from `created` to `doneAt`; it is accomplished once the
/// host has also copied the disk.
public struct Snapshot: Codable, Sendable {
    public var id: String
    public var region: String
    public var name: String
    public var description: String
    public var diskId: String
    public var diskSize: Int
    public var diskType: String
    public var status: String      // progressing | accomplished | failed
    public var doneAt: Double
    public var hostDone: Bool
    public var sizeBytes: Int64 = 0
    /// The image the source disk was created from (gives an image made from this snapshot its OS).
    public var sourceImageId: String?
    public var created: Double
    public var tags: [Tag] = []
    /// The KMS key of the disk it was taken from (or of an encrypted copy); nil: not encrypted.
    public var kmsKeyId: String?
}

/// One disk of an image.
public struct DiskMapping: Codable, Sendable, Equatable {
    public var snapshotId: String
    public var size: Int
    public var device: String
    public var type: String        // system | data
    /// ImportImage: the disk's format (`QCOW2`, `VHD`, `RAW`) and where it was read from.
    public var format: String?
    public var importBucket: String?
    public var importObject: String?
}

/// An image: the static public ones and the account's own.
public struct Image: Codable, Sendable {
    public var id: String
    public var region: String
    public var name: String
    public var description: String
    public var family: String
    public var version: String
    public var status: String
    public var next: Transition?
    public var ownerAlias: String  // system | self | others | marketplace
    public var osType: String
    public var osName: String
    public var platform: String
    public var architecture: String
    public var size: Int
    public var mappings: [DiskMapping]
    public var hostFamily: String  // centos | ubuntu | windows
    public var sharedAccounts: [String] = []
    public var isPublic: Bool = false
    public var bootMode: String = "BIOS"
    /// ResourceGroupId given at CreateImage, CopyImage or ImportImage (nil: the default group).
    public var resourceGroupId: String?
    public var sourceInstanceId: String = ""
    public var copiedFrom: String = ""
    public var isCopied: Bool = false
    public var created: Double
    public var tags: [Tag] = []
    public var progressStart: Double = 0
    /// ImportImage: the failure found when the object was read, reported when the import ends.
    public var importFailure: String?
}

/// An elastic IP address.
public struct Eip: Codable, Sendable {
    public var id: String
    public var region: String
    public var ip: String
    public var status: String
    public var next: Transition?
    public var instanceId: String?
    public var instanceType: String
    public var bandwidth: String
    public var chargeType: String
    public var name: String
    public var created: Double
    public var tags: [Tag] = []
}

/// An asynchronous task (CopyImage, ImportImage).
public struct SimTask: Codable, Sendable {
    public var id: String
    public var region: String
    public var action: String
    public var status: String      // Processing | Finished | Failed | Cancelled
    public var resourceId: String
    public var created: Double
    public var finished: Double?
    /// Why a Failed task failed (ImportImage of an object that is not a usable disk).
    public var failure: String?
}

/// Everything ecs-sim holds, persisted as one JSON file in the state directory.
public struct SimState: Codable, Sendable {
    public var keyPairs: [String: KeyPair] = [:]   // "region/name"
    public var vpcs: [String: Vpc] = [:]
    public var vswitches: [String: VSwitch] = [:]
    public var securityGroups: [String: SecurityGroup] = [:]
    public var instances: [String: Instance] = [:]
    public var disks: [String: Disk] = [:]
    public var snapshots: [String: Snapshot] = [:]
    public var images: [String: Image] = [:]       // the account's images (system ones are static)
    public var eips: [String: Eip] = [:]
    public var tasks: [String: SimTask] = [:]
    /// "region|Action|ClientToken" -> (parameter digest, first response).
    public var tokens: [String: StoredToken] = [:]
    /// Loopback addresses in use -> owner id.
    public var addresses: [String: String] = [:]
    /// RAM roles (name -> attached policy names); nil in state files from before roles existed.
    public var roles: [String: RamRole]?
    /// Per-action request counts (every request, errors included).
    public var requestCounts: [String: Int] = [:]

    public init() {}
}

/// A RAM role (only what image import needs).
public struct RamRole: Codable, Sendable {
    public var name: String
    public var assumeRolePolicy: String
    public var description: String
    public var policies: [String]
    public var created: Double
}

/// The first result of a ClientToken.
public struct StoredToken: Codable, Sendable {
    public var digest: String
    public var response: String
}
