import AlicloudKit

/// Loopback addresses for instances: 127.0.0.2 ... 127.255.255.254 in order, never handing
/// out one that is still allocated. 127.0.0.1 stays for the emulator's own endpoint.
public struct AddressPool: Sendable {
    private var used: Set<UInt32>
    private var next: UInt32

    /// A pool where `allocated` (e.g. restored from the state dir) are already taken.
    public init(allocated: [String] = []) {
        used = Set(allocated.compactMap(Self.number))
        next = (used.max() ?? Self.first - 1) + 1
    }

    /// The next free address; throws when all 16 million are taken.
    public mutating func allocate() throws -> String {
        let span = Self.last - Self.first + 1
        for _ in 0..<span {
            if next > Self.last || next < Self.first { next = Self.first }
            let candidate = next
            next += 1
            if (candidate & 0xff) == 0 || (candidate & 0xff) == 0xff { continue }  // keep .0/.255 out
            if used.insert(candidate).inserted { return Self.text(candidate) }
        }
        throw ToolError(.tempFail, "address pool: no free loopback address")
    }

    /// Returns an address to the pool (no effect for one it did not hand out).
    public mutating func release(_ address: String) {
        if let n = Self.number(address) { used.remove(n) }
    }

    private static let first: UInt32 = 0x7f00_0002
    private static let last: UInt32 = 0x7fff_fffe

    private static func number(_ address: String) -> UInt32? {
        let parts = address.split(separator: ".").compactMap { UInt32($0) }
        guard parts.count == 4, parts[0] == 127, parts.allSatisfy({ $0 <= 255 }) else { return nil }
        return parts.reduce(0) { $0 << 8 | $1 }
    }

    private static func text(_ n: UInt32) -> String {
        "\(n >> 24).\((n >> 16) & 0xff).\((n >> 8) & 0xff).\(n & 0xff)"
    }
}
