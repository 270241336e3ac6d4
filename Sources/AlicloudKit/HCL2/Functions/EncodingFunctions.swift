import FoundationEssentials

extension HCLFunctions {
    /// base64decode, base64encode, base64gzip, csvdecode, jsondecode, jsonencode,
    /// textdecodebase64, textencodebase64, urlencode, yamldecode, yamlencode.
    static let encoding: [String: HCLFunction] = [
        "base64encode": HCLFunction([HCLParameter("str", .string)]) { a, _ in .string(base64String(Array(a[0].argString.utf8))) },
        "base64decode": HCLFunction([HCLParameter("str", .string)]) { a, _ throws(HCLFunctionError) in
            let s = a[0].argString
            guard let data = Data(base64Encoded: s) else { throw HCLFunctionError("failed to decode base64 data '\(s)'") }
            guard let text = String(validating: Array(data), as: UTF8.self) else {
                throw HCLFunctionError("the result of decoding the the provided string is not valid UTF-8")
            }
            return .string(text)
        },
        "base64gzip": HCLFunction([HCLParameter("str", .string)]) { a, _ in
            .string(base64String(Gzip.stored(Array(a[0].argString.utf8))))
        },
        "urlencode": HCLFunction([HCLParameter("str", .string)]) { a, _ in
            (try? TemplateFunctions.builtin("urlquery", [.string(a[0].argString)])).map { .string($0.text) } ?? .string("")
        },
        "jsonencode": HCLFunction([HCLParameter("val", .dynamic, allowNull: true)]) { a, _ throws(HCLFunctionError) in
            guard !a[0].holdsInfinity else { throw HCLFunctionError("cannot serialize infinity as JSON") }
            return .string(a[0].ctyJSON)
        },
        "jsondecode": HCLFunction([HCLParameter("str", .string)]) { a, _ throws(HCLFunctionError) in
            let s = a[0].argString
            if let first = s.unicodeScalars.first(where: { !" \t\r\n".unicodeScalars.contains($0) }), !"{[\"-0123456789tfn".unicodeScalars.contains(first) {
                throw .invalid(0, "str", "a JSON document cannot begin with the character \(goRune(first))")
            }
            do throws(JSONSyntaxError) { return HCLValue(json: try JSONParser.parse(s)) } catch {
                throw .invalid(0, "str", error.message)
            }
        },
        "csvdecode": HCLFunction([HCLParameter("str", .string)]) { a, _ throws(HCLFunctionError) in try CSV.decode(a[0].argString) },
        "textencodebase64": HCLFunction([HCLParameter("string", .string), HCLParameter("encoding", .string)]) { a, _ throws(HCLFunctionError) in
            let enc = try TextEncoding(a[1].argString)
            guard let data = enc.encode(a[0].argString) else {
                throw HCLFunctionError(argument: 0, "the given string contains characters that cannot be represented in \(enc.name)")
            }
            return .string(data.base64EncodedString())
        },
        "textdecodebase64": HCLFunction([HCLParameter("source", .string), HCLParameter("encoding", .string)]) { a, _ throws(HCLFunctionError) in
            let enc = try TextEncoding(a[1].argString)
            guard let data = Data(base64Encoded: a[0].argString) else {
                throw HCLFunctionError(argument: 0, "invalid source string: illegal base64 data")
            }
            guard let text = enc.decode(data) else {
                throw HCLFunctionError(argument: 0, "the given string contains symbols that are not defined for \(enc.name)")
            }
            return .string(text)
        },
        "yamlencode": HCLFunction([HCLParameter("value", .dynamic, allowNull: true)]) { a, _ in .string(YAML.encode(a[0])) },
        "yamldecode": HCLFunction([HCLParameter("src", .string)]) { a, _ throws(HCLFunctionError) in
            do throws(YAML.DecodeError) { return try YAML.decode(a[0].argString) } catch { throw HCLFunctionError(argument: 0, "on line \(error.line), column \(error.column): \(error.message)") }
        },
    ]

    /// A rune as Go's `%q` prints it: `'x'`.
    static func goRune(_ c: Unicode.Scalar) -> String {
        let q = GoFormat.quote(String(c))
        return "'" + q.dropFirst().dropLast().replacingText("\\\"", with: "\"").replacingText("'", with: "\\'") + "'"
    }
}

/// An IANA character set name or alias as `textencodebase64` takes it.
/// The Unicode forms, US-ASCII and ISO-8859-1 convert in FoundationEssentials, the legacy
/// character sets through iconv (`charset`: Shift_JIS as Microsoft's CP932, which keeps
/// 0x5C a backslash as Go's decoder does).
struct TextEncoding {
    let encoding: String.Encoding
    let charset: String?
    let name: String

