/// How long asynchronous changes take. `realistic` follows durations typical of the real
/// cloud (sources in ecs-sim(1)); `fast` scales them down for tests.
public struct LatencyProfile: Sendable, Equatable {
    /// The profile's name.
    public var name: String
    /// CreateInstance: Pending -> Stopped.
    public var instanceCreate: Double
    /// StartInstance: Starting -> Running (also RunInstances after creation).
    public var instanceStart: Double
    /// StopInstance: Stopping -> Stopped.
    public var instanceStop: Double
    /// CreateVpc / CreateVSwitch: Pending -> Available.
    public var network: Double
    /// EIP Associating -> InUse and Unassociating -> Available.
    public var eip: Double
    /// Snapshot base time plus time per GiB of disk.
    public var snapshotBase: Double
    public var snapshotPerGiB: Double
    /// Image Creating -> Available once its snapshots are accomplished.
    public var imageAfterSnapshots: Double
    /// CopyImage: Creating -> Available.
    public var imageCopy: Double
    /// ImportImage: Waiting -> Available.
    public var imageImport: Double

    /// Sub-second transitions for tests.
    public static let fast = LatencyProfile(
        name: "fast", instanceCreate: 0.3, instanceStart: 0.3, instanceStop: 0.3, network: 0.2, eip: 0.2,
        snapshotBase: 0.5, snapshotPerGiB: 0.0, imageAfterSnapshots: 0.3, imageCopy: 1.0, imageImport: 1.0)
    /// Durations typical of the real cloud.
    public static let realistic = LatencyProfile(
        name: "realistic", instanceCreate: 10, instanceStart: 25, instanceStop: 20, network: 3, eip: 3,
        snapshotBase: 60, snapshotPerGiB: 3, imageAfterSnapshots: 30, imageCopy: 600, imageImport: 900)
    /// No waiting at all (unit tests that only check rules).
    public static let instant = LatencyProfile(
        name: "instant", instanceCreate: 0, instanceStart: 0, instanceStop: 0, network: 0, eip: 0,
        snapshotBase: 0, snapshotPerGiB: 0, imageAfterSnapshots: 0, imageCopy: 0, imageImport: 0)

    /// A profile by name.
    public static func named(_ name: String) -> LatencyProfile? {
        switch name {
        case "fast": return .fast
        case "realistic": return .realistic
        case "instant": return .instant
        default: return nil
        }
    }
}
