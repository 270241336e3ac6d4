import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The public key of the key pair bound to a Linux instance, put into the guest's
/// `authorized_keys` on its system disk, as Alibaba Cloud does when the instance boots: the
/// key then lives on the disk, sshd checks it there, and an image made from the disk keeps
/// it unless the guest removed it (Packer's `ssh_clear_authorized_keys`).
///
/// Each instance has a record of the keys installed for it (`run/<id>/platform-keys`, outside
/// the disk): a key is added once per instance (not again on a restart, nor after the guest
/// removed it, as cloud-init's once-per-instance key module), and the line of a key pair
/// unbound since (DetachKeyPair) is removed.
///
/// The disk is the guest's, so every path on it is opened without following symbolic links
/// (a guest could otherwise point `/root/.ssh` at a host file written here as root).
enum PlatformKeys {
    /// One account whose `authorized_keys` gets the keys.
    struct Account {
        var name: String
        /// The home directory on the disk, relative to its root ("root", "home/ecs-user").
        var home: String
        var uid: uid_t
        var gid: gid_t
    }

    /// Brings each account's `<home>/.ssh/authorized_keys` on `disk` in line with `keys`
    /// (OpenSSH public key lines) and the instance's `record` file: keys missing from the
    /// record are appended (unless the file has the line already), recorded keys no longer
    /// bound are removed. The directory and file are made 0700/0600, owned by the account,
    /// when absent; other lines of the file are kept as they are.
    static func install(_ keys: [String], record: URL, disk: URL, accounts: [Account], context: String) throws {
        let recorded = ((try? String(contentsOf: record, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
        let added = keys.filter { !recorded.contains($0) }
        let removed = recorded.filter { !keys.contains($0) }
        if !added.isEmpty || !removed.isEmpty {
            for account in accounts {
                try update(disk: disk, account: account, add: added, remove: removed, context: context)
            }
        }
        try writeFile(record, keys.map { $0 + "\n" }.joined(), mode: 0o644)
    }

    private static func update(disk: URL, account: Account, add: [String], remove: [String], context: String) throws {
        let shown = "/\(account.home)/.ssh/authorized_keys"
        func failure(_ what: String, _ err: Int32 = errno) -> ToolError {
            ToolError(.cantCreate, "\(context): cannot install the key pair's public key in \(shown): \(what): \(errnoText(err))")
        }
        var dir = open(disk.path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard dir >= 0 else { throw failure("the disk") }
        defer { close(dir) }
        let parts = account.home.split(separator: "/").map(String.init) + [".ssh"]
        for (n, part) in parts.enumerated() {
            var next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            if next < 0 && errno == ENOENT {
                // The home directory and .ssh belong to the account; directories above it to root.
                let owned = n >= parts.count - 2
                guard mkdirat(dir, part, owned ? 0o700 : 0o755) == 0 || errno == EEXIST else { throw failure("/\(parts[...n].joined(separator: "/"))") }
                next = openat(dir, part, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if next >= 0 && owned {
                    fchown(next, account.uid, account.gid)
                    fchmod(next, 0o700)
                }
            }
            guard next >= 0 else {
                // ELOOP or ENOTDIR: a symbolic link or a file where a directory should be.
                throw failure("/\(parts[...n].joined(separator: "/")) is not a directory", errno == ELOOP ? ENOTDIR : errno)
            }
            close(dir)
            dir = next
        }

        var old = ""
        var mode: mode_t = 0o600
        let fd = openat(dir, "authorized_keys", O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        if fd >= 0 {
            defer { close(fd) }
            var info = stat()
            guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw failure("not a regular file", EINVAL) }
            mode = info.st_mode & 0o7777
            do { old = String(decoding: try readAll(fd: fd), as: UTF8.self) } catch { throw failure("read") }
        } else if errno != ENOENT {
            throw failure("open", errno == ELOOP ? EINVAL : errno)
        }

        var lines = old.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let kept = lines.filter { !remove.contains($0.trimmingBlanks()) }
        var text = kept.map { $0 + "\n" }.joined()
        for key in add where !kept.contains(where: { $0.trimmingBlanks() == key }) {
            text += key + "\n"
        }
        guard text != old else { return }

        let temp = ".authorized_keys.ecs-sim"
        unlinkat(dir, temp, 0)
        let out = openat(dir, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard out >= 0 else { throw failure("create") }
        let data = Array(text.utf8)
        var written = 0
        while written < data.count {
            let n = data.withUnsafeBytes { write(out, $0.baseAddress! + written, $0.count - written) }
            if n <= 0 { let err = errno; close(out); unlinkat(dir, temp, 0); throw failure("write", err) }
            written += n
        }
        fchown(out, account.uid, account.gid)
        fchmod(out, mode)
        close(out)
        guard renameat(dir, temp, dir, "authorized_keys") == 0 else {
            let err = errno
            unlinkat(dir, temp, 0)
            throw failure("rename", err)
        }
    }
}
