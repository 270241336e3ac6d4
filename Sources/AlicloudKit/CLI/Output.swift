#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import FoundationEssentials

/// Unbuffered writes to the standard streams, safe from any thread. A failed write to
/// standard output is remembered: the runner turns it into exit 74 (`runTool`).
public enum StandardStream {
    private static let lock = Lock()
    nonisolated(unsafe) private static var firstOutputError: Int32 = 0

    /// Writes all bytes to a file descriptor, retrying short writes and EINTR; false (and,
    /// for standard output, the error kept for `outputError`) when a write fails.
    @discardableResult
    public static func write(_ bytes: [UInt8], to fd: Int32) -> Bool {
        let failure: Int32 = bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return 0
        }
        if failure != 0 && fd == 1 {
            lock.lock()
            if firstOutputError == 0 { firstOutputError = failure }
            lock.unlock()
        }
        return failure == 0
    }

    /// The first error a write to standard output met, as `stdout: cause`, or nil.
    public static var outputError: String? {
        lock.lock()
        defer { lock.unlock() }
        return firstOutputError == 0 ? nil : "stdout: \(String(cString: strerror(firstOutputError)))"
    }

    /// Writes raw data to standard output.
    public static func out(_ data: Data) { write([UInt8](data), to: 1) }
    /// Writes text to standard output.
    public static func out(_ text: String) { write(Array(text.utf8), to: 1) }
    /// Writes text to standard error, with secrets redacted.
    public static func err(_ text: String) { write(Array(Secrets.redact(text).utf8), to: 2) }
}

/// A registry of secret values that no output may show; every stderr line passes
/// through `redact`.
public enum Secrets {
    private static let lock = Lock()
    nonisolated(unsafe) private static var values: [String] = []

    /// Registers a value that must never be printed (ignores values under 4 characters,
    /// which would redact ordinary text).
    public static func register(_ value: String?) {
        guard let value, value.count >= 4 else { return }
        lock.lock()
        defer { lock.unlock() }
        if !values.contains(value) {
            values.append(value)
            values.sort { $0.count > $1.count }
        }
    }

    /// Replaces every registered secret in `text` with `<redacted>`.
    public static func redact(_ text: String) -> String {
        lock.lock()
        let current = values
        lock.unlock()
        var result = text
        for value in current where result.contains(value) {
            result = result.replacingText(value, with: "<redacted>")
        }
        return result
    }
}
