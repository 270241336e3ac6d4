import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Where the host layer keeps things under `<state>/host`: disks, snapshots, image
/// templates, per-instance host keys and run files. DiskStore and SSHHosts share it.
struct HostLayout: Sendable {
    let root: URL

    var disks: URL { root.appendingPathComponent("disks", isDirectory: true) }
    var snapshots: URL { root.appendingPathComponent("snapshots", isDirectory: true) }
    var images: URL { root.appendingPathComponent("images", isDirectory: true) }
    var keys: URL { root.appendingPathComponent("keys", isDirectory: true) }
    var run: URL { root.appendingPathComponent("run", isDirectory: true) }

    func disk(_ id: String) -> URL { disks.appendingPathComponent(id, isDirectory: true) }
    func snapshot(_ id: String) -> URL { snapshots.appendingPathComponent(id, isDirectory: true) }
    func keys(_ id: String) -> URL { keys.appendingPathComponent(id, isDirectory: true) }
    func run(_ id: String) -> URL { run.appendingPathComponent(id, isDirectory: true) }

    /// Creates `root` and its subdirectories, owned by the caller and closed to others
    /// (snapshots and disks hold whatever provisioners wrote).
    func prepare() throws {
        for dir in [root, disks, snapshots, images, keys, run] {
            try makeDirectory(dir, mode: 0o755)
        }
    }

    /// Checks an id used as a file name: letters, digits, `-`, `_`, `.`, not starting with a dot.
    static func checkID(_ id: String, kind: String) throws {
        let allowed = id.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || $0 == "-" || $0 == "_" || $0 == "."
        }
        guard !id.isEmpty, id.count <= 128, allowed, !id.hasPrefix(".") else {
            throw ToolError.data("\(kind) id \"\(id)\": not a valid id")
        }
    }
}

/// mkdir -p with a mode for the last component (umask does not apply).
func makeDirectory(_ url: URL, mode: mode_t) throws {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw ToolError(.cantCreate, "\(url.path): cannot create directory: \(errorText(error))")
    }
    chmod(url.path, mode)
}

/// Writes `text` to `url` atomically (temp file + rename) with `mode`.
func writeFile(_ url: URL, _ text: String, mode: mode_t) throws {
    try writeFile(url.path, Array(text.utf8), mode: mode)
}

