/// The instance types ecs-sim offers: the real families as `ecs.<family>.<size>` with the
/// vCPUs and memory the real ones have (DescribeInstanceTypes answers from this table). In
/// the enterprise families a size fixes the vCPUs (large 2, xlarge 4, Nxlarge 4N), the
/// family the GiB per vCPU (c 2, g 4, r 8) and its generation the sizes offered; the older,
/// burstable, universal and bare-metal families are listed one by one.
enum InstanceTypes {
    /// The sizes of each generation, smallest first.
    static let gen5 = ["large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge", "16xlarge"]
    static let ne = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge"]
    static let hf5 = ["large", "xlarge", "2xlarge", "4xlarge", "6xlarge", "8xlarge"]
    static let gen6 = ["large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge", "13xlarge", "26xlarge"]
    static let hf6 = ["large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge", "10xlarge", "16xlarge", "20xlarge"]
    static let gen7 = ["large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge", "16xlarge", "32xlarge"]
    static let hf7 = ["large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge", "12xlarge", "24xlarge"]
    static let gen8i = ["large", "xlarge", "2xlarge", "3xlarge", "4xlarge", "6xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "48xlarge"]
    static let gen8a = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "12xlarge", "16xlarge", "24xlarge", "32xlarge", "48xlarge"]
    static let gen8y = ["large", "xlarge", "2xlarge", "4xlarge", "8xlarge", "16xlarge", "24xlarge", "48xlarge"]

    /// Families of the standard sizes: name, GiB per vCPU, sizes.
    static let ratioFamilies: [(family: String, memPerCpu: Double, sizes: [String])] = [
        ("c5", 2, gen5), ("g5", 4, gen5), ("r5", 8, gen5),
        ("sn1ne", 2, ne), ("sn2ne", 4, ne), ("se1ne", 8, ne),
        ("hfc5", 2, hf5), ("hfg5", 4, hf5), ("hfr5", 8, hf5),
        ("c6", 2, gen6), ("g6", 4, gen6), ("r6", 8, gen6), ("c6e", 2, gen6), ("g6e", 4, gen6), ("r6e", 8, gen6),
        ("hfc6", 2, hf6), ("hfg6", 4, hf6), ("hfr6", 8, hf6),
        ("c7", 2, gen7), ("g7", 4, gen7), ("r7", 8, gen7), ("c7a", 2, gen7), ("g7a", 4, gen7), ("r7a", 8, gen7),
        ("hfc7", 2, hf7), ("hfg7", 4, hf7), ("hfr7", 8, hf7),
        ("c8i", 2, gen8i), ("g8i", 4, gen8i), ("r8i", 8, gen8i),
        ("c8a", 2, gen8a), ("g8a", 4, gen8a), ("r8a", 8, gen8a),
        ("c8y", 2, gen8y), ("g8y", 4, gen8y), ("r8y", 8, gen8y),
    ]

    /// vCPUs of a size (large 2, xlarge 4, Nxlarge 4N) and the vCPUs its memory is counted
    /// for: the 13xlarge and 26xlarge of the sixth generation have 52 and 104 vCPUs but the
    /// memory of 48 and 96 (g6.26xlarge: 104 vCPUs, 384 GiB).
    static func vcpus(_ size: String) -> (cpu: Int, memoryCpu: Int) {
        if size == "large" { return (2, 2) }
        let n = Int(size.dropLast("xlarge".count)) ?? 1
        let cpu = 4 * n
        return (cpu, n == 13 || n == 26 ? cpu / 13 * 12 : cpu)
    }

