import AlicloudKit
import Foundation
import Testing

@testable import EcsSimKit

#if canImport(Glibc)
import Glibc
#endif

/// A throwaway `<state>/host` plus an SSH client identity, removed at the end.
final class HostFixture {
    let dir: URL
    let store: DiskStore
    let hosts: SSHHosts
    let key: URL
    let publicKey: String
    let knownHosts: URL
    let address: String

    init() throws {
        dir = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("host-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        store = try DiskStore(root: dir.appendingPathComponent("host"))
        hosts = try SSHHosts(root: dir.appendingPathComponent("host"))
        key = dir.appendingPathComponent("id_ed25519")
        knownHosts = dir.appendingPathComponent("known_hosts")
        _ = try HostProcess.check(["/usr/bin/ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key.path], context: "test key")
        publicKey = try String(contentsOf: key.appendingPathExtension("pub"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        address = "127.\(Int.random(in: 200...250)).\(Int.random(in: 0...255)).\(Int.random(in: 2...254))"
    }

    deinit {
        hosts.stopAll()
        try? FileManager.default.removeItem(at: dir)
    }

    /// Runs ssh to root@address with the fixture's key; returns exit status and merged output.
    func ssh(_ command: String, port: Int = 22, user: String = "root", extra: [String] = [],
             environment: [String: String]? = nil, strictHostKey: Bool = false) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        process.arguments = ["-F", "/dev/null", "-i", key.path, "-o", "IdentitiesOnly=yes",
                             "-o", "UserKnownHostsFile=\(knownHosts.path)",
                             "-o", "StrictHostKeyChecking=\(strictHostKey ? "yes" : "accept-new")",
                             "-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR", "-p", "\(port)"]
            + (environment == nil ? ["-o", "BatchMode=yes"] : []) + extra + ["\(user)@\(address)", command]
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        try? pipe.fileHandleForReading.close()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A port in 20000-29999 that nothing holds on the fixture's address. A fixed one (2222)
    /// failed when another process held it on every address (issue 15).
    func freePort() -> Int {
        while true {
            let port = Int.random(in: 20000...29999)
            if !Engine.portInUse(address, port: port) && !SSHHosts.accepts(address: address, port: port) { return port }
        }
    }

    func start(_ id: String, disk: String, port: Int = 22, dataDisks: [(diskId: String, mountPoint: String)] = [],
               password: String? = nil, refuseFor: Double = 0) throws {
        try hosts.start(instance: id, address: address, port: port, rootDisk: store.diskPath(id: disk),
                        dataDisks: dataDisks, loginUser: "root", authorizedKeys: [publicKey],
                        password: password, refuseFor: refuseFor)
    }

    func file(_ disk: String, _ path: String) -> String? {
        try? String(contentsOf: store.diskPath(id: disk).appendingPathComponent(path), encoding: .utf8)
    }
}

/// Error texts collected from concurrent work.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ item: String) { lock.lock(); items.append(item); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

/// Pids whose command line contains `needle` (to check that nothing is left behind).
func processes(containing needle: String) -> [String] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { Int($0) != nil && Int32($0) != getpid() }.filter {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: "/proc/\($0)/cmdline")) else { return false }
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\0", with: " ").contains(needle)
    }
}

@Suite("Host: disks")
struct HostDiskTests {
    @Test func imageDisksCarryTheirFamilysUserland() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-centos", source: .image(family: "centos"))
        try f.store.createDisk(id: "d-ubuntu", source: .image(family: "ubuntu"))
        #expect(f.file("d-centos", "etc/os-release")?.contains("ID=\"centos\"") == true)
        #expect(f.file("d-ubuntu", "etc/os-release")?.contains("ID=ubuntu") == true)
        #expect(FileManager.default.isExecutableFile(atPath: f.store.diskPath(id: "d-centos").path + "/usr/bin/yum"))
        #expect(!FileManager.default.fileExists(atPath: f.store.diskPath(id: "d-centos").path + "/usr/bin/apt-get"))
        #expect(FileManager.default.isExecutableFile(atPath: f.store.diskPath(id: "d-ubuntu").path + "/usr/bin/apt-get"))
        #expect(FileManager.default.isExecutableFile(atPath: f.store.diskPath(id: "d-ubuntu").path + "/bin/sh"))
        #expect(throws: ToolError.self) { try f.store.createDisk(id: "d-centos", source: .blank) }
        #expect(throws: ToolError.self) { try f.store.createDisk(id: "d-x", source: .image(family: "plan9")) }
        #expect(throws: ToolError.self) { try f.store.createDisk(id: "../escape", source: .blank) }
        #expect(throws: ToolError.self) { try f.store.createDisk(id: "d-y", source: .snapshot(id: "s-missing")) }
    }

    @Test func snapshotsAreCopiesAndDisksFromThemSeeTheWrites() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-1", source: .image(family: "centos"))
        let marker = f.store.diskPath(id: "d-1").appendingPathComponent("root/provisioned")
        try Data("before\n".utf8).write(to: marker)
        let size = try f.store.snapshot(disk: "d-1", to: "s-1")
        #expect(size > 1_000_000)  // busybox alone is about 2 MB
        try Data("after\n".utf8).write(to: marker)  // a later write must not reach the snapshot
        try f.store.createDisk(id: "d-2", source: .snapshot(id: "s-1"))
        #expect(f.file("d-2", "root/provisioned") == "before\n")
        #expect(f.file("d-2", "etc/os-release")?.contains("CentOS") == true)
        #expect(try f.store.copySnapshot(id: "s-1", to: "s-copy") == size)
        #expect(throws: ToolError.self) { try f.store.copySnapshot(id: "s-1", to: "s-copy") }
        try f.store.deleteSnapshot(id: "s-1")
        try f.store.deleteSnapshot(id: "s-1")
        try f.store.createDisk(id: "d-3", source: .snapshot(id: "s-copy"))
        #expect(f.file("d-3", "root/provisioned") == "before\n")
        try f.store.deleteDisk(id: "d-2")
        try f.store.deleteDisk(id: "d-2")
        #expect(!FileManager.default.fileExists(atPath: f.store.snapshotPath(id: "s-1").path))
        #expect(!FileManager.default.fileExists(atPath: f.store.diskPath(id: "d-2").path))
        #expect(f.file("d-1", "root/provisioned") == "after\n")
    }
}