    /// The encoding an IANA name or alias stands for.
    init(_ label: String) throws(HCLFunctionError) {
        let key = label.lowercased().filter { $0 != "-" && $0 != "_" }
        let table: [(String.Encoding, String, [String], String?)] = [
            (.utf8, "UTF-8", ["utf8", "csutf8"], nil),
            (.utf16LittleEndian, "UTF-16LE", ["utf16le", "csutf16le"], nil),
            (.utf16BigEndian, "UTF-16BE", ["utf16be", "csutf16be"], nil),
            (.utf16, "UTF-16", ["utf16", "csutf16"], nil),
            (.utf32LittleEndian, "UTF-32LE", ["utf32le"], nil),
            (.utf32BigEndian, "UTF-32BE", ["utf32be"], nil),
            (.ascii, "US-ASCII", ["usascii", "ascii", "ansix3.41968", "iso646us", "us", "ibm367", "cp367", "csascii"], nil),
            (.isoLatin1, "ISO-8859-1", ["iso88591", "latin1", "l1", "isoir100", "ibm819", "cp819", "csisolatin1"], nil),
            (.isoLatin2, "ISO-8859-2", ["iso88592", "latin2", "l2", "csisolatin2"], "ISO-8859-2"),
            (.windowsCP1252, "windows-1252", ["windows1252", "cswindows1252"], "CP1252"),
            (.windowsCP1250, "windows-1250", ["windows1250", "cswindows1250"], "CP1250"),
            (.windowsCP1251, "windows-1251", ["windows1251", "cswindows1251"], "CP1251"),
            (.shiftJIS, "Shift_JIS", ["shiftjis", "mskanji", "csshiftjis"], "CP932"),
            (.japaneseEUC, "EUC-JP", ["eucjp", "csEUCPkdFmtJapanese".lowercased()], "EUC-JP"),
        ]
        guard let hit = table.first(where: { $0.2.contains(key) }) else {
            throw HCLFunctionError(argument: 1, "\(GoFormat.quote(label)) is not a supported IANA encoding name or alias")
        }
        encoding = hit.0
        name = hit.1
        charset = hit.3
    }

    /// The string's bytes; plain UTF-16 is big-endian after a byte order mark, as Go's
    /// IANA "UTF-16" writes it.
    func encode(_ s: String) -> Data? {
        if let charset { return Iconv.encode(s, to: charset).map { Data($0) } }
        if encoding == .utf16 { return s.data(using: .utf16BigEndian).map { Data([0xFE, 0xFF]) + $0 } }
        return s.data(using: encoding)
    }

    /// The text of the bytes; plain UTF-16 follows a byte order mark, else big-endian.
    func decode(_ d: Data) -> String? {
        if let charset { return Iconv.decode([UInt8](d), from: charset) }
        guard encoding == .utf16 else { return String(data: d, encoding: encoding) }
        let b = [UInt8](d)
        if b.starts(with: [0xFF, 0xFE]) { return String(data: Data(b.dropFirst(2)), encoding: .utf16LittleEndian) }
        if b.starts(with: [0xFE, 0xFF]) { return String(data: Data(b.dropFirst(2)), encoding: .utf16BigEndian) }
        return String(data: d, encoding: .utf16BigEndian)
    }
}

extension HCLValue {
    /// Whether an infinity is in the value (JSON has no number for it).
    var holdsInfinity: Bool {
        switch self {
        case .number(let d): return d.isInfinite
        default: return (elements ?? []).contains { $0.holdsInfinity } || (members ?? [:]).values.contains { $0.holdsInfinity }
        }
    }

    /// The value as go-cty's JSON marshalling writes it (`jsonencode`, `format("%#v")`):
    /// compact, object keys sorted, `<`, `>` and `&` escaped as Go's encoder does.
    var ctyJSON: String {
        var out = ""
        writeCtyJSON(&out)
        return out
    }

