/// The public images ecs-sim serves, named as the real cloud names them
/// (`<os>_<version>_<arch>_<N>G_<tag>_<date>.vhd`), and the families an ID belongs to.
///
/// The listed images are what DescribeImages shows. By default any other well-formed ID of a
/// known family (a retired `ubuntu_14_0405_64_40G_base_20170222.vhd`, a newer build date) is
/// served too, as that family, so that templates written years ago build; with
/// `--catalog strict` only the listed ones exist, as on the cloud, where a retired image is
/// simply not found (`InvalidImageId.NotFound`).
enum PublicImages {
    /// An operating system as image IDs name it.
    struct OS: Sendable {
        /// The ID's first word(s) (`centos_stream`, `ubuntu`, `win2019`).
        var prefix: String
        /// DescribeImages' Platform.
        var platform: String
        /// The OSName's words before the version (`CentOS`, `Alibaba Cloud Linux`).
        var name: String
        /// linux or windows.
        var osType: String
        /// The emulated userland the instance gets: centos (yum), ubuntu (apt) or windows.
        var hostFamily: String
        /// os-release's ID (empty for Windows).
        var releaseID = ""
    }

    /// The known operating systems, longest prefix first where one prefixes another.
    static let systems: [OS] = [
        OS(prefix: "centos_stream", platform: "CentOS Stream", name: "CentOS Stream", osType: "linux", hostFamily: "centos", releaseID: "centos"),
        OS(prefix: "centos", platform: "CentOS", name: "CentOS", osType: "linux", hostFamily: "centos", releaseID: "centos"),
        OS(prefix: "aliyun", platform: "Aliyun", name: "Alibaba Cloud Linux", osType: "linux", hostFamily: "centos", releaseID: "alinux"),
        OS(prefix: "alinux", platform: "Aliyun", name: "Alibaba Cloud Linux", osType: "linux", hostFamily: "centos", releaseID: "alinux"),
        OS(prefix: "anolisos", platform: "Anolis", name: "Anolis OS", osType: "linux", hostFamily: "centos", releaseID: "anolis"),
        OS(prefix: "rockylinux", platform: "Rocky Linux", name: "Rocky Linux", osType: "linux", hostFamily: "centos", releaseID: "rocky"),
        OS(prefix: "almalinux", platform: "AlmaLinux", name: "AlmaLinux", osType: "linux", hostFamily: "centos", releaseID: "almalinux"),
        OS(prefix: "redhat", platform: "Red Hat", name: "Red Hat Enterprise Linux", osType: "linux", hostFamily: "centos", releaseID: "rhel"),
        OS(prefix: "fedora", platform: "Fedora", name: "Fedora", osType: "linux", hostFamily: "centos", releaseID: "fedora"),
        OS(prefix: "opensuse", platform: "OpenSUSE", name: "OpenSUSE", osType: "linux", hostFamily: "centos", releaseID: "opensuse-leap"),
        OS(prefix: "suse", platform: "SUSE", name: "SUSE Linux Enterprise Server", osType: "linux", hostFamily: "centos", releaseID: "sles"),
        OS(prefix: "freebsd", platform: "FreeBSD", name: "FreeBSD", osType: "linux", hostFamily: "centos", releaseID: "freebsd"),
        OS(prefix: "ubuntu", platform: "Ubuntu", name: "Ubuntu", osType: "linux", hostFamily: "ubuntu", releaseID: "ubuntu"),
        OS(prefix: "debian", platform: "Debian", name: "Debian", osType: "linux", hostFamily: "ubuntu", releaseID: "debian"),
        OS(prefix: "win2008r2", platform: "Windows Server 2008", name: "Windows Server 2008 R2", osType: "windows", hostFamily: "windows"),
        OS(prefix: "win2008", platform: "Windows Server 2008", name: "Windows Server 2008", osType: "windows", hostFamily: "windows"),
        OS(prefix: "win2012r2", platform: "Windows Server 2012", name: "Windows Server 2012 R2", osType: "windows", hostFamily: "windows"),
        OS(prefix: "win2012", platform: "Windows Server 2012", name: "Windows Server 2012", osType: "windows", hostFamily: "windows"),
        OS(prefix: "win2016", platform: "Windows Server 2016", name: "Windows Server 2016", osType: "windows", hostFamily: "windows"),
        OS(prefix: "win2019", platform: "Windows Server 2019", name: "Windows Server 2019", osType: "windows", hostFamily: "windows"),
        OS(prefix: "win2022", platform: "Windows Server 2022", name: "Windows Server 2022", osType: "windows", hostFamily: "windows"),
        OS(prefix: "winsvr", platform: "Windows Server 2019", name: "Windows Server", osType: "windows", hostFamily: "windows"),
    ]

