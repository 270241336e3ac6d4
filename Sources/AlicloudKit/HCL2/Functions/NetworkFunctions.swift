import FoundationEssentials

extension HCLFunctions {
    /// cidrhost, cidrnetmask, cidrsubnet, cidrsubnets (IPv4 and IPv6), as go-cty-funcs
    /// computes them with apparentlymart/go-cidr.
    static let network: [String: HCLFunction] = [
        "cidrhost": HCLFunction([HCLParameter("prefix", .string), HCLParameter("hostnum", .number)]) { a, _ throws(HCLFunctionError) in
            let num = try HCLArgs.whole(a[1], 1, "hostnum")
            let net = try CIDR.parse(a[0].argString)
            let hostBits = net.width - net.length
            let maxHost: UInt128 = hostBits >= 128 ? .max : (UInt128(1) << hostBits) - 1
            var host: UInt128
            if num < 0 {
                let back = UInt128(-(num + 1))
                guard back <= maxHost else { throw HCLFunctionError("prefix of \(net.length) does not accommodate a host numbered \(num)") }
                host = maxHost - back
            } else {
                host = UInt128(num)
                guard host <= maxHost else { throw HCLFunctionError("prefix of \(net.length) does not accommodate a host numbered \(num)") }
            }
            return .string(CIDR.text(net.address | host, width: net.width))
        },
        "cidrnetmask": HCLFunction([HCLParameter("prefix", .string)]) { a, _ throws(HCLFunctionError) in
            let net = try CIDR.parse(a[0].argString)
            return .string(CIDR.text(CIDR.mask(net.length, width: net.width), width: net.width))
        },
        "cidrsubnet": HCLFunction([HCLParameter("prefix", .string), HCLParameter("newbits", .number), HCLParameter("netnum", .number)]) { a, _ throws(HCLFunctionError) in
            let newbits = try HCLArgs.whole(a[1], 1, "newbits")
            let netnum = try HCLArgs.whole(a[2], 2, "netnum")
            let net = try CIDR.parse(a[0].argString)
            guard newbits <= 32 else { throw HCLFunctionError("may not extend prefix by more than 32 bits") }
            let length = net.length + newbits
            guard newbits >= 0, length <= net.width else {
                throw HCLFunctionError("insufficient address space to extend prefix of \(net.length) by \(newbits)")
            }
            guard netnum >= 0, UInt64(netnum) <= (UInt64(1) << UInt64(newbits)) - 1 else {
                throw HCLFunctionError("prefix extension of \(newbits) does not accommodate a subnet numbered \(netnum)")
            }
            let address = net.address | (UInt128(netnum) << (net.width - length))
            return .string(CIDR.text(address, width: net.width) + "/\(length)")
        },
        "cidrsubnets": HCLFunction([HCLParameter("prefix", .string)], variadic: HCLParameter("newbits", .number)) { a, _ throws(HCLFunctionError) in
            let net: CIDR.Network
            do throws(HCLFunctionError) { net = try CIDR.parse(a[0].argString) } catch { throw HCLFunctionError(argument: 0, error.message) }
            guard a.count > 1 else { return .list([], .string) }
            let first = try HCLArgs.whole(a[1], 1, "newbits") + net.length
            // The subnet just before the network, so that the first NextSubnet is its start.
            var current = CIDR.Network(address: (net.address &- 1) & CIDR.mask(max(0, min(first, net.width)), width: net.width), length: max(0, min(first, net.width)), width: net.width)
            var out: [HCLValue] = []
            for (i, arg) in a.dropFirst().enumerated() {
                var length = try HCLArgs.whole(arg, i + 1, "newbits")
                guard length >= 1 else { throw HCLFunctionError(argument: i + 1, "must extend prefix by at least one bit") }
                guard length <= 32 else { throw HCLFunctionError(argument: i + 1, "may not extend prefix by more than 32 bits") }
                length += net.length
                guard length <= net.width else {
                    throw HCLFunctionError(argument: i + 1, "would extend prefix to \(length) bits, which is too long for an \(net.width == 32 ? "IPv4" : "IPv6") address")
                }
                let (next, rollover) = CIDR.nextSubnet(current, length)
                guard !rollover, net.contains(next.address) else {
                    throw HCLFunctionError(argument: i + 1, "not enough remaining address space for a subnet with a prefix of \(length) bits after \(current.text)")
                }
                current = next
                out.append(.string(current.text))
            }
            return .list(out, .string)
        },
    ]
}

/// IPv4 and IPv6 prefixes as Go's `net.ParseCIDR` reads and `net.IP.String` prints them,
/// held as 128-bit integers (IPv4 in the low 32 bits).
enum CIDR {
    /// A prefix: its first address, length and address width (32 or 128).
    struct Network {
        var address: UInt128
        var length: Int
        var width: Int

