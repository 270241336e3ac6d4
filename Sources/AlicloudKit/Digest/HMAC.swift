/// HMAC (RFC 2104) over any `HashFunction`, streaming.
public struct HMAC<H: HashFunction>: Sendable {
    @usableFromInline var inner: H
    @usableFromInline var outerKey: [UInt8]

    /// Starts a MAC with `key` (hashed first when longer than the block size).
    public init(key: [UInt8]) {
        var k = key.count > H.blockSize ? H.hash(key) : key
        k += [UInt8](repeating: 0, count: H.blockSize - k.count)
        inner = H()
        inner.update(k.map { $0 ^ 0x36 })
        outerKey = k.map { $0 ^ 0x5c }
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) { inner.update(bytes) }
    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) { inner.update(bytes) }
    /// Adds a string's UTF-8 bytes to the message.
    public mutating func update(_ s: String) { inner.update(s) }

    /// The authentication code of everything added so far.
    public func finalize() -> [UInt8] {
        var outer = H()
        outer.update(outerKey)
        outer.update(inner.finalize())
        return outer.finalize()
    }

    /// The authentication code of `message` under `key`.
    public static func authenticationCode(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var mac = HMAC(key: key)
        mac.update(message)
        return mac.finalize()
    }

    /// The authentication code of a UTF-8 `message` under a UTF-8 `key`.
    public static func authenticationCode(key: String, message: String) -> [UInt8] {
        authenticationCode(key: Array(key.utf8), message: Array(message.utf8))
    }
}
