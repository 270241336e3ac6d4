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

    /// The port in s_server's "ACCEPT host:port" line (nil if it exits first).
    static func acceptedPort(_ h: FileHandle) -> Int? {
        var text = ""
        while true {
            let chunk = h.availableData
            if chunk.isEmpty { return nil }
            text += String(decoding: chunk, as: UTF8.self)
            for line in text.split(separator: "\n") where line.hasPrefix("ACCEPT ") {
                if let colon = line.lastIndex(of: ":"), let p = Int(line[line.index(after: colon)...]) { return p }
            }
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl")))
    func customCAAndInsecure() throws {
        let dir = NSTemporaryDirectory() + "tlstest-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try Self.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                              "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                              "-keyout", dir + "/key.pem", "-out", dir + "/cert.pem"]) == 0)
        // s_server binds a port of the kernel's choosing and names it ("ACCEPT 127.0.0.1:PORT")
        // once it listens: no port probed free and bound again later, no polling.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["openssl", "s_server", "-accept", "127.0.0.1:0", "-www",
                            "-cert", dir + "/cert.pem", "-key", dir + "/key.pem"]
        let out = Pipe()
        server.standardInput = FileHandle.nullDevice
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: s_server was seen to outlive SIGTERM under the test runner.
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        let port = try #require(Self.acceptedPort(out.fileHandleForReading))
        let url = "https://127.0.0.1:\(port)/"
        var o = HTTPOptions()
        o.environment = [:]
        o.connectTimeout = 2
        o.timeout = 5
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