    /// The images DescribeImages lists: current and recent builds of every family, and the
    /// ones Packer's own examples and the seed's templates name.
    static let listed: [String] = [
        // Alibaba Cloud Linux 3 and 2
        "aliyun_3_x64_20G_alibase_20240528.vhd", "aliyun_3_arm64_20G_alibase_20240528.vhd",
        "aliyun_3_x64_20G_qboot_alibase_20230727.vhd", "aliyun_2_1903_x64_20G_alibase_20240628.vhd",
        // CentOS 6, 7, 8 and Stream
        "centos_6_10_x64_20G_alibase_20201120.vhd", "centos_7_03_64_20G_alibase_20170818.vhd",
        "centos_7_9_x64_20G_alibase_20240628.vhd", "centos_8_5_x64_20G_alibase_20220428.vhd",
        "centos_stream_8_x64_20G_alibase_20240528.vhd", "centos_stream_9_x64_20G_alibase_20240628.vhd",
        // Ubuntu 16.04 - 24.04
        "ubuntu_16_04_x64_20G_alibase_20240628.vhd", "ubuntu_18_04_x64_20G_alibase_20240628.vhd",
        "ubuntu_18_04_64_20G_alibase_20190223.vhd", "ubuntu_20_04_x64_20G_alibase_20230101.vhd",
        "ubuntu_20_04_x64_20G_alibase_20240628.vhd", "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        "ubuntu_22_04_arm64_20G_alibase_20240130.vhd", "ubuntu_24_04_x64_20G_alibase_20240812.vhd",
        // Debian 9 - 12
        "debian_9_13_x64_20G_alibase_20210318.vhd", "debian_10_13_x64_20G_alibase_20240628.vhd",
        "debian_11_9_x64_20G_alibase_20240628.vhd", "debian_12_6_x64_20G_alibase_20240715.vhd",
        // Rocky, Alma, Anolis, openSUSE, FreeBSD
        "rockylinux_8_10_x64_20G_alibase_20240709.vhd", "rockylinux_9_4_x64_20G_alibase_20240709.vhd",
        "almalinux_8_10_x64_20G_alibase_20240709.vhd", "almalinux_9_4_x64_20G_alibase_20240709.vhd",
        "anolisos_7_9_x64_20G_rhck_alibase_20240628.vhd", "anolisos_8_9_x64_20G_rhck_alibase_20240528.vhd",
        "anolisos_8_9_x64_20G_anck_alibase_20240528.vhd", "opensuse_15_5_x64_20G_alibase_20240528.vhd",
        "freebsd_13_3_x64_30G_alibase_20240628.vhd", "freebsd_14_1_x64_30G_alibase_20240709.vhd",
        // Windows Server 2008 R2 - 2022
        "win2008r2_64_ent_sp1_zh-cn_40G_alibase_20181220.vhd", "win2012r2_9600_x64_dtc_zh-cn_40G_alibase_20240614.vhd",
        "win2012r2_9600_x64_dtc_en-us_40G_alibase_20240614.vhd", "win2016_1607_x64_dtc_zh-cn_40G_alibase_20240614.vhd",
        "win2016_1607_x64_dtc_en-us_40G_alibase_20240614.vhd", "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
        "win2019_1809_x64_dtc_en-us_40G_alibase_20240614.vhd", "win2022_21H2_x64_dtc_zh-cn_40G_alibase_20240614.vhd",
        "win2022_21H2_x64_dtc_en-us_40G_alibase_20240614.vhd", "winsvr_64_dtcC_1809_en-us_40G_alibase_20190318.vhd",
    ]

