import FoundationEssentials

/// Where winrm-run writes remote output: byte for byte, or as Packer prints it with a
/// build name (`    NAME: line` on stdout, `==> NAME: line` on stderr, trailing
/// whitespace and CR trimmed). The same format as ssh-run's `--prefix`.
public final class WinRMOutput: @unchecked Sendable {
    /// The build name used as prefix; nil writes remote bytes unchanged.
    public let prefix: String?
    /// Drop remote output (housekeeping commands).
    public var discard = false
    private var partial: [WinRMStream: [UInt8]] = [:]

    /// Makes one.
    public init(prefix: String?) { self.prefix = prefix }

    /// A status line (`==> NAME: text`), only when a prefix is set.
    public func say(_ text: String) {
        guard let prefix else { return }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            StandardStream.err(Self.trimmed("==> \(prefix): \(line)") + "\n")
        }
    }

    /// Takes remote bytes as they arrive.
    public func write(_ stream: WinRMStream, _ bytes: [UInt8]) {
        if discard { return }
        let fd: Int32 = stream == .stdout ? 1 : 2
        guard let prefix else { StandardStream.write(bytes, to: fd); return }
        var buffer = partial[stream, default: []] + bytes
        while let nl = buffer.firstIndex(of: 10) {
            emit(stream, Array(buffer[..<nl]), prefix: prefix)
            buffer.removeFirst(nl + 1)
        }
        partial[stream] = buffer
    }

    /// Writes any unterminated last lines.
    public func flush() {
        guard let prefix else { return }
        for stream in [WinRMStream.stdout, .stderr] {
            if let rest = partial[stream], !rest.isEmpty { emit(stream, rest, prefix: prefix) }
            partial[stream] = []
        }
    }

    private func emit(_ stream: WinRMStream, _ line: [UInt8], prefix: String) {
        let text = String(decoding: line, as: UTF8.self)
        let lead = stream == .stdout ? "    \(prefix): " : "==> \(prefix): "
        StandardStream.write(Array((Self.trimmed(lead + text) + "\n").utf8), to: stream == .stdout ? 1 : 2)
    }

    /// Packer trims trailing whitespace (and the CR of CRLF) from every UI line.
    static func trimmed(_ s: String) -> String {
        var scalars = s.unicodeScalars
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }
}
