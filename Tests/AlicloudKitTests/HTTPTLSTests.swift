import Foundation
import Testing
@testable import AlicloudKit

/// TLS against `openssl s_server` with a throwaway self-signed certificate for 127.0.0.1:
/// the system store rejects it, a caller-supplied CA file or the explicit insecure mode accept it.
@Suite struct HTTPTLSTests {
    static func run(_ args: [String]) throws -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func customCAAndInsecure() throws {
        let dir = NSTemporaryDirectory() + "tlstest-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                              "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"]) == 0)
        // A free port: bind one, release it, let s_server take it.
        let probe = try HTTPTestServer { _ in .json(200, "{}") }
        let port = probe.port
        probe.stop()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["openssl", "s_server", "-quiet", "-accept", "127.0.0.1:\(port)", "-www",
                            "-cert", dir + "/cert.pem", "-key", dir + "/key.pem"]
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: s_server was seen to outlive SIGTERM under the test runner.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let url = "https://127.0.0.1:\(port)/"
        var o = HTTPOptions()
        o.environment = [:]
        o.connectTimeout = 2
        o.timeout = 5
        // Wait until it listens.
        var up = false
        for _ in 0..<100 {
            var insecure = o
            insecure.insecure = true
            if (try? HTTPClient(options: insecure).send(HTTPRequest(method: "GET", url: url))) != nil { up = true; break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(up)
        do {
            _ = try HTTPClient(options: o).send(HTTPRequest(method: "GET", url: url))
            Issue.record("an unknown CA was accepted")
        } catch let e as ToolError {
            #expect(e.status == .unavailable)
        }
        var withCA = o
        withCA.caFile = dir + "/cert.pem"
        #expect(try HTTPClient(options: withCA).send(HTTPRequest(method: "GET", url: url)).status == 200)
        var insecure = o
        insecure.insecure = true
        #expect(try HTTPClient(options: insecure).send(HTTPRequest(method: "GET", url: url)).status == 200)
    }
}