    /// What an image ID says about its image.
    struct Parsed: Equatable, Sendable {
        var platform: String
        var osName: String
        var osType: String
        var hostFamily: String
        var architecture: String
        var sizeGiB: Int
    }

    static let architectures: [String: String] = ["x64": "x86_64", "64": "x86_64", "arm64": "arm64", "i386": "i386", "32": "i386"]

    /// The public image family an ID belongs to: `acs:` and the words before the size
    /// (`ubuntu_22_04_x64_20G_alibase_20240130.vhd` is in `acs:ubuntu_22_04_x64`).
    static func family(of id: String) -> String {
        let words = id.split(separator: "_")
        guard let size = words.firstIndex(where: { $0.hasSuffix("G") && $0.dropLast().allSatisfy(\.isNumber) }) else { return "" }
        return "acs:" + words[..<size].joined(separator: "_")
    }

    /// Parses a well-formed public image ID of a known family; nil otherwise.
    static func parse(_ id: String) -> Parsed? {
        guard id.hasSuffix(".vhd"), id.count <= 128 else { return nil }
        let words = id.dropLast(4).split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        // The date is YYYYMMDD; a 9-digit one is tolerated (Packer 1.6.6's own docs name
        // centos_7_04_64_20G_alibase_201701015.vhd).
        guard words.count >= 4, let date = words.last, (8...9).contains(date.count), date.allSatisfy(\.isNumber),
              words.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" } }) else { return nil }
        let lowered = id.lowercased()
        guard let os = systems.first(where: { lowered.hasPrefix($0.prefix + "_") }) else { return nil }
        let rest = Array(words.dropFirst(os.prefix.split(separator: "_").count).dropLast())
        guard let sizeIndex = rest.firstIndex(where: { $0.count >= 2 && $0.hasSuffix("G") && $0.dropLast().allSatisfy(\.isNumber) }),
              let size = Int(rest[sizeIndex].dropLast()), (1...2048).contains(size),
              let archIndex = rest[..<sizeIndex].firstIndex(where: { architectures[$0] != nil }) else { return nil }
        let version = rest[..<archIndex].filter { $0.allSatisfy(\.isNumber) }
        var osName = os.name
        if os.osType == "linux", let major = version.first {
            var v = major
            if version.count > 1 {
                let minor = version[1]
                // Ubuntu keeps its month (16.04); others drop a leading zero (7.03 is 7.3).
                v += "." + (os.prefix == "ubuntu" ? String(minor.prefix(2)) : String(Int(minor) ?? 0))
            }
            osName += "  \(v)"
        }
        let arch = architectures[rest[archIndex]]!
        osName += arch == "arm64" ? " 64位 ARM版" : arch == "i386" ? " 32位" : " 64位"
        if os.osType == "windows" {
            let words = Set(rest.map { $0.lowercased() })
            osName += words.contains("en-us") ? "英文版" : "中文版"
        }
        // The guest's userland tree: its base family and the release its os-release names.
        var host = os.hostFamily
        if !os.releaseID.isEmpty, let major = version.first.map({ String(Int($0) ?? 0) }) {
            var v = major
            if version.count > 1, !["centos", "debian", "alinux"].contains(os.releaseID) {
                v += "." + (os.prefix == "ubuntu" ? String(version[1].prefix(2)) : String(Int(version[1]) ?? 0))
            }
            host += ":\(os.releaseID):\(v)"
        }
        return Parsed(platform: os.platform, osName: osName, osType: os.osType, hostFamily: host, architecture: arch, sizeGiB: size)
    }
}
