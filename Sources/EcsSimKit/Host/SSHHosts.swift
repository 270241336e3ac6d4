import AlicloudKit
import Dispatch
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Real sshd hosts for running Linux instances, one per instance on its own 127.0.0.x address.
///
/// Each instance is `unshare --pid --fork --kill-child --mount` running a generated launch
/// script as pid 1 of a fresh pid and mount namespace (so a guest's `reboot -f` only ends
/// that namespace, never the host). The script mounts, visible only there:
/// a tmpfs on /run (sshd's privilege separation directory and a root-owned chroot path, so
/// the state dir's own location and modes do not matter), a tmpfs on /var/log (sshd's
/// wtmp/lastlog records stay off the host), the instance's disk at /run/ecs-sim/root with
/// /dev (a few device nodes), /proc (of the new pid namespace) and its data disks, and
/// one-line passwd/shadow files over the host's, so sshd checks the instance's password;
/// keys it checks in the user's `~/.ssh/authorized_keys` on the disk, as the guest's own
/// sshd would (the bound key pair's key is put there first: `PlatformKeys`).
/// Then it runs `sshd -D` with `ChrootDirectory /run/ecs-sim/root` and waits. When the
/// script (pid 1 there) ends, the kernel kills every process of the namespace: stopping
/// leaves nothing behind.
public final class SSHHosts: @unchecked Sendable {
    private let layout: HostLayout
    private let lock = Lock()
    private var hosts: [String: InstanceHost] = [:]
    private let rebootDelay: Double

    /// Opens the host layer rooted at `root` (`<state>/host`, shared with `DiskStore`).
    /// A guest `reboot` brings the instance's sshd back after `rebootDelay` seconds.
    public init(root: URL, rebootDelay: Double = 2) throws {
        layout = HostLayout(root: root)
        self.rebootDelay = rebootDelay
        try layout.prepare()
        signal(SIGPIPE, SIG_IGN)
    }

    /// Whether the host layer can run sshd hosts here (it needs root for namespaces and chroot).
    public static var isSupported: Bool { geteuid() == 0 }