    /// Types listed one by one: older generations, burstable, universal, bare metal, local disks.
    static let listed: [(id: String, cpu: Int, memoryGiB: Double)] = [
        // n1, n2, e3 (shared, first generation), sn1/sn2 and the n4, mn4, xn4, e4 generation
        ("ecs.n1.tiny", 1, 1), ("ecs.n1.small", 1, 2), ("ecs.n1.medium", 2, 4), ("ecs.n1.large", 4, 8),
        ("ecs.n1.xlarge", 8, 16), ("ecs.n1.3xlarge", 16, 32), ("ecs.n1.7xlarge", 32, 64),
        ("ecs.n2.small", 1, 4), ("ecs.n2.medium", 2, 8), ("ecs.n2.large", 4, 16), ("ecs.n2.xlarge", 8, 32),
        ("ecs.n2.3xlarge", 16, 64), ("ecs.n2.7xlarge", 32, 128),
        ("ecs.e3.small", 1, 8), ("ecs.e3.medium", 2, 16), ("ecs.e3.large", 4, 32), ("ecs.e3.xlarge", 8, 64), ("ecs.e3.3xlarge", 16, 128),
        ("ecs.sn1.medium", 2, 4), ("ecs.sn1.large", 4, 8), ("ecs.sn1.xlarge", 8, 16), ("ecs.sn1.3xlarge", 16, 32), ("ecs.sn1.7xlarge", 32, 64),
        ("ecs.sn2.medium", 2, 8), ("ecs.sn2.large", 4, 16), ("ecs.sn2.xlarge", 8, 32), ("ecs.sn2.3xlarge", 16, 64), ("ecs.sn2.7xlarge", 32, 128),
        ("ecs.n4.small", 1, 2), ("ecs.n4.large", 2, 4), ("ecs.n4.xlarge", 4, 8), ("ecs.n4.2xlarge", 8, 16),
        ("ecs.n4.4xlarge", 16, 32), ("ecs.n4.8xlarge", 32, 64),
        ("ecs.mn4.small", 1, 4), ("ecs.mn4.large", 2, 8), ("ecs.mn4.xlarge", 4, 16), ("ecs.mn4.2xlarge", 8, 32),
        ("ecs.mn4.4xlarge", 16, 64), ("ecs.mn4.8xlarge", 32, 128),
        ("ecs.xn4.small", 1, 1),
        ("ecs.e4.small", 1, 8), ("ecs.e4.large", 2, 16), ("ecs.e4.xlarge", 4, 32), ("ecs.e4.2xlarge", 8, 64), ("ecs.e4.4xlarge", 16, 128),
        // t5 and t6 (burstable)
        ("ecs.t5-lc2m1.nano", 1, 0.5), ("ecs.t5-lc1m1.small", 1, 1), ("ecs.t5-lc1m2.small", 1, 2), ("ecs.t5-lc1m2.large", 2, 4),
        ("ecs.t5-lc1m4.large", 2, 8), ("ecs.t5-c1m1.large", 2, 2), ("ecs.t5-c1m2.large", 2, 4), ("ecs.t5-c1m4.large", 2, 8),
        ("ecs.t5-c1m1.xlarge", 4, 4), ("ecs.t5-c1m2.xlarge", 4, 8), ("ecs.t5-c1m4.xlarge", 4, 16), ("ecs.t5-c1m1.2xlarge", 8, 8),
        ("ecs.t5-c1m2.2xlarge", 8, 16), ("ecs.t5-c1m4.2xlarge", 8, 32), ("ecs.t5-c1m1.4xlarge", 16, 16), ("ecs.t5-c1m2.4xlarge", 16, 32),
        ("ecs.t6-c4m1.large", 2, 0.5), ("ecs.t6-c2m1.large", 2, 1), ("ecs.t6-c1m1.large", 2, 2), ("ecs.t6-c1m2.large", 2, 4),
        ("ecs.t6-c1m4.large", 2, 8), ("ecs.t6-c1m1.xlarge", 4, 4), ("ecs.t6-c1m2.xlarge", 4, 8), ("ecs.t6-c1m4.xlarge", 4, 16),
        ("ecs.t6-c1m4.2xlarge", 8, 32),
        // u1 (universal)
        ("ecs.u1-c1m1.large", 2, 2), ("ecs.u1-c1m2.large", 2, 4), ("ecs.u1-c1m4.large", 2, 8), ("ecs.u1-c1m8.large", 2, 16),
        ("ecs.u1-c1m1.xlarge", 4, 4), ("ecs.u1-c1m2.xlarge", 4, 8), ("ecs.u1-c1m4.xlarge", 4, 16), ("ecs.u1-c1m8.xlarge", 4, 32),
        ("ecs.u1-c1m1.2xlarge", 8, 8), ("ecs.u1-c1m2.2xlarge", 8, 16), ("ecs.u1-c1m4.2xlarge", 8, 32), ("ecs.u1-c1m8.2xlarge", 8, 64),
        ("ecs.u1-c1m1.4xlarge", 16, 16), ("ecs.u1-c1m2.4xlarge", 16, 32), ("ecs.u1-c1m4.4xlarge", 16, 64), ("ecs.u1-c1m8.4xlarge", 16, 128),
        // bare metal (ebm*), local disks (d1ne, i2)
        ("ecs.ebmg5.24xlarge", 96, 384), ("ecs.ebmc6.26xlarge", 104, 192), ("ecs.ebmg6.26xlarge", 104, 384), ("ecs.ebmr6.26xlarge", 104, 768),
        ("ecs.ebmc7.32xlarge", 128, 256), ("ecs.ebmg7.32xlarge", 128, 512), ("ecs.ebmr7.32xlarge", 128, 1024),
        ("ecs.d1ne.2xlarge", 8, 32), ("ecs.d1ne.4xlarge", 16, 64), ("ecs.d1ne.8xlarge", 32, 128),
        ("ecs.i2.xlarge", 4, 32), ("ecs.i2.2xlarge", 8, 64), ("ecs.i2.4xlarge", 16, 128),
    ]

    /// Every type, the listed ones first.
    static let all: [Catalog.InstanceType] = {
        var out = listed.map { Catalog.InstanceType(id: $0.id, family: family(of: $0.id), cpu: $0.cpu, memoryGiB: $0.memoryGiB) }
        for f in ratioFamilies {
            for size in f.sizes {
                let v = vcpus(size)
                out.append(Catalog.InstanceType(id: "ecs.\(f.family).\(size)", family: "ecs.\(f.family)", cpu: v.cpu,
                                                memoryGiB: Double(v.memoryCpu) * f.memPerCpu))
            }
        }
        return out
    }()

    /// `ecs.t5-lc1m1.small` → `ecs.t5`, `ecs.g7.large` → `ecs.g7` (DescribeInstanceTypes'
    /// InstanceTypeFamily).
    static func family(of id: String) -> String {
        let parts = id.split(separator: ".")
        guard parts.count >= 2 else { return id }
        return "ecs." + (parts[1].split(separator: "-").first.map(String.init) ?? String(parts[1]))
    }
}
