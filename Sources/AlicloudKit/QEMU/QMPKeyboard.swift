import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Types boot commands into a running QEMU through its QMP socket (`-qmp unix:PATH,server,nowait`):
/// `send-key` for a key press, `input-send-event` for keys held down and let go.
public final class QMPKeyboard {
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Pause after each key (Packer's boot_key_interval).
    public var keyInterval: Double

    /// Connects to the socket at `path` and leaves QMP's capabilities negotiation done.
    public init(socket path: String, keyInterval: Double) throws {
        self.keyInterval = keyInterval
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ToolError(.usage, "--qmp \(path): a socket path has at most 107 bytes")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (k, b) in bytes.enumerated() { raw[k] = b }
        }
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ToolError(.cantCreate, "socket: \(errnoText())") }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let cause = errnoText()
            close(fd)
            throw ToolError(.unavailable, "\(path): cannot connect to QEMU's QMP socket: \(cause)")
        }
        _ = try readMessage()  // the greeting
        try execute(#"{"execute":"qmp_capabilities"}"#)
    }

    deinit { close(fd) }

    /// Types the actions in order; pauses with `sleep` (replaceable in tests).
    public func type(_ actions: [BootAction], sleep: (Double) -> Void = { sleepSeconds($0) }) throws {
        let holdMs = max(1, Int(keyInterval * 1000))
        for action in actions {
            switch action {
            case .press(let key, let shift):
                let keys = (shift ? [#"{"type":"qcode","data":"shift"}"#] : []) + [#"{"type":"qcode","data":"\#(key)"}"#]
                try execute(#"{"execute":"send-key","arguments":{"keys":[\#(keys.joined(separator: ","))],"hold-time":\#(holdMs)}}"#)
                sleep(keyInterval)
            case .down(let key), .up(let key):
                let down = action == .down(key)
                try execute(#"{"execute":"input-send-event","arguments":{"events":[{"type":"key","data":{"down":\#(down),"key":{"type":"qcode","data":"\#(key)"}}}]}}"#)
                sleep(keyInterval)
            case .wait(let seconds):
                sleep(seconds)
            }
        }
    }

    /// Sends one command and waits for its answer (events in between are skipped).
    func execute(_ command: String) throws {
        var out = Array((command + "\n").utf8)
        while !out.isEmpty {
            let n = out.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw ToolError(.unavailable, "QMP: the connection to QEMU was lost (\(errnoText()))") }
            out.removeFirst(n)
        }
        while true {
            let message = try readMessage()
            if message["event"] != nil { continue }
            if let error = message["error"] {
                let text = error["desc"]?.stringValue ?? "unknown error"
                throw ToolError(.failed, "QMP: \(text) (command \(command))")
            }
            if message["return"] != nil { return }
        }
    }

    /// One JSON line from QEMU.
    func readMessage() throws -> JSONValue {
        while true {
            if let nl = buffer.firstIndex(of: 10) {
                let line = Array(buffer[..<nl])
                buffer.removeSubrange(...nl)
                if line.allSatisfy({ $0 == 13 || $0 == 32 }) { continue }
                do { return try JSONParser.parse(line) } catch {
                    throw ToolError(.failed, "QMP: not a JSON message: \(String(decoding: line.prefix(80), as: UTF8.self))")
                }
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw ToolError(.unavailable, "QMP: QEMU closed the connection (has the virtual machine stopped?)") }
            buffer += chunk[..<n]
        }
    }
}