    /// Starts (or restarts) an sshd for the instance on `address`:`port` whose sessions run
    /// chrooted in `rootDisk`, with each data disk bind-mounted at its mount point ("" means
    /// /mnt/<disk-id>), accepting `loginUser` with a key of its `~/.ssh/authorized_keys` on
    /// the disk or with `password` (nil: no password login). `authorizedKeys` (OpenSSH public
    /// key lines, the bound key pair's) are first put into root's and the login user's
    /// `authorized_keys` on the disk, once per instance (see `PlatformKeys`). For `refuseFor`
    /// seconds the port refuses connections first (fault injection); otherwise this returns
    /// once the port accepts connections.
    public func start(instance id: String, address: String, port: Int, rootDisk: URL,
                      dataDisks: [(diskId: String, mountPoint: String)] = [],
                      loginUser: String = "root", authorizedKeys: [String], password: String?,
                      refuseFor: Double = 0) throws {
        try HostLayout.checkID(id, kind: "instance")
        let context = "instance \(id)"
        guard Self.isSupported else {
            throw ToolError(.noPermission, "\(context): running an sshd host needs root (namespaces, chroot, device nodes)")
        }
        guard Self.isLoopback(address) else {
            throw ToolError.data("\(context): address \(address) is not a loopback address (127.0.0.0/8)")
        }
        guard (1...65535).contains(port) else { throw ToolError.data("\(context): port \(port) out of range") }
        guard loginUser.wholeMatch(of: /[a-z_][a-z0-9_-]{0,31}/) != nil else {
            throw ToolError.data("\(context): login user \"\(loginUser)\" is not a valid user name")
        }
        if let password, password.contains(where: { $0 == "\n" || $0 == "\r" || $0 == "\0" }) {
            throw ToolError.data("\(context): password contains a line break")
        }
        for key in authorizedKeys where key.contains(where: { $0 == "\n" || $0 == "\r" }) {
            throw ToolError.data("\(context): authorized key contains a line break")
        }
        let refuse = refuseFor.isFinite ? max(0, refuseFor) : 0

        stop(instance: id)
        killStale(id)

        let disk = rootDisk.standardizedFileURL
        var mounts: [(source: URL, point: String)] = []
        for (diskId, mountPoint) in dataDisks {
            try HostLayout.checkID(diskId, kind: "disk")
            let point = mountPoint.isEmpty ? "/mnt/\(diskId)" : mountPoint
            guard point.hasPrefix("/"), point != "/", !point.split(separator: "/").contains(where: { $0 == ".." || $0 == "." }) else {
                throw ToolError.data("\(context): mount point \"\(mountPoint)\" of disk \(diskId) is not an absolute path")
            }
            let source = layout.disk(diskId)
            guard isDirectory(source) else { throw ToolError(.noInput, "\(context): data disk \(diskId) does not exist") }
            mounts.append((source, point))
        }
        let hostPython = Self.sharesHostPython
        try prepareDisk(disk, mountPoints: ["/dev", "/proc"] + (hostPython ? [Self.hostUsrMount] : []) + mounts.map(\.point), context: context)
        if loginUser != "root" { try addUser(loginUser, to: disk) }

        let keys = try hostKeys(id)
        let run = layout.run(id)
        try makeDirectory(run, mode: 0o755)
        // The bound key pair's key goes onto the disk, where sshd checks it (PlatformKeys).
        var accounts = [PlatformKeys.Account(name: "root", home: "root", uid: 0, gid: 0)]
        if loginUser != "root" { accounts.append(.init(name: loginUser, home: "home/\(loginUser)", uid: 1000, gid: 1000)) }
        try PlatformKeys.install(authorizedKeys, record: run.appendingPathComponent("platform-keys"), disk: disk,
                                 accounts: accounts, context: context)
        try? FileManager.default.removeItem(at: run.appendingPathComponent("authorized_keys"))  // before the keys lived on the disk
        let config = run.appendingPathComponent("sshd_config")
        try writeFile(config, try sshdConfig(id: id, address: address, port: port, hostKeys: keys,
                                             loginUser: loginUser, passwordLogin: password != nil), mode: 0o600)
        let script = run.appendingPathComponent("launch.sh")
        try writeFile(script, launchScript(id: id, disk: disk, mounts: mounts, run: run, keys: layout.keys(id),
                                           loginUser: loginUser, refuseFor: refuse, hostPython: hostPython), mode: 0o700)

        if Self.accepts(address: address, port: port) {
            throw ToolError(.unavailable, "\(context): \(address):\(port) is already in use by another process")
        }
        let log = run.appendingPathComponent("sshd.log")
        let host = try launch(script: script, log: log, password: password)
        host.address = address
        host.port = port
        host.restart = { [weak self] in
            try self?.start(instance: id, address: address, port: port, rootDisk: rootDisk, dataDisks: dataDisks,
                            loginUser: loginUser, authorizedKeys: authorizedKeys, password: password, refuseFor: 0)
        }
        host.onExit = { [weak self] host, status in
            self?.ended(id, host, status: status, poweroffFile: disk.appendingPathComponent(".ecs-sim/poweroff"))
        }
        host.startReaper()
        try? writeFile(run.appendingPathComponent("pid"), "\(host.pid)\n", mode: 0o644)
        lock.lock()
        hosts[id] = host
        lock.unlock()

        guard refuse == 0 else { return }
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(address: address, port: port) {
            if host.hasExited || Date() > deadline {
                let why = host.hasExited ? "sshd exited" : "sshd did not listen within 10s"
                stop(instance: id)
                throw ToolError(.unavailable, "\(context): \(why): \(Self.lastLine(of: log))")
            }
            usleep(2000)
        }
    }

    /// Stops the instance's sshd and every session under it, and returns once the port is
    /// closed. Nothing happens when it is not running.
    public func stop(instance id: String) {
        lock.lock()
        let host = hosts.removeValue(forKey: id)
        lock.unlock()
        guard let host else { return }
        terminate(host)
        if let address = host.address, let port = host.port {
            let deadline = Date().addingTimeInterval(5)
            while Self.accepts(address: address, port: port) && Date() < deadline { usleep(2000) }
        }
        if (try? HostLayout.checkID(id, kind: "instance")) != nil {
            try? FileManager.default.removeItem(at: layout.run(id).appendingPathComponent("pid"))
        }
    }