    private func writeCtyJSON(_ out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let d): out += HCLValue.numberText(d)
        case .string(let s):
            // The toolkit's JSON string, plus the escapes Go's encoder adds for HTML and
            // JavaScript (DEL stays escaped as \u007f; both decode the same).
            var quoted = ""
            JSONValue.writeString(s, to: &quoted)
            for (raw, escaped) in [("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u{2028}", "\\u2028"), ("\u{2029}", "\\u2029")] {
                quoted = quoted.replacingText(raw, with: escaped)
            }
            out += quoted
        case .list(let e, _), .set(let e, _), .tuple(let e):
            out += "["
            for (i, v) in e.enumerated() {
                if i > 0 { out += "," }
                v.writeCtyJSON(&out)
            }
            out += "]"
        case .map(let m, _), .object(let m):
            out += "{"
            for (i, k) in m.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                HCLValue.string(k).writeCtyJSON(&out)
                out += ":"
                m[k]!.writeCtyJSON(&out)
            }
            out += "}"
        }
    }

    /// A number as cty writes it in JSON (big.Float's 'f' format: no exponent).
}

/// RFC 4180 CSV as Go's encoding/csv reads it, for `csvdecode`: the first record names
/// the columns, every other record becomes an object of strings.
enum CSV {
    /// `csvdecode`: a list of objects, one per record after the header.
    static func decode(_ text: String) throws(HCLFunctionError) -> HCLValue {
        let records = try parse(text)
        guard let header = records.first else { throw HCLFunctionError(argument: 0, "missing header line") }
        var seen = Set<String>()
        for name in header.fields {
            guard seen.insert(name).inserted else { throw HCLFunctionError(argument: 0, "duplicate column name \(GoFormat.quote(name))") }
        }
        var rows: [HCLValue] = []
        for r in records.dropFirst() {
            guard r.fields.count == header.fields.count else {
                throw HCLFunctionError(argument: 0, "CSV parse error on line \(r.line): wrong number of fields")
            }
            rows.append(.object(Dictionary(uniqueKeysWithValues: zip(header.fields, r.fields.map(HCLValue.string)))))
        }
        let type = HCLType.object(Dictionary(uniqueKeysWithValues: header.fields.map { ($0, HCLType.string) }))
        return .list(rows, type)
    }

    /// Records with the line each starts on; blank lines are skipped as Go does.
    static func parse(_ text: String) throws(HCLFunctionError) -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        let s = Array(text.replacingText("\r\n", with: "\n").unicodeScalars)
        var i = 0
        var line = 1
        while i < s.count {
            if s[i] == "\n" { i += 1; line += 1; continue }
            let start = line
            var fields: [String] = []
            var field = String.UnicodeScalarView()
            var done = false
            while !done {
                if i < s.count, s[i] == "\"" {
                    i += 1
                    while true {
                        guard i < s.count else { throw HCLFunctionError(argument: 0, "CSV parse error on line \(start): extraneous or missing \" in quoted-field") }
                        if s[i] == "\"" {
                            if i + 1 < s.count, s[i + 1] == "\"" { field.append("\""); i += 2; continue }
                            i += 1
                            break
                        }
                        if s[i] == "\n" { line += 1 }
                        field.append(s[i]); i += 1
                    }
                    if i < s.count, s[i] != ",", s[i] != "\n" {
                        throw HCLFunctionError(argument: 0, "CSV parse error on line \(line): extraneous or missing \" in quoted-field")
                    }
                } else {
                    while i < s.count, s[i] != ",", s[i] != "\n" {
                        if s[i] == "\"" { throw HCLFunctionError(argument: 0, "CSV parse error on line \(line): bare \" in non-quoted-field") }
                        field.append(s[i]); i += 1
                    }
                }
                fields.append(String(field))
                field = String.UnicodeScalarView()
                if i < s.count, s[i] == "," { i += 1 } else { done = true }
            }
            if i < s.count, s[i] == "\n" { i += 1; line += 1 }
            records.append((start, fields))
        }
        return records
    }
}

/// A gzip member holding `bytes` in stored (uncompressed) deflate blocks: any gzip reader
/// gets the same bytes back, though the text differs from Go's compressed output.
enum Gzip {
    /// The gzip member.
    static func stored(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 255]
        var offset = 0
        repeat {
            let n = min(65535, bytes.count - offset)
            let last = offset + n >= bytes.count
            out.append(last ? 1 : 0)
            out += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            out += bytes[offset..<offset + n]
            offset += n
        } while offset < bytes.count
        let crc = crc32(bytes)
        for v in [crc, UInt32(truncatingIfNeeded: bytes.count)] {
            out += [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF), UInt8((v >> 16) & 0xFF), UInt8(v >> 24)]
        }
        return out
    }

    /// CRC-32 (IEEE), as gzip's trailer carries it.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = c & 1 == 1 ? (c >> 1) ^ 0xEDB8_8320 : c >> 1 }
        }
        return ~c
    }
}
