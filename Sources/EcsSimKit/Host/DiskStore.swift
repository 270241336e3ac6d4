import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Disk contents as directories on the local file system, under `<state>/host/`:
/// `disks/<id>` (a disk's root directory), `snapshots/<id>`, and `images/<family>.v<n>`
/// (the public images' trees, built on first use).
public final class DiskStore: @unchecked Sendable {
    /// Where a new disk's contents come from.
    public enum DiskSource: Sendable, Equatable {
        /// A public image family: "centos", "ubuntu", "windows" (a marker tree, no sshd).
        case image(family: String)
        /// A snapshot taken earlier with `snapshot(disk:to:)`.
        case snapshot(id: String)
        /// An empty data disk.
        case blank
    }

    private let layout: HostLayout
    private let lock = Lock()

    /// Opens (creating if needed) the store rooted at `root` (`<state>/host`).
    public init(root: URL) throws {
        layout = HostLayout(root: root)
        try layout.prepare()
    }

    /// The root directory of a disk.
    public func diskPath(id: String) -> URL { layout.disk(id) }
    /// The directory holding a snapshot's copy of a disk.
    public func snapshotPath(id: String) -> URL { layout.snapshot(id) }

    /// Creates a new disk's root directory from an image, a snapshot or nothing.
    public func createDisk(id: String, source: DiskSource) throws {
        try HostLayout.checkID(id, kind: "disk")
        let dest = layout.disk(id)
        guard !exists(dest) else { throw ToolError.failed("disk \(id): already exists") }
        switch source {
        case .blank:
            let temp = layout.disks.appendingPathComponent(".new-\(id)")
            try? FileManager.default.removeItem(at: temp)
            try makeDirectory(temp, mode: 0o755)
            try makeDirectory(temp.appendingPathComponent("lost+found"), mode: 0o700)
            try publish(temp, as: dest, what: "disk \(id)")
        case .image(let family):
            try copyTree(try imageTree(family: family), to: dest, what: "disk \(id)")
        case .snapshot(let snapshotId):
            try HostLayout.checkID(snapshotId, kind: "snapshot")
            let source = layout.snapshot(snapshotId)
            guard exists(source) else {
                throw ToolError(.noInput, "disk \(id): snapshot \(snapshotId) does not exist")
            }
            try copyTree(source, to: dest, what: "disk \(id)")
        }
    }

    /// Copies a disk's tree into a snapshot (a consistent copy as of the call) and returns the
    /// bytes its files hold.
    @discardableResult
    public func snapshot(disk id: String, to snapshotId: String) throws -> Int64 {
        try HostLayout.checkID(id, kind: "disk")
        try HostLayout.checkID(snapshotId, kind: "snapshot")
        let source = layout.disk(id)
        guard exists(source) else { throw ToolError(.noInput, "snapshot \(snapshotId): disk \(id) does not exist") }
        let dest = layout.snapshot(snapshotId)
        guard !exists(dest) else { throw ToolError.failed("snapshot \(snapshotId): already exists") }
        try copyTree(source, to: dest, what: "snapshot \(snapshotId)")
        return Self.treeSize(dest)
    }

    /// Copies a snapshot into a new snapshot (CopyImage); returns its size in bytes.
    @discardableResult
    public func copySnapshot(id: String, to newId: String) throws -> Int64 {
        try HostLayout.checkID(id, kind: "snapshot")
        try HostLayout.checkID(newId, kind: "snapshot")
        let source = layout.snapshot(id)
        guard exists(source) else { throw ToolError(.noInput, "snapshot \(newId): snapshot \(id) does not exist") }
        let dest = layout.snapshot(newId)
        guard !exists(dest) else { throw ToolError.failed("snapshot \(newId): already exists") }
        try copyTree(source, to: dest, what: "snapshot \(newId)")
        return Self.treeSize(dest)
    }

    /// Removes a disk's tree; nothing happens when it does not exist.
    public func deleteDisk(id: String) throws {
        try HostLayout.checkID(id, kind: "disk")
        try remove(layout.disk(id), what: "disk \(id)")
    }

    /// Removes a snapshot's tree; nothing happens when it does not exist.
    public func deleteSnapshot(id: String) throws {
        try HostLayout.checkID(id, kind: "snapshot")
        try remove(layout.snapshot(id), what: "snapshot \(id)")
    }

    /// The bytes held by the regular files under `dir` (what a snapshot's size reports).
    public static func treeSize(_ dir: URL) -> Int64 {
        var total: Int64 = 0
        for relative in (try? FileManager.default.subpathsOfDirectory(atPath: dir.path)) ?? [] {
            var info = stat()
            if lstat(dir.path + "/" + relative, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG {
                total += Int64(info.st_size)
            }
        }
        return total
    }

    // MARK: - internals

    /// The template tree of an image family, built once (atomically) and reused.
    private func imageTree(family: String) throws -> URL {
        guard ImageUserland.isKnown(family) else {
            throw ToolError.data("image family \"\(family)\": unknown (known: \(ImageUserland.families.joined(separator: ", ")))")
        }
        lock.lock()
        defer { lock.unlock() }
        let tree = layout.images.appendingPathComponent("\(family).v\(ImageUserland.version)")
        if exists(tree) { return tree }
        let temp = layout.images.appendingPathComponent(".build-\(family)-\(getpid())")
        try? FileManager.default.removeItem(at: temp)
        do {
            try ImageUserland(family: family).build(into: temp)
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
        try publish(temp, as: tree, what: "image \(family)")
        return tree
    }

    /// cp -a into a hidden sibling, then one rename: a half-copied tree is never visible.
    private func copyTree(_ source: URL, to dest: URL, what: String) throws {
        let temp = dest.deletingLastPathComponent().appendingPathComponent(".new-\(dest.lastPathComponent)")
        try? FileManager.default.removeItem(at: temp)
        let result = try HostProcess.run(["/bin/cp", "-a", "--reflink=auto", "--", source.path, temp.path])
        guard result.status == 0 else {
            try? FileManager.default.removeItem(at: temp)
            throw ToolError(.cantCreate, "\(what): copy failed: \(result.lastErrorLine)")
        }
        try publish(temp, as: dest, what: what)
    }

    private func publish(_ temp: URL, as dest: URL, what: String) throws {
        guard rename(temp.path, dest.path) == 0 else {
            let cause = errnoText()
            try? FileManager.default.removeItem(at: temp)
            throw ToolError(.cantCreate, "\(what): cannot create \(dest.path): \(cause)")
        }
    }

    private func remove(_ dir: URL, what: String) throws {
        guard exists(dir) else { return }
        // Rename first so a partly deleted tree never looks like a disk.
        let doomed = dir.deletingLastPathComponent().appendingPathComponent(".del-\(dir.lastPathComponent)-\(UInt32.random(in: 0...UInt32.max))")
        guard rename(dir.path, doomed.path) == 0 else {
            throw ToolError(.failed, "\(what): cannot remove \(dir.path): \(errnoText())")
        }
        do {
            try FileManager.default.removeItem(at: doomed)
        } catch {
            throw ToolError(.failed, "\(what): cannot remove \(doomed.path): \(errorText(error))")
        }
    }

    private func exists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }
}