@Suite("Host: sshd instances", .serialized, .enabled(if: SSHHosts.isSupported, "needs root: sshd hosts use namespaces and chroot"))
struct HostSSHTests {
    @Test func keyLoginRunsTheSeedProvisionerConfinedToTheDisk() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        try f.start("i-1", disk: "d-sys")
        #expect(f.hosts.isRunning(instance: "i-1"))

        let run = try f.ssh("sleep 1 && yum install redis.x86_64 -y && cat /etc/os-release")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("Complete!"))
        #expect(run.output.contains("ID=\"centos\""))
        #expect(f.file("d-sys", "var/lib/yum/installed/redis.x86_64")?.contains("name=redis") == true)
        #expect(FileManager.default.isExecutableFile(atPath: f.store.diskPath(id: "d-sys").path + "/usr/bin/redis-server"))

        // Confined: the host's files are out of sight, and writes land on the disk.
        let escape = try f.ssh("ls /work")
        #expect(escape.status != 0)
        let write = try f.ssh("echo hello > /tmp/from-guest && id -u && cat /proc/1/cmdline | tr '\\0' ' '")
        #expect(write.status == 0, "\(write.output)")
        #expect(write.output.hasPrefix("0\n"))
        #expect(f.file("d-sys", "tmp/from-guest") == "hello\n")
        let root = try f.ssh("ls /")
        #expect(root.status == 0 && !root.output.contains("work") && root.output.contains("etc"), "\(root.output)")

        // Without -y, yum asks and a closed stdin answers no.
        let asked = try f.ssh("yum install nginx")
        #expect(asked.status == 1)
        #expect(asked.output.contains("Exiting on user command"))

        // The remote exit status passes through.
        #expect(try f.ssh("exit 7").status == 7)

        // Stop closes the port and ends every session; the host key survives a restart.
        f.hosts.stop(instance: "i-1")
        #expect(!f.hosts.isRunning(instance: "i-1"))
        #expect(!SSHHosts.accepts(address: f.address, port: 22))
        #expect(processes(containing: "\(f.dir.path)/host/run/i-1/").isEmpty)
        try f.start("i-1", disk: "d-sys")
        let again = try f.ssh("cat /var/lib/yum/installed/redis.x86_64", strictHostKey: true)
        #expect(again.status == 0, "\(again.output)")
        f.hosts.stop(instance: "i-1")
    }

    @Test func guestRootCannotReachTheHost() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        try f.start("i-box", disk: "d-sys")
        let hostName = ProcessInfo.processInfo.hostName
        // Each line: a check and whether the guest got its way ("ok") or not ("denied").
        let probe = """
            t () { if eval "$2" >/dev/null 2>&1; then echo "$1 ok"; else echo "$1 denied"; fi; }
            t mknod 'mknod /tmp/blk b 7 0'
            t mount 'mount -t tmpfs x /mnt'
            t sethostname 'hostname evil-guest'
            t sysctl 'echo 3 > /proc/sys/vm/drop_caches'
            t clock 'date -s 2001-01-01; [ "$(date +%Y)" = 2001 ]'
            t link 'ip link set lo down'
            t hostroot 'for p in /proc/[0-9]*; do ls "$p/root/"; done 2>/dev/null | grep -qx work'
            # sshd's own root (seen through /proc) is what a chroot escape would reach.
            t jailseen 'ls /proc/[0-9]*/root/ecs-sim/run/sshd_config'
            t jailwrite '(for p in /proc/[0-9]*; do [ -d "$p/root/ecs-sim" ] || continue; for d in etc usr ecs-sim/run run/sshd .; do touch "$p/root/$d/ecs-sim-probe" && exit 0; done; done; exit 1)'
            t hostsecret 'cat /proc/[0-9]*/root/etc/ssh/ssh_host_*_key'
            echo "name $(hostname)"
            """
        let run = try f.ssh(probe)
        #expect(run.output.contains("jailseen ok\n"), "\(run.output)")
        for check in ["mknod", "mount", "sethostname", "sysctl", "clock", "link", "hostroot", "jailwrite", "hostsecret"] {
            #expect(run.output.contains("\(check) denied\n"), "\(check): \(run.output)")
        }
        #expect(run.output.contains("name iZboxZ\n"), "\(run.output)")
        #expect(ProcessInfo.processInfo.hostName == hostName)
        #expect(!FileManager.default.fileExists(atPath: "/etc/ecs-sim-probe"))
        #expect(!FileManager.default.fileExists(atPath: "/usr/ecs-sim-probe"))
    }

    @Test func instancesStartAndRunConcurrently() throws {
        let f = try HostFixture()
        let ids = (1...4).map { "i-c\($0)" }
        for id in ids { try f.store.createDisk(id: "d-\(id)", source: .image(family: id.hasSuffix("1") ? "ubuntu" : "centos")) }
        let failures = Failures()
        let hosts = f.hosts, address = f.address, key = f.publicKey
        let disks = ids.map { f.store.diskPath(id: "d-\($0)") }
        var distinct: [Int] = []
        while distinct.count < ids.count { let p = f.freePort(); if !distinct.contains(p) { distinct.append(p) } }
        let ports = distinct
        DispatchQueue.concurrentPerform(iterations: ids.count) { n in
            do {
                try hosts.start(instance: ids[n], address: address, port: ports[n], rootDisk: disks[n],
                                  dataDisks: [], loginUser: "root", authorizedKeys: [key], password: nil, refuseFor: 0)
            } catch { failures.add("\(ids[n]): \(error)") }
        }
        #expect(failures.all.isEmpty, "\(failures.all)")
        for (n, id) in ids.enumerated() {
            let run = try f.ssh("cat /etc/hostname /etc/os-release | grep -c . && yum --version 2>/dev/null; echo \(id) > /root/me", port: ports[n])
            #expect(run.status == 0, "\(id): \(run.output)")
            #expect(f.file("d-\(id)", "root/me") == "\(id)\n")
        }
        f.hosts.stopAll()
        for id in ids { #expect(!f.hosts.isRunning(instance: id)) }
        #expect(processes(containing: f.dir.path).isEmpty)
    }

    @Test func stopEndsRunningSessionsAndLeavesNoProcess() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "ubuntu"))
        try f.start("i-2", disk: "d-sys")
        // A command line no concurrent run of this test has (processes() sees the whole machine).
        let nap = "sleep 4242\(Int.random(in: 100_000...999_999))"
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/ssh")
        client.arguments = ["-F", "/dev/null", "-i", f.key.path, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                            "-o", "UserKnownHostsFile=\(f.knownHosts.path)", "-o", "StrictHostKeyChecking=accept-new",
                            "root@\(f.address)", nap]
        client.standardInput = FileHandle.nullDevice
        client.standardOutput = FileHandle.nullDevice
        client.standardError = FileHandle.nullDevice
        try client.run()
        var waited = 0
        while processes(containing: nap).filter({ !$0.isEmpty }).count < 2 && waited < 500 {
            usleep(10000); waited += 1
        }
        #expect(processes(containing: nap).count >= 2)  // the client and the session
        let started = Date()
        f.hosts.stop(instance: "i-2")
        // The session would sleep for days: stop ends it instead of waiting. The bound only
        // tells the two apart; a loaded machine may take seconds to tear a namespace down.
        #expect(Date().timeIntervalSince(started) < 20)
        client.waitUntilExit()
        #expect(client.terminationStatus == 255)
        #expect(processes(containing: nap).isEmpty)
        #expect(processes(containing: f.dir.path).isEmpty)
    }
}

