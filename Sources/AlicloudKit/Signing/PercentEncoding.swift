/// RFC 3986 percent-encoding as Alibaba Cloud signs it: `A-Z a-z 0-9 - _ . ~` kept,
/// every other UTF-8 byte `%XX` in uppercase hex (space `%20`, `*` `%2A`).
public enum PercentEncoding {
    static let hex = Array("0123456789ABCDEF".utf8)

    /// Encodes `s`; with `keepSlash` a `/` is kept (OSS object paths).
    public static func encode(_ s: String, keepSlash: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"),
                UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(b)
            case UInt8(ascii: "/") where keepSlash:
                out.append(b)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(b >> 4)])
                out.append(hex[Int(b & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes `%XX` escapes (and `+` as space when `plusIsSpace`, for form bodies);
    /// nil when an escape is malformed or the result is not UTF-8.
    public static func decode(_ s: String, plusIsSpace: Bool = false) -> String? {
        var out: [UInt8] = []
        let u = Array(s.utf8)
        var i = 0
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 65...70: return c - 55
            case 97...102: return c - 87
            default: return nil
            }
        }
        while i < u.count {
            let c = u[i]
            if c == UInt8(ascii: "%") {
                guard i + 2 < u.count, let hi = v(u[i + 1]), let lo = v(u[i + 2]) else { return nil }
                out.append(hi << 4 | lo)
                i += 3
            } else if c == UInt8(ascii: "+") && plusIsSpace {
                out.append(0x20)
                i += 1
            } else {
                out.append(c)
                i += 1
            }
        }
        return String(validating: out, as: UTF8.self)
    }

    /// Splits `a=1&b=x%20y` into decoded pairs (a name without `=` has an empty value);
    /// nil when an escape is malformed.
    public static func parseQuery(_ query: String, plusIsSpace: Bool = false) -> [(String, String)]? {
        var pairs: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let k = decode(String(kv[0]), plusIsSpace: plusIsSpace),
                let v = decode(kv.count > 1 ? String(kv[1]) : "", plusIsSpace: plusIsSpace)
            else { return nil }
            pairs.append((k, v))
        }
        return pairs
    }
}

/// Orders strings by their UTF-8 bytes, as the signers sort parameter names.
@inline(__always)
func byteOrder(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
