// Replacements for Foundation calls the cloud clients and the image tools (Aliyun, OSS, Import,
// QEMU, Wait; ecs-call, img-import, snap-wait, boot-command) used, on FoundationEssentials and
// Glibc alone; EssentialsShimBTests holds them to Foundation.
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

extension Paths {
    /// The absolute path (a relative one is taken from the working directory) with ".", ".."
    /// and repeated slashes taken out and each symbolic link on the way replaced by the path it
    /// finally leads to; a link that leads nowhere, or round in a loop, stays as it is
    /// (`standardizingPath`, which also leaves a relative link it cannot follow from the
    /// working directory).
    public static func standardized(_ path: String) -> String {
        resolve(path.hasPrefix("/") ? path : join(FileManager.default.currentDirectoryPath, path), depth: 0)
    }

    /// Symbolic links followed in a row before giving up (the kernel's limit, ELOOP).
    private static let linkLimit = 40

    private static func resolve(_ path: String, depth: Int) -> String {
        var resolved = "/"
        for part in path.split(separator: "/") where part != "." {
            if part == ".." {
                resolved = parent(resolved)
                continue
            }
            resolved = join(resolved, String(part))
            guard depth < linkLimit, let link = linkText(resolved) else { continue }
            let target = resolve(link.hasPrefix("/") ? link : join(parent(resolved), link), depth: depth + 1)
            if access(target, F_OK) == 0 { resolved = target }
        }
        return resolved
    }

    /// What the symbolic link at `path` holds; nil when `path` is no link.
    private static func linkText(_ path: String) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = buffer.withUnsafeMutableBytes { readlink(path, $0.baseAddress!.assumingMemoryBound(to: CChar.self), $0.count - 1) }
        guard n > 0 else { return nil }
        return String(decoding: buffer[0..<n], as: UTF8.self)
    }
}
