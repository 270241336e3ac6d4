@testable import EcsSimKit
import AlicloudKit
import Foundation
import Testing

/// A process holding the SSH port on every address (a machine's own sshd on 0.0.0.0:22) left
/// no address free, and allocateAddress drew addresses for ever: the emulator hung.
@Suite struct SSHPortTests {
    /// A listening socket on 0.0.0.0 at a port the kernel picks.
    static func wildcardListener() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_addr.s_addr = INADDR_ANY
        let bound = withUnsafePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 1) == 0)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &sin) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        return (fd, Int(UInt16(bigEndian: sin.sin_port)))
    }

    @Test func aPortTakenOnEveryAddressIsSeenAndNoAllocationHangs() throws {
        let (fd, port) = try Self.wildcardListener()
        defer { close(fd) }
        #expect(Engine.portTakenOnEveryAddress(port))
        var config = EngineConfig()
        config.sshPort = port
        let engine = try Engine(config: config, host: NullHost())
        engine.lock.lock()
        let ip = engine.allocateAddress(owner: "i-test")
        engine.lock.unlock()
        #expect(ip.hasPrefix("127."))
        close(fd)
        #expect(!Engine.portTakenOnEveryAddress(port))
    }
}
