import Foundation
import Testing
@testable import AlicloudKit

@Suite struct HTTPClientTests {
    static func options(_ env: [String: String] = [:]) -> HTTPOptions {
        var o = HTTPOptions()
        o.environment = env
        o.connectTimeout = 2
        o.timeout = 10
        return o
    }

    @Test func getReusesOneConnection() throws {
        let server = try HTTPTestServer { r in .json(200, #"{"path":"\#(r.target)"}"#) }
        defer { server.stop() }
        let client = HTTPClient(options: Self.options())
        for i in 0..<3 {
            let resp = try client.send(HTTPRequest(method: "GET", url: server.url + "/x\(i)"))
            #expect(resp.status == 200)
            #expect(resp.bodyText == #"{"path":"/x\#(i)"}"#)
            #expect(resp.header("content-type") == "application/json")
        }
        #expect(server.connections == 1)
    }

    @Test func postBytesHasExactLengthAndNoExpect() throws {
        let server = try HTTPTestServer { r in HTTPTestServer.Reply(status: 201, body: r.body.reversed()) }
        defer { server.stop() }
        let client = HTTPClient(options: Self.options())
        let body = [UInt8](repeating: 0x41, count: 200_000) + [0x42]
        let resp = try client.send(HTTPRequest(method: "POST", url: server.url + "/p",
                                               headers: [("X-Test", "1")], body: .bytes(body)))
        #expect(resp.status == 201)
        #expect(resp.body == body.reversed())
        let got = try #require(server.requests.first)
        #expect(got.method == "POST")
        #expect(got.header("Content-Length") == "200001")
        #expect(got.header("Expect") == nil)
        #expect(got.header("Transfer-Encoding") == nil)
        #expect(got.header("X-Test") == "1")
        // An empty POST still says Content-Length: 0.
        _ = try client.send(HTTPRequest(method: "POST", url: server.url + "/e"))
        #expect(server.requests.last?.header("Content-Length") == "0")
    }

    @Test func putStreamsAFileRange() throws {
        let path = NSTemporaryDirectory() + "httptest-\(getpid())-range.bin"
        let data = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ $0 >> 9) }
        _ = FileManager.default.createFile(atPath: path, contents: Data(data))
        defer { unlink(path) }
        let server = try HTTPTestServer { r in .json(200, MD5.hash(r.body).hexString) }
        defer { server.stop() }
        let client = HTTPClient(options: Self.options())
        let resp = try client.send(HTTPRequest(method: "PUT", url: server.url + "/obj",
                                               body: .file(path: path, offset: 1000, length: 2_000_000)))
        #expect(resp.bodyText == MD5.hash(Array(data[1000..<2_001_000])).hexString)
        #expect(server.requests.first?.header("Content-Length") == "2000000")
        #expect(server.requests.first?.header("Transfer-Encoding") == nil)
        // A range past the end of the file fails instead of sending a short body.
        #expect(throws: ToolError.self) {
            _ = try client.send(HTTPRequest(method: "PUT", url: server.url + "/obj",
                                            body: .file(path: path, offset: 2_900_000, length: 200_000)))
        }
    }

    @Test func sinkReceivesLargeBodies() throws {
        let payload = (0..<1_500_000).map { UInt8(truncatingIfNeeded: $0) }
        let server = try HTTPTestServer { _ in HTTPTestServer.Reply(status: 200, body: payload) }
        defer { server.stop() }
        let client = HTTPClient(options: Self.options())
        var md5 = MD5()
        var total = 0
        let resp = try client.send(HTTPRequest(method: "GET", url: server.url + "/big")) { md5.update($0); total += $0.count }
        #expect(resp.body.isEmpty)
        #expect(total == payload.count)
        #expect(md5.finalize() == MD5.hash(payload))
    }

    @Test func timeoutIsSubSecondAndMapsTo75() throws {
        let server = try HTTPTestServer { _ in HTTPTestServer.Reply(status: 200, delay: 8) }
        defer { server.stop() }
        var o = Self.options()
        o.timeout = 0.3
        let client = HTTPClient(options: o)
        let start = Date()
        do {
            _ = try client.send(HTTPRequest(method: "GET", url: server.url + "/slow"))
            Issue.record("expected a timeout")
        } catch let e as ToolError {
            #expect(e.status == .tempFail)
            #expect(e.message.contains("timed out"))
        }
        // Not truncated to whole seconds (0.3 s would become 0: an instant failure), and
        // ended by the timeout, not by the server's answer 8 s later. Only bounds that a
        // loaded machine cannot break.
        let elapsed = Date().timeIntervalSince(start)
        #expect(elapsed >= 0.25)
        #expect(elapsed < 6)
    }

    @Test func refusedMapsTo69() throws {
        let server = try HTTPTestServer { _ in .json(200, "{}") }
        let port = server.port
        server.stop()
        let client = HTTPClient(options: Self.options())
        do {
            _ = try client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:\(port)/?Signature=abc"))
            Issue.record("expected a failure")
        } catch let e as ToolError {
            #expect(e.status == .unavailable)
            #expect(!e.message.contains("Signature"))
        }
    }

    @Test func upperCaseProxyVariablesAreHonoured() throws {
        let proxy = try HTTPTestServer { r in .json(200, r.target) }
        defer { proxy.stop() }
        let client = HTTPClient(options: Self.options(["HTTP_PROXY": proxy.url]))
        let resp = try client.send(HTTPRequest(method: "GET", url: "http://api.example.invalid/a?b=c"))
        #expect(resp.bodyText == "http://api.example.invalid/a?b=c")
        // NO_PROXY sends the request direct, where the name does not resolve: 69.
        let direct = HTTPClient(options: Self.options(["HTTP_PROXY": proxy.url, "NO_PROXY": "example.invalid"]))
        #expect(throws: ToolError.self) { _ = try direct.send(HTTPRequest(method: "GET", url: "http://api.example.invalid/a")) }
        #expect(proxy.requests.count == 1)
    }

    @Test func basicAuthorization() {
        #expect(HTTPRequest.basicAuthorization(user: "Aladdin", password: "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
    }
}