@Suite("Host: sshd faults and options", .serialized, .enabled(if: SSHHosts.isSupported, "needs root: sshd hosts use namespaces and chroot"))
struct HostSSHOptionTests {
    /// ssh with password authentication only, the password given by an askpass script.
    func passwordLogin(_ f: HostFixture, password: String) throws -> (status: Int32, output: String) {
        let secret = f.dir.appendingPathComponent("pw")
        try Data((password + "\n").utf8).write(to: secret)
        let askpass = f.dir.appendingPathComponent("askpass")
        try Data("#!/bin/sh\ncat \(shellQuote(secret.path))\n".utf8).write(to: askpass)
        chmod(askpass.path, 0o700)
        return try f.ssh("echo logged-in-as-$(id -un)", extra: [
            "-o", "PubkeyAuthentication=no", "-o", "PreferredAuthentications=password",
            "-o", "NumberOfPasswordPrompts=1",
        ], environment: ["SSH_ASKPASS": askpass.path, "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0",
                         "PATH": "/usr/bin:/bin"])
    }

    @Test func passwordLoginAcceptsOnlyTheInstancePassword() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        try f.start("i-pw", disk: "d-sys", password: "Sim-Passw0rd!'x")
        let good = try passwordLogin(f, password: "Sim-Passw0rd!'x")
        #expect(good.status == 0, "\(good.output)")
        #expect(good.output.contains("logged-in-as-root"))
        let bad = try passwordLogin(f, password: "wrong")
        #expect(bad.status == 255)
        // The password is in no file of the state dir, and never in a process's argv.
        let grep = try HostProcess.run(["/bin/grep", "-rlF", "Sim-Passw0rd", f.dir.appendingPathComponent("host").path])
        #expect(grep.status == 1, "\(String(decoding: grep.stdout, as: UTF8.self))")
        #expect(processes(containing: "Sim-Passw0rd").isEmpty)
        f.hosts.stop(instance: "i-pw")

