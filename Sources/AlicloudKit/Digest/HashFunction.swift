import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A streaming message digest: feed bytes with `update`, read the digest with `finalize`.
public protocol HashFunction: Sendable {
    /// A fresh state.
    init()
    /// Adds bytes to the message.
    mutating func update(_ bytes: UnsafeRawBufferPointer)
    /// The digest of everything added so far (the state itself is left unchanged).
    func finalize() -> [UInt8]
    /// The compression block size in bytes (64 for MD5, SHA-1, SHA-256), used by HMAC.
    static var blockSize: Int { get }
    /// The digest length in bytes.
    static var digestSize: Int { get }
}

extension HashFunction {
    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Adds the UTF-8 bytes of a string.
    public mutating func update(_ s: String) {
        var s = s
        s.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    /// Adds the bytes of a `Data`.
    public mutating func update(_ data: Data) {
        data.withUnsafeBytes { update($0) }
    }

    /// The digest of `bytes` in one call.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var h = Self()
        h.update(bytes)
        return h.finalize()
    }

    /// The digest of a string's UTF-8 bytes in one call.
    public static func hash(_ s: String) -> [UInt8] {
        var h = Self()
        h.update(s)
        return h.finalize()
    }

    /// The digest of a file's bytes, read in 1 MiB chunks (constant memory).
    public static func hash(contentsOf path: String) throws -> [UInt8] {
        var h = Self()
        try FileChunks.read(path) { h.update($0) }
        return h.finalize()
    }
}

/// Reads a file sequentially in fixed-size chunks.
public enum FileChunks {
    /// Calls `body` with successive chunks of the file at `path` (optionally only
    /// `length` bytes from `offset`); an unreadable file is a `ToolError` (66).
    public static func read(
        _ path: String, offset: Int64 = 0, length: Int64? = nil, chunkSize: Int = 1 << 20,
        _ body: (UnsafeRawBufferPointer) throws -> Void
    ) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ToolError(.noInput, "\(path): \(errnoText())")
        }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        var position = offset
        var remaining = length ?? Int64.max
        while remaining > 0 {
            let want = Int(min(Int64(chunkSize), remaining))
            let n = pread(fd, buffer.baseAddress, want, off_t(position))
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolError(.noInput, "\(path): \(errnoText())")
            }
            if n == 0 { break }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            position += Int64(n)
            remaining -= Int64(n)
        }
    }
}

/// Shared Merkle–Damgård bookkeeping: a partial block buffer and the message length.
/// `compress` is called with whole blocks straight from the caller's memory.
@usableFromInline
struct BlockBuffer: Sendable {
    @usableFromInline var bytes: [UInt8]
    @usableFromInline var count = 0
    @usableFromInline var total: UInt64 = 0

    @usableFromInline init(blockSize: Int) { bytes = [UInt8](repeating: 0, count: blockSize) }

    /// Feeds `input`; calls `compress(pointer, blockCount)` for every run of whole blocks.
    @inline(__always) @usableFromInline
    mutating func feed(_ input: UnsafeRawBufferPointer, blockSize: Int, _ compress: (UnsafeRawPointer, Int) -> Void) {
        guard var p = input.baseAddress, input.count > 0 else { return }
        var n = input.count
        total &+= UInt64(n)
        if count > 0 {
            let take = min(blockSize - count, n)
            bytes.withUnsafeMutableBytes { b in
                (b.baseAddress! + count).copyMemory(from: p, byteCount: take)
            }
            count += take
            p += take
            n -= take
            if count == blockSize {
                bytes.withUnsafeBytes { compress($0.baseAddress!, 1) }
                count = 0
            } else {
                return
            }
        }
        let whole = n / blockSize
        if whole > 0 {
            compress(p, whole)
            p += whole * blockSize
            n -= whole * blockSize
        }
        if n > 0 {
            bytes.withUnsafeMutableBytes { b in b.baseAddress!.copyMemory(from: p, byteCount: n) }
            count = n
        }
    }

    /// The final padded block(s) for a 64-byte-block hash with a 64-bit length field.
    func padding(bigEndianLength: Bool) -> [UInt8] {
        var tail = Array(bytes[0..<count])
        tail.append(0x80)
        while tail.count % 64 != 56 { tail.append(0) }
        let bits = total &* 8
        for i in 0..<8 {
            let shift = bigEndianLength ? UInt64(56 - 8 * i) : UInt64(8 * i)
            tail.append(UInt8(truncatingIfNeeded: bits >> shift))
        }
        return tail
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    public var hexString: String { AlicloudKit.hexString(self) }
    /// Standard Base64 with padding.
    public var base64String: String { Data(self).base64EncodedString() }
}

/// Lowercase hexadecimal of `bytes`.
public func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.underestimatedCount * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return String(decoding: out, as: UTF8.self)
}

/// Standard Base64 of `bytes`.
public func base64String(_ bytes: [UInt8]) -> String { Data(bytes).base64EncodedString() }

/// Bytes from a hexadecimal string, or nil when it is not hex of even length.
public func bytes(fromHex hex: String) -> [UInt8]? {
    let u = Array(hex.utf8)
    guard u.count % 2 == 0 else { return nil }
    func v(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(u.count / 2)
    var i = 0
    while i < u.count {
        guard let hi = v(u[i]), let lo = v(u[i + 1]) else { return nil }
        out.append(hi << 4 | lo)
        i += 2
    }
    return out
}