        var text: String { CIDR.text(address, width: width) + "/\(length)" }

        /// Whether the address lies in the prefix.
        func contains(_ a: UInt128) -> Bool { a & CIDR.mask(length, width: width) == address }
    }

    /// The netmask of `length` bits in a `width`-bit address.
    static func mask(_ length: Int, width: Int) -> UInt128 {
        let all: UInt128 = width == 128 ? .max : (UInt128(1) << width) - 1
        if length <= 0 { return 0 }
        return all & ~(length >= width ? 0 : all >> length)
    }

    /// go-cidr's NextSubnet: the `length`-bit subnet after the one holding `current`'s last
    /// address; `true` when it wraps around the address space.
    static func nextSubnet(_ current: Network, _ length: Int) -> (Network, Bool) {
        let last = current.address | ~mask(current.length, width: current.width) & mask(current.width, width: current.width)
        let m = mask(length, width: current.width)
        let subnetLast = (last & m) | (~m & mask(current.width, width: current.width))
        let all = mask(current.width, width: current.width)
        let following = (subnetLast &+ 1) & all
        return (Network(address: following & m, length: length, width: current.width), following == 0)
    }

    /// Go's `net.ParseCIDR`: the address masked to its prefix.
    static func parse(_ s: String) throws(HCLFunctionError) -> Network {
        let bad = HCLFunctionError("invalid CIDR expression: invalid CIDR address: \(s)")
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let length = Int(parts[1]),
              parts[1].count == 1 || parts[1].first != "0" else { throw bad }
        let width: Int
        let address: UInt128
        if let v4 = parseIPv4(parts[0]) { width = 32; address = UInt128(v4) } else if let v6 = parseIPv6(parts[0]) { width = 128; address = v6 } else { throw bad }
        guard length <= width else { throw bad }
        return Network(address: address & mask(length, width: width), length: length, width: width)
    }

    /// Four decimal octets without leading zeros, as Go reads them.
    static func parseIPv4(_ s: Substring) -> UInt32? {
        let octets = s.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var v: UInt32 = 0
        for o in octets {
            guard !o.isEmpty, o.count <= 3, o.allSatisfy({ $0.isASCII && $0.isNumber }), o.count == 1 || o.first != "0",
                  let n = UInt32(o), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    /// Eight hex groups, one `::` gap allowed, an IPv4 tail allowed.
    static func parseIPv6(_ s: Substring) -> UInt128? {
        var head: [UInt16] = [], tail: [UInt16] = []
        var sawGap = false
        let halves = s.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ text: String, allowV4: Bool) -> [UInt16]? {
            if text.isEmpty { return [] }
            var out: [UInt16] = []
            let items = text.split(separator: ":", omittingEmptySubsequences: false)
            for (i, g) in items.enumerated() {
                if allowV4, i == items.count - 1, g.contains(".") {
                    guard let v4 = parseIPv4(g) else { return nil }
                    out += [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
                    continue
                }
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        if halves.count == 2 {
            sawGap = true
            guard let h = groups(halves[0], allowV4: false), let t = groups(halves[1], allowV4: true) else { return nil }
            head = h; tail = t
            guard head.count + tail.count < 8 else { return nil }
        } else {
            guard let h = groups(halves[0], allowV4: true), h.count == 8 else { return nil }
            head = h
        }
        let all = head + Array(repeating: 0, count: sawGap ? 8 - head.count - tail.count : 0) + tail
        return all.reduce(UInt128(0)) { $0 << 16 | UInt128($1) }
    }

    /// Go's text for an address: dotted IPv4, or IPv6 with the longest run of two or
    /// more zero groups written `::`.
    static func text(_ a: UInt128, width: Int) -> String {
        if width == 32 {
            return (0..<4).map { String((a >> (24 - 8 * UInt128($0))) & 0xFF) }.joined(separator: ".")
        }
        let g = (0..<8).map { Int((a >> (112 - 16 * UInt128($0))) & 0xFFFF) }
        var bestStart = -1, bestLen = 0, i = 0
        while i < 8 {
            if g[i] == 0 {
                var j = i
                while j < 8, g[j] == 0 { j += 1 }
                if j - i > bestLen, j - i >= 2 { bestStart = i; bestLen = j - i }
                i = j
            } else {
                i += 1
            }
        }
        if bestStart < 0 { return g.map { String($0, radix: 16) }.joined(separator: ":") }
        let left = g[..<bestStart].map { String($0, radix: 16) }.joined(separator: ":")
        let right = g[(bestStart + bestLen)...].map { String($0, radix: 16) }.joined(separator: ":")
        return left + "::" + right
    }
}
