import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// The root file system of a public image family, built once per store from Debian's
/// busybox-static and the guest scripts, then copied into every disk made from that image.
struct ImageUserland {
    /// Bump when the tree changes, so stores rebuild their templates.
    static let version = "7"
    static let families = ["centos", "ubuntu", "windows"]

    /// The tree's name: a base family (`centos`, `ubuntu`, `windows`), optionally with the
    /// release its /etc/os-release names, `base:ID:VERSION_ID` (`ubuntu:debian:12`).
    let family: String

    /// centos, ubuntu or windows.
    var base: String { String(family.split(separator: ":").first ?? "") }
    /// os-release's ID and VERSION_ID, when the name carries them.
    var release: (id: String, version: String)? {
        let parts = family.split(separator: ":").map(String.init)
        return parts.count == 3 ? (parts[1], parts[2]) : nil
    }

    /// Whether `family` names a tree this type builds.
    static func isKnown(_ family: String) -> Bool {
        let tree = ImageUserland(family: family)
        let parts = family.split(separator: ":", omittingEmptySubsequences: false)
        return families.contains(tree.base) && (parts.count == 1 || (parts.count == 3 && tree.base != "windows"
            && parts.dropFirst().allSatisfy { !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" } }))
    }

    /// Builds the tree for `family` into `dir` (which must not exist yet).
    func build(into dir: URL) throws {
        try makeDirectory(dir, mode: 0o755)
        if base == "windows" {
            for sub in ["Windows/System32", "Program Files", "Users/Administrator", "Temp"] {
                try makeDirectory(dir.appendingPathComponent(sub), mode: 0o755)
            }
            try markOS(dir)
            return
        }
        try buildLinux(dir)
    }

    private func buildLinux(_ root: URL) throws {
        let fm = FileManager.default
        func path(_ p: String) -> URL { root.appendingPathComponent(p) }
        for (dir, mode) in [
            ("usr/bin", 0o755), ("usr/lib/systemd/system", 0o755), ("usr/lib64", 0o755),
            ("usr/local/bin", 0o755), ("usr/local/sbin", 0o755),
            ("etc/ssh", 0o755), ("etc/systemd/system/multi-user.target.wants", 0o755),
            ("root", 0o700), ("home", 0o755), ("tmp", 0o1777), ("var/tmp", 0o1777), ("var/log", 0o755),
            ("var/lib/ecs-sim/systemd", 0o755), ("mnt", 0o755), ("opt", 0o755), ("srv", 0o755),
            ("dev", 0o755), ("proc", 0o555), ("sys", 0o555), ("run", 0o755), (".ecs-sim", 0o755),
        ] as [(String, mode_t)] {
            try makeDirectory(path(dir), mode: mode)
        }
        // Merged /usr, as both CentOS 7 and current Ubuntu have it.
        for (link, target) in [("bin", "usr/bin"), ("sbin", "usr/sbin"), ("lib", "usr/lib"),
                               ("lib64", "usr/lib64"), ("usr/sbin", "bin"), ("var/run", "../run")] {
            try fm.createSymbolicLink(atPath: path(link).path, withDestinationPath: target)
        }

        let busybox = try Self.hostBusybox()
        try copyHostFile(busybox, to: path("usr/bin/busybox"))
        let applets = try Self.busyboxApplets(busybox)
        // Debian's busybox ash runs its applets before searching PATH, so scripts can only add
        // commands busybox lacks; poweroff, halt and reboot stay busybox's (see SSHHosts).
        var scripts: [String: String] = [
            "sudo": GuestScripts.sudo, "bash": GuestScripts.bash, "hostnamectl": GuestScripts.hostnamectl,
            "cloud-init": GuestScripts.cloudInit, "systemctl": GuestScripts.systemctl,
            "shutdown": GuestScripts.shutdown, "python3": GuestScripts.python3,
        ]
        if base == "centos" {
            scripts["yum"] = GuestScripts.yum
        } else {
            scripts["apt-get"] = GuestScripts.aptGet
            scripts["apt"] = GuestScripts.aptGet
        }
        for applet in applets where applet != "busybox" && scripts[applet] == nil {
            try fm.createSymbolicLink(atPath: path("usr/bin/\(applet)").path, withDestinationPath: "busybox")
        }
        if base == "centos" {
            try fm.createSymbolicLink(atPath: path("usr/bin/dnf").path, withDestinationPath: "yum")
        }
        for (name, text) in scripts {
            try writeFile(path("usr/bin/\(name)"), text, mode: 0o755)
        }
        try copyScp(into: root)

        var etc: [String: String] = [
            "passwd": "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n",
            "group": "root:x:0:\nwheel:x:10:\nnogroup:x:65534:\n",
            "shadow": "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n",
            "hostname": "localhost\n",
            "hosts": "127.0.0.1 localhost localhost.localdomain\n::1 localhost\n",
            "resolv.conf": "options timeout:2 attempts:1\nnameserver 100.100.2.136\n",
            "shells": "/bin/sh\n/bin/bash\n",
            "profile": GuestScripts.profile,
            "ssh/sshd_config": "# The instance's sshd is run by ecs-sim; this file is not read.\nPermitRootLogin yes\n",
            "os-release": release.map { Self.osRelease(id: $0.id, version: $0.version, likeRHEL: base == "centos") } ?? osRelease,
        ]
        if base == "centos" {
            etc["centos-release"] = release.map { "\(Self.releaseName($0.id)) release \($0.version)\n" } ?? "CentOS Linux release 7.3.1611 (Core)\n"
            etc["system-release"] = etc["centos-release"]
            etc["redhat-release"] = etc["centos-release"]
            etc["yum.repos.d/CentOS-Base.repo"] = "[base]\nname=CentOS-7 - Base - mirrors.cloud.aliyuncs.com\nbaseurl=http://mirrors.cloud.aliyuncs.com/centos/7/os/x86_64/\nenabled=1\n"
            try makeDirectory(path("var/lib/yum/installed"), mode: 0o755)
            try writeFile(path("usr/lib/systemd/system/sshd.service"), "[Unit]\nDescription=OpenSSH server daemon\n", mode: 0o644)
        } else {
            etc["debian_version"] = "bookworm/sid\n"
            if let r = release, r.id != "ubuntu" {
                etc["debian_version"] = r.version + "\n"
            } else {
                let v = release?.version ?? "22.04"
                etc["lsb-release"] = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=\(v)\nDISTRIB_DESCRIPTION=\"Ubuntu \(v) LTS\"\n"
            }
            etc["apt/sources.list"] = "deb http://mirrors.cloud.aliyuncs.com/ubuntu/ jammy main restricted universe multiverse\n"
            try makeDirectory(path("var/lib/dpkg"), mode: 0o755)
            try writeFile(path("var/lib/dpkg/status"), "", mode: 0o644)
            try writeFile(path("usr/lib/systemd/system/ssh.service"), "[Unit]\nDescription=OpenBSD Secure Shell server\n", mode: 0o644)
        }
        for (name, text) in etc {
            let file = path("etc/\(name)")
            try makeDirectory(file.deletingLastPathComponent(), mode: 0o755)
            try writeFile(file, text, mode: name == "shadow" ? 0o600 : 0o644)
        }
        try markOS(root)
    }

    /// The NAME of an os-release ID.
    static func releaseName(_ id: String) -> String {
        [
            "centos": "CentOS Linux", "alinux": "Alibaba Cloud Linux", "anolis": "Anolis OS", "rocky": "Rocky Linux",
            "almalinux": "AlmaLinux", "rhel": "Red Hat Enterprise Linux", "fedora": "Fedora Linux", "opensuse-leap": "openSUSE Leap",
            "sles": "SUSE Linux Enterprise Server", "freebsd": "FreeBSD", "ubuntu": "Ubuntu", "debian": "Debian GNU/Linux",
        ][id] ?? id
    }

    /// /etc/os-release for a release (what Ansible's facts and scripts that read it see).
    static func osRelease(id: String, version: String, likeRHEL: Bool) -> String {
        let name = releaseName(id)
        let like = likeRHEL ? (id == "centos" ? "rhel fedora" : "rhel centos fedora") : (id == "debian" ? "" : "debian")
        var s = "NAME=\"\(name)\"\nVERSION=\"\(version)\"\nID=\(id)\n"
        if !like.isEmpty { s += "ID_LIKE=\"\(like)\"\n" }
        return s + "VERSION_ID=\"\(version)\"\nPRETTY_NAME=\"\(name) \(version)\"\n"
    }

    private var osRelease: String {
        switch base {
        case "centos":
            return """
                NAME="CentOS Linux"
                VERSION="7 (Core)"
                ID="centos"
                ID_LIKE="rhel fedora"
                VERSION_ID="7"
                PRETTY_NAME="CentOS Linux 7 (Core)"
                ANSI_COLOR="0;31"
                CPE_NAME="cpe:/o:centos:centos:7"
                HOME_URL="https://www.centos.org/"
                BUG_REPORT_URL="https://bugs.centos.org/"

                """
        default:
            return """
                PRETTY_NAME="Ubuntu 22.04.4 LTS"
                NAME="Ubuntu"
                VERSION_ID="22.04"
                VERSION="22.04.4 LTS (Jammy Jellyfish)"
                VERSION_CODENAME=jammy
                ID=ubuntu
                ID_LIKE=debian
                HOME_URL="https://www.ubuntu.com/"
                UBUNTU_CODENAME=jammy

                """
        }
    }

    /// Records which image family made the disk (the emulator and tests read it).
    private func markOS(_ root: URL) throws {
        let dir = root.appendingPathComponent(".ecs-sim")
        try makeDirectory(dir, mode: 0o755)
        try writeFile(dir.appendingPathComponent("image-family"), family + "\n", mode: 0o644)
    }

    /// The legacy `scp -t` sink (Packer's ssh communicator uploads with it) with the
    /// libraries it links, copied from the host; sftp is sshd's internal-sftp.
    private func copyScp(into root: URL) throws {
        let scp = "/usr/bin/scp"
        guard FileManager.default.isExecutableFile(atPath: scp) else { return }
        guard let ldd = try? HostProcess.run(["/usr/bin/ldd", scp]), ldd.status == 0 else { return }
        var files = [scp]
        for line in String(decoding: ldd.stdout, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if let lib = fields.first(where: { $0.hasPrefix("/") }) { files.append(lib) }
        }
        for file in files {
            let resolved = URL(fileURLWithPath: file).resolvingSymlinksInPath().path
            // /lib and /lib64 are symlinks into /usr inside the image: place files there.
            var target = file
            for (from, to) in [("/lib64/", "/usr/lib64/"), ("/lib/", "/usr/lib/"), ("/bin/", "/usr/bin/")]
            where target.hasPrefix(from) {
                target = to + target.dropFirst(from.count)
            }
            let dest = root.appendingPathComponent(String(target.dropFirst()))
            try makeDirectory(dest.deletingLastPathComponent(), mode: 0o755)
            try? FileManager.default.removeItem(at: dest)
            try copyHostFile(resolved, to: dest)
        }
    }

    private func copyHostFile(_ source: String, to dest: URL) throws {
        do {
            try FileManager.default.copyItem(atPath: source, toPath: dest.path)
        } catch {
            throw ToolError(.cantCreate, "\(dest.path): cannot copy \(source): \(errorText(error))")
        }
        chmod(dest.path, 0o755)
    }

    /// Debian's busybox-static (a static binary, so it runs inside any chroot).
    static func hostBusybox() throws -> String {
        for candidate in ["/bin/busybox", "/usr/bin/busybox"]
        where FileManager.default.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw ToolError(.unavailable, "busybox: not installed (the instances' userland; apt-get install busybox-static)")
    }

    static func busyboxApplets(_ busybox: String) throws -> [String] {
        let out = try HostProcess.check([busybox, "--list"], context: "busybox applets")
        return String(decoding: out, as: UTF8.self).split(separator: "\n").map(String.init)
            .filter { !$0.isEmpty && !$0.contains("/") }
    }
}
