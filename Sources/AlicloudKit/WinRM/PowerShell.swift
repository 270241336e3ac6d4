import FoundationEssentials

/// PowerShell over a cmd.exe command line.
public enum PowerShell {
    /// cmd.exe's command-line limit (characters).
    public static let commandLineLimit = 8191

    /// Base64 of the script's UTF-16LE bytes, as `-EncodedCommand` takes it.
    public static func encode(_ script: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(script.utf16.count * 2)
        for unit in script.utf16 {
            bytes.append(UInt8(unit & 0xff))
            bytes.append(UInt8(unit >> 8))
        }
        return Data(bytes).base64EncodedString()
    }

    /// Decodes an `-EncodedCommand` argument; nil when it is not base64 of UTF-16LE.
    public static func decode(_ encoded: String) -> String? {
        guard let data = Data(base64Encoded: encoded), data.count % 2 == 0 else { return nil }
        var units: [UInt16] = []
        units.reserveCapacity(data.count / 2)
        var i = data.startIndex
        while i < data.endIndex {
            units.append(UInt16(data[i]) | UInt16(data[i + 1]) << 8)
            i += 2
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// The command line running `script`: progress records off (they would flood stderr
    /// as CLIXML), then the script.
    public static func commandLine(_ script: String) -> String {
        "powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -EncodedCommand "
            + encode("$ProgressPreference = 'SilentlyContinue'\n" + script)
    }

    /// A string as a single-quoted PowerShell literal.
    public static func quote(_ text: String) -> String {
        "'" + text.replacingText("'", with: "''") + "'"
    }
}

/// The CLIXML that Windows PowerShell writes to stderr when it is redirected
/// (`#< CLIXML` then `<Objs>` documents): turned back into plain text.
public enum CLIXML {
    /// The marker that starts a serialized stream.
    public static let marker = "#< CLIXML"

    /// Plain text of the `Error` and `Warning` strings of every `<Objs>` block (progress
    /// records dropped, `_xHHHH_` escapes decoded); the input unchanged when it does not
    /// start with the marker or does not parse.
    public static func plainText(_ bytes: [UInt8]) -> [UInt8] {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasPrefix(marker) else { return bytes }
        var rest = Substring(text.dropFirst(marker.count))
        var out = ""
        while let start = rest.rangeOfText("<Objs") {
            guard let end = rest[start.upperBound...].rangeOfText("</Objs>") else { return bytes }
            let doc = String(rest[start.lowerBound..<end.upperBound])
            guard let root = XMLElementNode.parse(Array(doc.utf8)) else { return bytes }
            for s in root.children("S") where ["Error", "Warning"].contains(s.attributes["S"] ?? "") {
                out += unescape(s.text)
            }
            rest = rest[end.upperBound...]
        }
        if !rest.trimmingSpace().isEmpty { out += rest }
        var result = Array(out.replacingText("\r\n", with: "\n").utf8)
        if let last = result.last, last != 10 { result.append(10) }
        return result
    }

    /// Decodes `_xHHHH_` escapes (UTF-16 code units, surrogate pairs included).
    public static func unescape(_ text: String) -> String {
        var units: [UInt16] = []
        let src = Array(text.utf16)
        var i = 0
        func hex(_ c: UInt16) -> UInt16? {
            switch c {
            case 48...57: return c - 48
            case 65...70: return c - 55
            case 97...102: return c - 87
            default: return nil
            }
        }
        while i < src.count {
            if src[i] == 95, i + 6 < src.count, src[i + 1] == 120, src[i + 6] == 95,  // _xHHHH_
               let a = hex(src[i + 2]), let b = hex(src[i + 3]), let c = hex(src[i + 4]), let d = hex(src[i + 5]) {
                units.append(a << 12 | b << 8 | c << 4 | d)
                i += 7
            } else {
                units.append(src[i])
                i += 1
            }
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Escapes text the way PowerShell's serializer does for CR, LF, `_x` and controls.
    public static func escape(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        let scalars = Array(text.unicodeScalars)
        for (i, c) in scalars.enumerated() {
            if c.value < 0x20 || (c == "_" && i + 1 < scalars.count && scalars[i + 1] == "x") {
                out.append(contentsOf: cFormat("_x%04X_", c.value).unicodeScalars)
            } else {
                out.append(c)
            }
        }
        return WSMan.escape(String(out))
    }
}

/// winrmcp's upload: the file as base64 lines appended by `echo` to a temporary file in
/// `%TEMP%` (each command under cmd.exe's line limit), then one PowerShell step decoding
/// it into place. A new shell is opened every `operationsPerShell` chunks.
public struct WinRMUpload: Sendable {
    /// The temporary file, as cmd.exe sees it.
    public var tempPath: String
    /// The destination path on the host.
    public var destination: String
    /// Chunks per shell (Packer and winrmcp use 15).
    public var operationsPerShell = 15

    /// Makes an upload with a fresh temporary name.
    public init(destination: String, id: String = UUID().uuidString.lowercased()) {
        self.destination = destination
        tempPath = "%TEMP%\\winrmcp-\(id).tmp"
    }

    /// Raw bytes per chunk: winrmcp's `((8000 - len(path)) / 4) * 3`.
    public var chunkSize: Int { ((8000 - tempPath.count) / 4) * 3 }

    /// The `echo <base64> >> "temp"` command lines, in order.
    public func chunkCommands(_ bytes: [UInt8]) -> [String] {
        var out: [String] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + chunkSize)
            out.append("echo \(Data(bytes[offset..<end]).base64EncodedString()) >> \"\(tempPath)\"")
            offset = end
        }
        return out
    }

    /// The PowerShell step that decodes the temporary file into `destination` (creating
    /// its directory, replacing an existing file) and removes the temporary file.
    public var restoreScript: String {
        let temp = "$env:TEMP\\" + (tempPath.split(separator: "\\").last.map(String.init) ?? "")
        return """
            $dst = [System.IO.Path]::GetFullPath(\(PowerShell.quote(destination)))
            if (Test-Path -Path $dst -PathType Container) { Write-Error "destination is a directory: $dst"; exit 1 }
            New-Item -ItemType Directory -Force -Path ([System.IO.Path]::GetDirectoryName($dst)) | Out-Null
            [System.IO.File]::WriteAllBytes($dst, [System.Convert]::FromBase64String((Get-Content -Path "\(temp)") -join ''))
            Remove-Item -Force -Path "\(temp)"
            exit 0
            """
    }
}