        // Without a password, password login is refused and keys still work.
        try f.start("i-pw", disk: "d-sys", password: nil)
        #expect(try passwordLogin(f, password: "Sim-Passw0rd!'x").status == 255)
        #expect(try f.ssh("true").status == 0)
    }

    @Test func aNonRootLoginUserGetsAnAccountAndOnlyItLogsIn() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "ubuntu"))
        try f.hosts.start(instance: "i-user", address: f.address, port: 22, rootDisk: f.store.diskPath(id: "d-sys"),
                          dataDisks: [], loginUser: "ecs-user", authorizedKeys: [f.publicKey], password: nil, refuseFor: 0)
        let run = try f.ssh("id -u; whoami; pwd; touch ~/mine && ls -ln ~/mine | awk '{print $3}'", user: "ecs-user")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output == "1000\necs-user\n/home/ecs-user\n1000\n")
        #expect(try f.ssh("true").status == 255)  // root is not the login user here
        // The key is in the user's authorized_keys on the disk, the user's own, and root's.
        #expect(f.file("d-sys", "home/ecs-user/.ssh/authorized_keys") == f.publicKey + "\n")
        #expect(f.file("d-sys", "root/.ssh/authorized_keys") == f.publicKey + "\n")
        var info = stat()
        #expect(lstat(f.store.diskPath(id: "d-sys").path + "/home/ecs-user/.ssh/authorized_keys", &info) == 0 && info.st_uid == 1000)
    }

    /// The bound key pair's key is put onto the disk as the platform does, once per instance;
    /// sshd checks the disk's file, so what the guest does to it counts.
    @Test func theBoundKeyLivesOnTheDiskOncePerInstance() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        let disk = f.store.diskPath(id: "d-sys").path
        let keys = "root/.ssh/authorized_keys"
        #expect(f.file("d-sys", keys) == nil)
        try f.start("i-k", disk: "d-sys")
        #expect(f.file("d-sys", keys) == f.publicKey + "\n")
        var info = stat()
        #expect(lstat(disk + "/root/.ssh", &info) == 0 && info.st_mode & 0o7777 == 0o700 && info.st_uid == 0)
        #expect(lstat(disk + "/" + keys, &info) == 0 && info.st_mode & 0o7777 == 0o600)
        // A line the guest adds stays; a restart adds no second copy of the key.
        #expect(try f.ssh("echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuestOwnKeyGuestOwnKeyGuestOwnKeyGue guest' >> ~/.ssh/authorized_keys").status == 0)
        f.hosts.stop(instance: "i-k")
        try f.start("i-k", disk: "d-sys")
        let both = f.publicKey + "\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuestOwnKeyGuestOwnKeyGuestOwnKeyGue guest\n"
        #expect(f.file("d-sys", keys) == both)
        // Unbound (DetachKeyPair): its line goes, the guest's stays, and the key no longer logs in.
        try f.hosts.start(instance: "i-k", address: f.address, port: 22, rootDisk: f.store.diskPath(id: "d-sys"),
                          dataDisks: [], loginUser: "root", authorizedKeys: [], password: nil, refuseFor: 0)
        #expect(f.file("d-sys", keys) == "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuestOwnKeyGuestOwnKeyGuestOwnKeyGue guest\n")
        #expect(try f.ssh("true").status == 255)
        // Bound again: back at the end; removed by the guest: not put back on the next start.
        try f.start("i-k", disk: "d-sys")
        #expect(try f.ssh("sed -i '/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGuest/d' ~/.ssh/authorized_keys").status == 0)
        #expect(f.file("d-sys", keys) == f.publicKey + "\n")
        #expect(try f.ssh("sed -i '$d' ~/.ssh/authorized_keys").status == 0)
        f.hosts.stop(instance: "i-k")
        try f.start("i-k", disk: "d-sys")
        #expect(f.file("d-sys", keys) == "")
        #expect(try f.ssh("true").status == 255)
        // Another instance of the disk (an image's) gets the key again.
        f.hosts.stop(instance: "i-k")
        try f.start("i-k2", disk: "d-sys")
        #expect(f.file("d-sys", keys) == f.publicKey + "\n")
        try? FileManager.default.removeItem(at: f.knownHosts)  // another instance: its own host key
        #expect(try f.ssh("true").status == 0)
    }

    /// A guest's symbolic link cannot make the host write the key outside the disk.
    @Test func theKeyIsNeverWrittenThroughALink() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        let outside = f.dir.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let disk = f.store.diskPath(id: "d-sys").path
        #expect(symlink(outside.path, disk + "/root/.ssh") == 0)
        #expect(throws: ToolError.self) { try f.start("i-link", disk: "d-sys") }
        unlink(disk + "/root/.ssh")
        mkdir(disk + "/root/.ssh", 0o700)
        #expect(symlink(outside.appendingPathComponent("keys").path, disk + "/root/.ssh/authorized_keys") == 0)
        #expect(throws: ToolError.self) { try f.start("i-link", disk: "d-sys") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(!f.hosts.isRunning(instance: "i-link"))
    }

    @Test func refuseForKeepsThePortClosedThenOpensIt() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        // A long refusal: start returns without waiting it out, the port stays closed, and
        // stopping is prompt. Bounds far below the 60 s, so a loaded machine cannot break them.
        var started = Date()
        try f.start("i-late", disk: "d-sys", refuseFor: 60)
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(f.hosts.isRunning(instance: "i-late"))
        #expect(!SSHHosts.accepts(address: f.address, port: 22))
        usleep(700_000)
        #expect(!SSHHosts.accepts(address: f.address, port: 22))
        let stopping = Date()
        f.hosts.stop(instance: "i-late")
        #expect(Date().timeIntervalSince(stopping) < 20)
        #expect(processes(containing: "\(f.dir.path)/host/run/i-late/").isEmpty)
        // A short one: the port opens, and not before the refusal is over.
        started = Date()
        try f.start("i-late", disk: "d-sys", refuseFor: 1.5)
        var opened: Double?
        while Date().timeIntervalSince(started) < 30 {
            if SSHHosts.accepts(address: f.address, port: 22) { opened = Date().timeIntervalSince(started); break }
            usleep(20_000)
        }
        #expect(opened.map { $0 >= 1.5 } == true, "opened after \(String(describing: opened))")
        #expect(try f.ssh("true").status == 0)
    }

    @Test func dataDisksAreMountedAndStayOutOfTheSystemDisk() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "ubuntu"))
        try f.store.createDisk(id: "d-data", source: .blank)
        try f.start("i-data", disk: "d-sys", dataDisks: [(diskId: "d-data", mountPoint: "/data"),
                                                          (diskId: "d-data", mountPoint: "")])
        let run = try f.ssh("echo payload > /data/file && ls /mnt/d-data && apt-get install -y nginx >/dev/null && systemctl enable --now nginx && systemctl is-active nginx")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("file\n"))
        #expect(run.output.contains("active"))
        #expect(try String(contentsOf: f.store.diskPath(id: "d-data").appendingPathComponent("file"), encoding: .utf8) == "payload\n")
        #expect(f.file("d-sys", "data/file") == nil)
        #expect(f.file("d-sys", "var/lib/dpkg/status")?.contains("Package: nginx") == true)
        _ = try f.store.snapshot(disk: "d-sys", to: "s-sys")
        #expect(!FileManager.default.fileExists(atPath: f.store.snapshotPath(id: "s-sys").path + "/data/file"))
        #expect(throws: ToolError.self) {
            try f.start("i-data", disk: "d-sys", dataDisks: [(diskId: "d-data", mountPoint: "relative")])
        }
        #expect(throws: ToolError.self) {
            try f.start("i-data", disk: "d-sys", dataDisks: [(diskId: "d-nope", mountPoint: "")])
        }
    }

    @Test(arguments: ["shutdown -h now", "poweroff", "systemctl poweroff", "poweroff -f"])
    func guestPoweroffRecordsTheRequestAndEndsTheHost(command: String) throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        try f.start("i-off", disk: "d-sys")
        let run = try f.ssh(command)  // the connection may drop before the status arrives
        #expect(run.status == 0 || run.status == 255, "\(run.output)")
        var waited = 0.0
        while f.hosts.isRunning(instance: "i-off") && waited < 5 { usleep(20_000); waited += 0.02 }
        #expect(!f.hosts.isRunning(instance: "i-off"))
        #expect(f.file("d-sys", ".ecs-sim/poweroff")?.hasPrefix("poweroff ") == true)
        #expect(!SSHHosts.accepts(address: f.address, port: 22))
        #expect(processes(containing: "\(f.dir.path)/host/run/i-off/").isEmpty)
        // Starting again clears the request, which belonged to the previous run.
        try f.start("i-off", disk: "d-sys")
        #expect(f.file("d-sys", ".ecs-sim/poweroff") == nil)
        #expect(f.hosts.isRunning(instance: "i-off"))
    }

    @Test func guestRebootBringsTheHostBack() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "ubuntu"))
        try f.start("i-rb", disk: "d-sys")
        _ = try f.ssh("echo kept > /root/kept && reboot")  // may lose the connection
        var waited = 0.0
        while SSHHosts.accepts(address: f.address, port: 22) && waited < 5 { usleep(20_000); waited += 0.02 }
        #expect(!SSHHosts.accepts(address: f.address, port: 22))  // down for the reboot
        #expect(f.hosts.isRunning(instance: "i-rb"))
        waited = 0
        while !SSHHosts.accepts(address: f.address, port: 22) && waited < 10 { usleep(50_000); waited += 0.05 }
        let back = try f.ssh("cat /root/kept", strictHostKey: true)
        #expect(back.status == 0 && back.output == "kept\n", "\(back.output)")
        #expect(f.file("d-sys", ".ecs-sim/poweroff") == nil)
        f.hosts.stop(instance: "i-rb")
        #expect(processes(containing: "\(f.dir.path)/host/run/i-rb/").isEmpty)
    }

    @Test func aRestartedEmulatorReplacesItsPredecessorsHost() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        let port = f.freePort()
        try f.start("i-old", disk: "d-sys", port: port)
        // A second SSHHosts on the same state dir (an emulator restarted after a crash).
        let successor = try SSHHosts(root: f.dir.appendingPathComponent("host"))
        try successor.start(instance: "i-old", address: f.address, port: port, rootDisk: f.store.diskPath(id: "d-sys"),
                            dataDisks: [], loginUser: "root", authorizedKeys: [f.publicKey], password: nil, refuseFor: 0)
        #expect(try f.ssh("true", port: port).status == 0)
        // One launcher (unshare, whose child runs the same script) for the instance, not two.
        #expect(processes(containing: "private /bin/sh \(f.dir.path)/host/run/i-old/launch.sh").count == 1)
        successor.stopAll()
        #expect(processes(containing: "\(f.dir.path)/host/run/i-old/").isEmpty)
        // Another process on the address: start fails and says so.
        let taken = f.freePort()
        try f.start("i-a", disk: "d-sys", port: taken)
        #expect(throws: ToolError.self) {
            try successor.start(instance: "i-b", address: f.address, port: taken, rootDisk: f.store.diskPath(id: "d-sys"),
                                dataDisks: [], loginUser: "root", authorizedKeys: [], password: nil, refuseFor: 0)
        }
    }

    @Test func fileTransfersWorkWithSftpScpAndStreams() throws {
        let f = try HostFixture()
        try f.store.createDisk(id: "d-sys", source: .image(family: "centos"))
        try f.start("i-xfer", disk: "d-sys")
        let local = f.dir.appendingPathComponent("script.sh")
        try Data("#!/bin/sh\necho uploaded\n".utf8).write(to: local)
        for (legacy, name) in [(false, "via-sftp.sh"), (true, "via-scp.sh")] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/scp")
            process.arguments = ["-F", "/dev/null", "-i", f.key.path, "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "LogLevel=ERROR",
                                 "-o", "UserKnownHostsFile=\(f.knownHosts.path)", "-o", "StrictHostKeyChecking=accept-new"]
                + (legacy ? ["-O"] : []) + [local.path, "root@\(f.address):/tmp/\(name)"]
            process.standardInput = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "scp \(legacy ? "-O" : "")")
            #expect(f.file("d-sys", "tmp/\(name)") == "#!/bin/sh\necho uploaded\n")
        }
        let run = try f.ssh("chmod +x /tmp/via-scp.sh && /tmp/via-scp.sh && tar -cf - -C /etc os-release | tar -tf -")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output == "uploaded\nos-release\n")
        let tty = try f.ssh("tty && bash -c 'echo in-bash' && ls /dev/pts | tr '\\n' ' '", extra: ["-tt"])
        #expect(tty.output.contains("/dev/pts/0"), "\(tty.output)")
        #expect(tty.output.contains("0 ptmx "), "the instance's own terminals only: \(tty.output)")
        #expect(tty.output.contains("in-bash"))
    }
}
