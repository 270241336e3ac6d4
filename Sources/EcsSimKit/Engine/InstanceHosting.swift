import AlicloudKit
import FoundationEssentials

/// Where a new disk's contents come from.
public enum HostDiskSource: Sendable, Equatable {
    /// A public image's userland: "centos", "ubuntu", "windows".
    case image(family: String)
    /// A snapshot's tree.
    case snapshot(id: String)
    /// An empty data disk.
    case blank
}

/// What the engine needs from the machine hosting instances: disk trees, snapshots, one
/// real sshd per running Linux instance and a WinRM endpoint per Windows instance that enabled it. `LocalHost` is the real one (Sources/EcsSimKit/Host);
/// `NullHost` keeps no files (API-only runs and unit tests).
public protocol InstanceHosting: AnyObject, Sendable {
    /// Creates a disk's tree.
    func createDisk(id: String, source: HostDiskSource) throws
    /// Copies a disk's tree into a snapshot; returns its size in bytes.
    func snapshot(disk id: String, to snapshotId: String) throws -> Int64
    /// Copies a snapshot into another snapshot (CopyImage).
    func copySnapshot(_ id: String, to newId: String) throws
    /// Deletes a disk tree (idempotent).
    func deleteDisk(id: String) throws
    /// Deletes a snapshot tree (idempotent).
    func deleteSnapshot(id: String) throws
    /// The root directory of a disk, when the host keeps files.
    func diskPath(id: String) -> URL?
    /// Starts an instance's sshd.
    func startSSH(instance id: String, address: String, port: Int, rootDisk: String, dataDisks: [(diskId: String, mountPoint: String)],
                  loginUser: String, authorizedKeys: [String], password: String?, refuseFor: Double) throws
    /// Stops an instance's sshd (idempotent).
    func stopSSH(instance id: String)
    /// Starts a Windows instance's WinRM endpoint on `address`: HTTP on `port`, HTTPS on
    /// `httpsPort` when given, Basic authentication for Administrator with `password`.
    func startWinRM(instance id: String, address: String, port: Int, httpsPort: Int?, rootDisk: String, password: String) throws
    /// Stops an instance's WinRM endpoint (idempotent).
    func stopWinRM(instance id: String)
    /// Stops every sshd and WinRM endpoint.
    func stopAll()
}

/// A host that keeps nothing: instances have no files, no sshd and no WinRM endpoint. It records what was asked
/// so tests can check the engine's side of the contract.
public final class NullHost: InstanceHosting, @unchecked Sendable {
    private let lock = Lock()
    private var _log: [String] = []

    /// Makes one.
    public init() {}

    /// Every operation asked for, in order (`start i-x 127.0.3.4`, `snapshot d-x s-y`, ...).
    public var log: [String] { lock.lock(); defer { lock.unlock() }; return _log }

    private func record(_ s: String) { lock.lock(); _log.append(s); lock.unlock() }

    public func createDisk(id: String, source: HostDiskSource) throws { record("disk \(id) \(source)") }
    public func snapshot(disk id: String, to snapshotId: String) throws -> Int64 { record("snapshot \(id) \(snapshotId)"); return 0 }
    public func copySnapshot(_ id: String, to newId: String) throws { record("copy \(id) \(newId)") }
    public func deleteDisk(id: String) throws { record("rmdisk \(id)") }
    public func deleteSnapshot(id: String) throws { record("rmsnapshot \(id)") }
    public func diskPath(id: String) -> URL? { nil }
    public func startSSH(instance id: String, address: String, port: Int, rootDisk: String, dataDisks: [(diskId: String, mountPoint: String)],
                         loginUser: String, authorizedKeys: [String], password: String?, refuseFor: Double) throws {
        record("start \(id) \(address) keys=\(authorizedKeys.count) password=\(password != nil) refuse=\(Int(refuseFor))")
    }
    public func stopSSH(instance id: String) { record("stop \(id)") }
    public func startWinRM(instance id: String, address: String, port: Int, httpsPort: Int?, rootDisk: String, password: String) throws {
        record("winrm \(id) \(address):\(port) https=\(httpsPort.map(String.init) ?? "-") disk=\(rootDisk)")
    }
    public func stopWinRM(instance id: String) { record("stopwinrm \(id)") }
    public func stopAll() { record("stopall") }
}