    /// Stops every instance this object started, and any left running by an earlier emulator
    /// process on the same state dir.
    public func stopAll() {
        lock.lock()
        let ids = Array(hosts.keys)
        lock.unlock()
        for id in ids { stop(instance: id) }
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: layout.run.path)) ?? []
        for id in leftovers where (try? HostLayout.checkID(id, kind: "instance")) != nil {
            killStale(id)
        }
    }

    /// Whether the instance's sshd process is alive (also while it still refuses connections).
    /// False after a guest `poweroff` ended it; `<disk>/.ecs-sim/poweroff` then says so.
    public func isRunning(instance id: String) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard let host = hosts[id] else { return false }
        return !host.hasExited || host.rebooting
    }

    /// The sshd log of an instance (for diagnostics).
    public func logPath(instance id: String) -> URL {
        layout.run(id).appendingPathComponent("sshd.log")
    }

    // MARK: - processes

    /// Called when an instance's launcher ends by itself: after a guest `reboot` (the power
    /// file says "reboot") the sshd comes back with the same settings, as a real instance does.
    private func ended(_ id: String, _ host: InstanceHost, status: Int32, poweroffFile: URL) {
        lock.lock()
        let current = hosts[id] === host
        lock.unlock()
        guard current else { return }
        // `reboot -f` / `poweroff -f` call reboot(2), which in a pid namespace kills its
        // pid 1 with SIGHUP (restart) or SIGINT (power off) instead of touching the host.
        switch status {
        case 128 + SIGHUP: try? Self.recordPower("reboot", in: poweroffFile)
        case 128 + SIGINT: try? Self.recordPower("poweroff", in: poweroffFile)
        default: break
        }
        guard let text = try? String(contentsOf: poweroffFile, encoding: .utf8), text.hasPrefix("reboot") else { return }
        try? FileManager.default.removeItem(at: poweroffFile)
        host.rebooting = true
        DispatchQueue.global().asyncAfter(deadline: .now() + rebootDelay) { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let stillCurrent = self.hosts[id] === host
            self.lock.unlock()
            if stillCurrent { try? host.restart?() }
            host.rebooting = false
        }
    }

    private func launch(script: URL, log: URL, password: String?) throws -> InstanceHost {
        let logFD = open(log.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard logFD >= 0 else { throw ToolError(.cantCreate, "\(log.path): cannot open: \(errnoText())") }
        defer { close(logFD) }
        let input = try makePipe()
        let pid: pid_t
        do {
            pid = try HostProcess.spawn(
                ["/usr/bin/unshare", "--pid", "--fork", "--kill-child", "--mount", "--uts", "--ipc", "--propagation", "private",
                 "/bin/sh", script.path],
                stdin: input.read, stdout: logFD, stderr: logFD, newProcessGroup: true)
        } catch {
            close(input.read); close(input.write)
            throw error
        }
        close(input.read)
        // The password travels only through this pipe: never argv, environment or a file.
        var line = Array(((password ?? "") + "\n").utf8)
        _ = write(input.write, &line, line.count)
        for i in line.indices { line[i] = 0 }
        close(input.write)

        return InstanceHost(pid: pid)
    }

    /// SIGKILL to the namespace's pid 1 (the launch script; only SIGKILL reaches it from
    /// outside whatever it does, and the guest cannot fake it), which takes sshd and every
    /// session with it: a stopped instance's sessions end as on a real power-off.
    private func terminate(_ host: InstanceHost) {
        if host.hasExited { return }
        if let child = Self.firstChild(of: host.pid) {
            kill(child, SIGKILL)
            if host.waitExit(seconds: 2) { return }
        }
        kill(host.pid, SIGKILL)  // --kill-child: unshare's death kills its child too
        _ = host.waitExit(seconds: 10)
    }

    /// Writes `<disk>/.ecs-sim/poweroff` as the guest's shutdown command would.
    static func recordPower(_ action: String, in file: URL) throws {
        try makeDirectory(file.deletingLastPathComponent(), mode: 0o755)
        try writeFile(file, "\(action) \(Int(Date().timeIntervalSince1970))\n", mode: 0o644)
    }

    /// Kills an instance's launcher left by an earlier emulator process (crash or restart),
    /// after checking from /proc that the pid is still that launcher.
    private func killStale(_ id: String) {
        let pidFile = layout.run(id).appendingPathComponent("pid")
        defer { try? FileManager.default.removeItem(at: pidFile) }
        guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
              let pid = pid_t(text.trimmingSpace()), pid > 1 else { return }
        let script = layout.run(id).appendingPathComponent("launch.sh").path
        guard let cmdline = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline")),
              String(decoding: cmdline, as: UTF8.self).split(separator: "\0").contains(where: { $0 == script }) else {
            return
        }
        // The namespace's pid 1 first, and wait for it: it ends only after every process of
        // the namespace has (sshd, with its listening socket). Killing the launcher alone and
        // waiting for it let the new host find the port still taken (issue 15).
        if let child = Self.firstChild(of: pid) {
            kill(child, SIGKILL)
            Self.waitEnded(child, seconds: 10)
        }
        kill(pid, SIGKILL)
        Self.waitEnded(pid, seconds: 10, reap: true)
    }

    /// Waits until `pid` is gone or a zombie (a zombie holds no files, so no socket); with
    /// `reap`, also reaps it in case it is this process's own child after all.
    private static func waitEnded(_ pid: pid_t, seconds: Double, reap: Bool = false) {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if reap {
                var status: Int32 = 0
                _ = waitpid(pid, &status, WNOHANG)
            }
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { return }
            let state = stat[stat.index(after: close)...].trimmingSpace().first
            if state == "Z" || state == "X" { return }
            usleep(2000)
        }
    }

    private static func firstChild(of pid: pid_t) -> pid_t? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else {
            return nil
        }
        return text.split(separator: " ").compactMap { pid_t($0) }.first
    }

    // MARK: - files

    /// Host keys live per instance under keys/<id>, so they survive stop and start.
    private func hostKeys(_ id: String) throws -> [URL] {
        let dir = layout.keys(id)
        try makeDirectory(dir, mode: 0o700)
        var keys: [URL] = []
        for type in ["ed25519", "ecdsa"] {
            let key = dir.appendingPathComponent("ssh_host_\(type)_key")
            if !FileManager.default.fileExists(atPath: key.path) {
                try? FileManager.default.removeItem(at: key.appendingPathExtension("pub"))
                try HostProcess.check(["/usr/bin/ssh-keygen", "-q", "-t", type, "-N", "", "-C", "ecs-sim \(id)",
                                       "-f", key.path], context: "instance \(id): host key")
            }
            keys.append(key)
        }
        return keys
    }

    /// The disk root must be root-owned and closed to others (sshd's chroot rule), old power
    /// requests are cleared, and the
    /// mount points must be plain directories inside it: a symlink there could point the
    /// mount outside the disk.
    private func prepareDisk(_ disk: URL, mountPoints: [String], context: String) throws {
        var info = stat()
        guard lstat(disk.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ToolError(.noInput, "\(context): root disk \(disk.path) is not a directory")
        }
        chown(disk.path, 0, 0)
        chmod(disk.path, 0o755)
        // A power request belongs to the previous run (an image may even carry one).
        for marker in [".ecs-sim/poweroff", ".ecs-sim/shutdown-scheduled"] {
            unlink(disk.path + "/" + marker)
        }
        for point in mountPoints {
            var path = disk.path
            for component in point.split(separator: "/") {
                path += "/" + component
                if lstat(path, &info) != 0 {
                    guard mkdir(path, 0o755) == 0 else {
                        throw ToolError(.cantCreate, "\(context): cannot create mount point \(point): \(errnoText())")
                    }
                } else if (info.st_mode & S_IFMT) != S_IFDIR {
                    throw ToolError.data("\(context): mount point \(point) on the disk is not a plain directory")
                }
            }
        }
    }

    /// Gives a non-root login user an account on the disk (uid 1000, as cloud-init would),
    /// matching the account sshd sees, and a home directory.
    private func addUser(_ user: String, to disk: URL) throws {
        let passwd = disk.appendingPathComponent("etc/passwd")
        let text = (try? String(contentsOf: passwd, encoding: .utf8)) ?? ""
        if !text.split(separator: "\n").contains(where: { $0.hasPrefix("\(user):") }) {
            try writeFile(passwd, text + "\(user):x:1000:1000::/home/\(user):/bin/sh\n", mode: 0o644)
            let group = disk.appendingPathComponent("etc/group")
            let groups = (try? String(contentsOf: group, encoding: .utf8)) ?? ""
            try writeFile(group, groups + "\(user):x:1000:\n", mode: 0o644)
        }
        let home = disk.appendingPathComponent("home/\(user)")
        var info = stat()
        if lstat(home.path, &info) != 0 {
            try makeDirectory(home, mode: 0o700)
            chown(home.path, 1000, 1000)
        }
    }

    private func sshdConfig(id: String, address: String, port: Int, hostKeys: [URL],
                            loginUser: String, passwordLogin: Bool) throws -> String {
        // Paths as sshd sees them inside the launch script's small root.
        var lines = [
            "# sshd for ecs-sim instance \(id) (generated; run by launch.sh in its own namespaces)",
            "ListenAddress \(address):\(port)",
        ]
        for key in hostKeys { lines.append("HostKey /ecs-sim/keys/\(key.lastPathComponent)") }
        lines += [
            "PidFile none",
            // The user's own file on the instance's disk (%h: the home directory the
            // launch script's passwd gives, /root or /home/<user>), as a guest's sshd reads it.
            "AuthorizedKeysFile /run/ecs-sim/root%h/.ssh/authorized_keys",
            "PermitRootLogin yes",
            "AllowUsers \(loginUser)",
            "UsePAM no",
            "StrictModes no",
            "PubkeyAuthentication yes",
            "PasswordAuthentication \(passwordLogin ? "yes" : "no")",
            "KbdInteractiveAuthentication no",
            "PermitEmptyPasswords no",
            "ChrootDirectory /run/ecs-sim/root",
            "Subsystem sftp internal-sftp",
            "UseDNS no",
            "PrintMotd no",
            "PrintLastLog no",
            "X11Forwarding no",
            "AllowTcpForwarding yes",
            "MaxStartups 100:30:200",
            "MaxSessions 64",
            "LoginGraceTime 60",
            "LogLevel INFO",
        ]
        return lines.joined(separator: "\n") + "\n"
    }

    /// Capabilities sshd and the sessions keep: enough to log users in, chroot and own files,
    /// not enough to mount, make device nodes, load modules, set the clock, reconfigure the
    /// network or open files by handle. `sys_boot` stays: in a pid namespace reboot(2) only
    /// ends the namespace.
    static let sessionCapabilities = "-all,+chown,+dac_override,+fowner,+fsetid,+kill,+setgid,+setuid,"
        + "+net_bind_service,+sys_chroot,+sys_boot,+audit_write"

    /// Where a Linux guest sees the host's /usr (read-only, nosuid, nodev): its python3 runs
    /// the host's interpreter from there (GuestScripts.python3).
    static let hostUsrMount = "/usr/lib/ecs-sim/host"
    /// Whether guests get the host's Python: only when the host has one.
    static var sharesHostPython: Bool { FileManager.default.isExecutableFile(atPath: "/usr/bin/python3") }

    private func launchScript(id: String, disk: URL, mounts: [(source: URL, point: String)], run: URL, keys: URL,
                              loginUser: String, refuseFor: Double, hostPython: Bool) -> String {
        var s = """
            #!/bin/sh
            # ecs-sim instance \(id): pid 1 of its own pid, mount, UTS and IPC namespaces.
            # Builds a small root (read-only host /usr, a few /etc files, the instance's files) and runs
            # sshd in it, chrooting sessions into the instance's disk (see SSHHosts.swift).
            set -eu
            IFS= read -r pw || true

            """
        if refuseFor > 0 {
            s += "sleep \(cFormat("%.3f", refuseFor))\n"
        }
        s += """
            mount -t tmpfs -o mode=755,size=1m ecs-sim-run /run
            J=/run/jail
            mkdir -m 755 "$J"
            mount -t tmpfs -o mode=755,size=4m ecs-sim-jail "$J"
            robind () { mkdir -p "$2"; mount --bind "$1" "$2"; mount -o remount,bind,ro "$2"; }
            robind /usr "$J/usr"
            # Of the host's /etc, only what sshd and the C library read (no host secrets).
            mkdir -m 755 "$J/etc" "$J/etc/ssh"
            for f in ld.so.cache nsswitch.conf localtime hosts host.conf gai.conf ssh/moduli; do
                if [ -f "/etc/$f" ]; then : > "$J/etc/$f"; mount --bind -o ro "/etc/$f" "$J/etc/$f"; fi
            done
            printf 'root:x:0:\\nnogroup:x:65534:\\n' > "$J/etc/group"
            for l in bin sbin lib lib32 lib64 libx32; do
                if [ -L "/$l" ]; then ln -s "$(readlink "/$l")" "$J/$l"
                elif [ -d "/$l" ]; then robind "/$l" "$J/$l"; fi
            done
            robind \(shellQuote(run.path)) "$J/ecs-sim/run"
            robind \(shellQuote(keys.path)) "$J/ecs-sim/keys"
            mkdir -m 755 "$J/run" "$J/run/sshd" "$J/run/ecs-sim" "$J/var" "$J/var/log" "$J/proc" "$J/dev" "$J/oldroot"
            # $1: the dev directory; $2: how to get its pts (the instance's own devpts, so
            # no guest sees the host's terminals).
            devices () {
                mount -t tmpfs -o mode=755,size=1m,nosuid ecs-sim-dev "$1"
                mknod -m 666 "$1/null" c 1 3
                mknod -m 666 "$1/zero" c 1 5
                mknod -m 666 "$1/full" c 1 7
                mknod -m 666 "$1/random" c 1 8
                mknod -m 666 "$1/urandom" c 1 9
                mknod -m 666 "$1/tty" c 5 0
                mkdir -m 755 "$1/pts"
                if [ "$2" = new ]; then
                    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5,nosuid,noexec ecs-sim-pts "$1/pts"
                else
                    mount --bind "$2" "$1/pts"
                fi
                ln -s pts/ptmx "$1/ptmx"
                mkdir -m 1777 "$1/shm"
                ln -s /proc/self/fd "$1/fd"
                ln -s /proc/self/fd/0 "$1/stdin"
                ln -s /proc/self/fd/1 "$1/stdout"
                ln -s /proc/self/fd/2 "$1/stderr"
            }
            devices "$J/dev" new
            mount -t proc -o ro,nosuid,nodev,noexec ecs-sim-proc "$J/proc"
            R="$J/run/ecs-sim/root"
            mkdir -m 755 "$R"
            mount --bind \(shellQuote(disk.path)) "$R"
            devices "$R/dev" "$J/dev/pts"
            mount -t proc -o ro,nosuid,nodev,noexec ecs-sim-proc "$R/proc"

            """
        if hostPython {
            s += "mount --bind /usr \"$R\"\(Self.hostUsrMount)\nmount -o remount,bind,ro,nosuid,nodev \"$R\"\(Self.hostUsrMount)\n"
        }
        for mount in mounts {
            s += "mount --bind \(shellQuote(mount.source.path)) \"$R\"\(shellQuote(mount.point))\n"
        }
        let user = loginUser == "root"
            ? ""
            : "\(loginUser):x:1000:1000::/home/\(loginUser):/bin/sh\\n"
        s += """
            if [ -n "$pw" ]; then hash=$(printf '%s\\n' "$pw" | openssl passwd -6 -stdin); else hash='*'; fi
            pw=
            (
                umask 077
                if [ \(shellQuote(loginUser)) = root ]; then
                    printf 'root:%s:19000:0:99999:7:::\\n' "$hash" > "$J/run/ecs-sim/shadow"
                else
                    printf 'root:*:19000:0:99999:7:::\\n%s:%s:19000:0:99999:7:::\\n' \(shellQuote(loginUser)) "$hash" > "$J/run/ecs-sim/shadow"
                fi
            )
            hash=
            printf 'root:x:0:0:root:/root:/bin/sh\\n\(user)sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\\n' > "$J/run/ecs-sim/passwd"
            mv "$J/run/ecs-sim/shadow" "$J/etc/shadow"
            mv "$J/run/ecs-sim/passwd" "$J/etc/passwd"
            mount -t tmpfs -o mode=755,size=1m,nosuid,nodev,noexec ecs-sim-log "$J/var/log"
            name=$(head -n 1 "$R/etc/hostname" 2>/dev/null || true)
            case $name in ""|localhost|localhost.*) name=\(shellQuote(Self.hostname(for: id))) ;; esac
            hostname "$name"
            cd "$J"
            pivot_root . oldroot
            cd /
            umount -l /oldroot
            rmdir /oldroot
            mount -o remount,ro /
            R=/run/ecs-sim/root
            # Stay pid 1: busybox's reboot, halt and poweroff signal pid 1 (TERM, USR1, USR2);
            # record the request where the emulator looks, then end, which ends the instance.
            power () {
                mkdir -p "$R/.ecs-sim"
                printf '%s %s\\n' "$1" "$(date +%s)" > "$R/.ecs-sim/poweroff"
                exit 0
            }
            trap 'power reboot' TERM
            trap 'power halt' USR1
            trap 'power poweroff' USR2
            setpriv --bounding-set \(Self.sessionCapabilities) /usr/sbin/sshd -D -e -f /ecs-sim/run/sshd_config </dev/null &
            sshd=$!
            set +e
            while :; do
                wait "$sshd"
                status=$?
                kill -0 "$sshd" 2>/dev/null || exit "$status"
            done

            """
        return s
    }

    /// The host name an instance gets when its disk names none, shaped like Alibaba Cloud's
    /// (iZ<id>Z).
    static func hostname(for id: String) -> String {
        let tail = id.hasPrefix("i-") ? String(id.dropFirst(2)) : id
        return "iZ" + tail.filter { $0.isLetter || $0.isNumber } + "Z"
    }

    // MARK: - helpers

    private func isDirectory(_ url: URL) -> Bool {
        var info = stat()
        return stat(url.path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// True for a dotted IPv4 address inside 127.0.0.0/8.
    static func isLoopback(_ address: String) -> Bool {
        var addr = in_addr()
        guard inet_pton(AF_INET, address, &addr) == 1 else { return false }
        return address.split(separator: ".").first == "127"
    }

    /// Whether a TCP connection to address:port is accepted right now.
    static func accepts(address: String, port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, address, &addr.sin_addr)
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    static func lastLine(of file: URL) -> String {
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { return "no log" }
        return text.split(separator: "\n").last.map(String.init) ?? "no output"
    }
}

/// One launched instance host: the unshare process and whether it has ended.
final class InstanceHost: @unchecked Sendable {
    let pid: pid_t
    var address: String?
    var port: Int?
    /// Starts the instance again with the same settings (after a guest reboot).
    var restart: (() throws -> Void)?
    /// Runs on the reaper thread once the launcher has ended.
    var onExit: ((InstanceHost, Int32) -> Void)?
    private let flags = Lock()
    private var rebootingValue = false
    /// True between a guest reboot ending sshd and its restart.
    var rebooting: Bool {
        get { flags.lock(); defer { flags.unlock() }; return rebootingValue }
        set { flags.lock(); rebootingValue = newValue; flags.unlock() }
    }
    private let condition = Condition()
    private var exitStatusValue: Int32?

    /// How the launcher ended (128+n after signal n), nil while it runs.
    var exitStatus: Int32? {
        condition.lock()
        defer { condition.unlock() }
        return exitStatusValue
    }

    init(pid: pid_t) { self.pid = pid }

    var hasExited: Bool {
        condition.lock()
        defer { condition.unlock() }
        return exitStatusValue != nil
    }

    /// Waits for the launcher on a thread of its own, then marks it ended and calls `onExit`.
    func startReaper() {
        startThread { [self] in
            let status = HostProcess.waitForExit(pid)
            onExit?(self, status)  // first, so a reboot never shows as "not running"
            markExited(status)
        }
    }

    func markExited(_ status: Int32) {
        condition.lock()
        exitStatusValue = status
        condition.broadcast()
        condition.unlock()
    }

    /// Waits up to `seconds` for the process to end; true when it has.
    func waitExit(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        condition.lock()
        defer { condition.unlock() }
        while exitStatusValue == nil {
            if !condition.wait(seconds: deadline.timeIntervalSinceNow) { break }
        }
        return exitStatusValue != nil
    }
}
