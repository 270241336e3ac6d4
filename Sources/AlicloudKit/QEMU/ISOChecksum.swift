import FoundationEssentials

/// An ISO's expected digest as Packer holds it once the template is prepared: the
/// algorithm (md5, sha1, sha256, sha512) and the value.
public struct ISOChecksum: Sendable, Equatable {
    /// md5, sha1, sha256 or sha512.
    public var type: String
    /// The digest bytes.
    public var value: [UInt8]

    /// Digest lengths in bytes and the algorithm each names (go-getter guesses by length).
    static let typeByLength = [16: "md5", 20: "sha1", 32: "sha256", 64: "sha512"]

    /// `type:hex`, lowercase: the string Packer names a cache entry after.
    public var text: String { "\(type):\(value.hexString)" }

    /// `TYPE:HEX`, or a bare `HEX` whose length names the type; nil for anything else.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard let value = bytes(fromHex: String(parts[parts.count - 1])), let byLength = Self.typeByLength[value.count] else {
            return nil
        }
        let type = parts.count == 2 ? parts[0].lowercased() : byLength
        guard type == byLength else { return nil }
        self.type = type
        self.value = value
    }

    /// The digest of a file's bytes with this checksum's algorithm.
    public func digest(ofFile path: String) throws -> [UInt8] {
        var hasher = makeHasher()
        try FileChunks.read(path) { hasher.update($0) }
        return hasher.finalize()
    }

    /// A fresh hash state of this checksum's algorithm.
    public func makeHasher() -> any HashFunction {
        switch type {
        case "md5": return MD5()
        case "sha1": return SHA1()
        case "sha512": return SHA512()
        default: return SHA256()
        }
    }

    /// The mismatch message: what was expected and what the bytes give.
    public func mismatch(_ got: [UInt8]) -> String {
        "checksums did not match: expected \(text), got \(type):\(got.hexString)"
    }
}

/// Finding an ISO's line in a checksum list (`SHA256SUMS`, md5sum output, BSD-style
/// `SHA256 (name) = hex`), by the rules Packer's go-getter applies to `file:` checksums.
public enum ChecksumList {
    /// The checksum listed for the ISO at `isoPath` (a URL's path or a local path) in the
    /// text of a list that lives at `listPath`; nil when no line names it.
    /// A line names it by its base name (also with `*` or `?` before it), its path relative
    /// to the list's directory (also with `./`), its absolute path, or a name the ISO's path
    /// contains; a line with no name matches any ISO.
    public static func find(in text: String, isoPath: String, listPath: String) -> ISOChecksum? {
        let base = Paths.last(isoPath)
        let relative = relativePath(isoPath, from: Paths.parent(listPath))
        let names: Set<String> = [base, "*" + base, "?" + base, relative, "./" + relative, isoPath]
        for line in text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            guard let (checksum, name) = parse(String(line)) else { continue }
            if name.isEmpty || names.contains(name) { return checksum }
            let bare = String(name.drop { $0 == "." || $0 == "/" })
            if bare.isEmpty || isoPath.contains(bare) { return checksum }
        }
        return nil
    }

    /// One line: `hex name`, `TYPE (name) = hex`, or a lone value (no name); nil otherwise.
    static func parse(_ line: String) -> (ISOChecksum, String)? {
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        switch fields.count {
        case 0:
            return nil
        case 4:
            let named = fields[1]
            guard named.count > 2, named.hasPrefix("("), named.hasSuffix(")"),
                  let checksum = ISOChecksum("\(fields[0]):\(fields[3])") else { return nil }
            return (checksum, String(named.dropFirst().dropLast()))
        case 2:
            guard let checksum = ISOChecksum(fields[0]) else { return nil }
            return (checksum, fields[1])
        default:
            guard let checksum = ISOChecksum(fields[0]) else { return nil }
            return (checksum, "")
        }
    }

    /// `path` relative to the directory `base` (both absolute, `/`-separated).
    static func relativePath(_ path: String, from base: String) -> String {
        let p = path.split(separator: "/").map(String.init)
        let b = base.split(separator: "/").map(String.init)
        var common = 0
        while common < p.count, common < b.count, p[common] == b[common] { common += 1 }
        return (Array(repeating: "..", count: b.count - common) + p[common...]).joined(separator: "/")
    }
}
