import FoundationEssentials
import AlicloudKit

/// The real instance host: disk trees in a `DiskStore`, one sshd per running Linux instance
/// from `SSHHosts` (Sources/EcsSimKit/Host) and one WinRM endpoint per Windows instance that
/// enabled it from `WinRMHosts` (Sources/EcsSimKit/WinRM), under `<state>/host`.
public final class LocalHost: InstanceHosting, @unchecked Sendable {
    let disks: DiskStore
    let hosts: SSHHosts
    let winrm: WinRMHosts

    /// Opens the host layer under `root` (`<state>/host`).
    public init(root: URL) throws {
        disks = try DiskStore(root: root)
        hosts = try SSHHosts(root: root)
        winrm = try WinRMHosts(root: root.appendingPathComponent("winrm"))
    }

    /// Whether sshd hosts can run here (they need root).
    public static var canRunSSH: Bool { SSHHosts.isSupported }

    public func createDisk(id: String, source: HostDiskSource) throws {
        switch source {
        case .image(let family):
            try disks.createDisk(id: id, source: .image(family: family))
            if family != "windows" { LocalHost.ensureLoader(in: disks.diskPath(id: id)) }
        case .snapshot(let sid): try disks.createDisk(id: id, source: .snapshot(id: sid))
        case .blank: try disks.createDisk(id: id, source: .blank)
        }
    }

    /// The host layer copies `scp` and the libraries `ldd` names but misses the ELF
    /// interpreter (ldd prints it on a tab-indented line of its own), so `scp -t`, which
    /// Packer's ssh communicator runs, is "not found" inside the instance. Until the host
    /// layer copies it, put the host's loader where the image's /lib64 points.
    static func ensureLoader(in root: URL) {
        let loader = "/lib64/ld-linux-x86-64.so.2"
        let dest = root.appendingPathComponent("usr/lib64/ld-linux-x86-64.so.2")
        let fm = FileManager.default
        guard fm.fileExists(atPath: root.appendingPathComponent("usr/bin/scp").path), !fm.fileExists(atPath: dest.path),
              fm.fileExists(atPath: loader) else { return }
        try? fm.createDirectory(at: dest.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? fm.copyItem(atPath: URL(fileURLWithPath: loader).resolvingSymlinksInPath().path, toPath: dest.path)
    }

    public func snapshot(disk id: String, to snapshotId: String) throws -> Int64 {
        try disks.snapshot(disk: id, to: snapshotId)
    }

    public func copySnapshot(_ id: String, to newId: String) throws {
        let scratch = "d-copy-" + newId
        try disks.createDisk(id: scratch, source: .snapshot(id: id))
        defer { try? disks.deleteDisk(id: scratch) }
        _ = try disks.snapshot(disk: scratch, to: newId)
    }

    public func deleteDisk(id: String) throws { try disks.deleteDisk(id: id) }
    public func deleteSnapshot(id: String) throws { try disks.deleteSnapshot(id: id) }
    public func diskPath(id: String) -> URL? { disks.diskPath(id: id) }

    public func startSSH(instance id: String, address: String, port: Int, rootDisk: String, dataDisks: [(diskId: String, mountPoint: String)],
                         loginUser: String, authorizedKeys: [String], password: String?, refuseFor: Double) throws {
        try hosts.start(instance: id, address: address, port: port, rootDisk: disks.diskPath(id: rootDisk), dataDisks: dataDisks,
                        loginUser: loginUser, authorizedKeys: authorizedKeys, password: password, refuseFor: refuseFor)
    }

    public func stopSSH(instance id: String) { hosts.stop(instance: id) }

    public func startWinRM(instance id: String, address: String, port: Int, httpsPort: Int?, rootDisk: String, password: String) throws {
        try winrm.start(instance: id, address: address, port: port, httpsPort: httpsPort, rootDisk: disks.diskPath(id: rootDisk),
                        user: "Administrator", password: password)
    }

    public func stopWinRM(instance id: String) { winrm.stop(instance: id) }

    public func stopAll() {
        hosts.stopAll()
        winrm.stopAll()
    }
}
