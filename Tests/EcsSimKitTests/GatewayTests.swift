import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

@Suite struct GatewayTests {
    let keyId = "LTAI5tTestKey"
    let secret = "TestSecret/With+Special=Chars"

    func gateway() throws -> Gateway {
        let engine = try Engine(config: EngineConfig(), host: NullHost())
        return Gateway(engine: engine, credentials: AccessKeys(keys: [keyId: secret]), log: nil)
    }

    func signedQuery(_ action: String, _ extra: [String: String] = [:], secret: String? = nil, nonce: String = UUID().uuidString,
                     time: Double = Date().timeIntervalSince1970, method: String = "GET") -> String {
        var p = ["Action": action, "Version": "2014-05-26", "Format": "JSON", "AccessKeyId": keyId, "SignatureMethod": "HMAC-SHA1",
                 "SignatureVersion": "1.0", "SignatureNonce": nonce, "Timestamp": SimTime.iso(time), "RegionId": "cn-hangzhou"]
        p.merge(extra) { $1 }
        p["Signature"] = RPCSignature.sign(method: method, params: p, secret: secret ?? self.secret)
        return p.map { RPCSignature.percentEncode($0.key) + "=" + RPCSignature.percentEncode($0.value) }.joined(separator: "&")
    }

    func body(_ r: EcsSimKit.ServerResponse) throws -> JSONValue { try JSONParser.parse(r.body) }

    @Test func signedRequestsPassAndBadOnesFailWithTheRealErrors() throws {
        let g = try gateway()
        let ok = g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + signedQuery("DescribeRegions")))
        #expect(ok.status == 200)
        #expect(try body(ok)["RequestId"]?.stringValue?.count == 36)

        let bad = g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + signedQuery("DescribeRegions", secret: "wrong")))
        #expect(bad.status == 400)
        let b = try body(bad)
        #expect(b["Code"] == "SignatureDoesNotMatch")
        #expect(b["Message"]?.stringValue?.contains("server string to sign is:GET&%2F&AccessKeyId") == true)
        #expect(b["HostId"] == "ecs.aliyuncs.com" && b["Recommend"]?.stringValue?.contains("q=SignatureDoesNotMatch") == true)

        let old = g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + signedQuery("DescribeRegions", time: Date().timeIntervalSince1970 - 3600)))
        #expect(old.status == 400)
        #expect(try body(old)["Code"] == "InvalidTimeStamp.Expired")

        let q = signedQuery("DescribeRegions", nonce: "same-nonce")
        #expect(g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + q)).status == 200)
        let replay = g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + q))
        #expect(try body(replay)["Code"] == "SignatureNonceUsed")

        let unknown = g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + signedQuery("DescribeRegions").replacingOccurrences(of: "AccessKeyId=\(keyId)", with: "AccessKeyId=LTAI5tOther")))
        #expect(unknown.status == 404)
        #expect(try body(unknown)["Code"] == "InvalidAccessKeyId.NotFound")

        let action = g.handle(EcsSimKit.ServerRequest(method: "GET", target: "/?" + signedQuery("DescribeUnicorns")))
        #expect(action.status == 404)
        #expect(try body(action)["Code"] == "InvalidAction.NotFound")
    }

    @Test func postFormBodiesAndAbsoluteTargetsAreAccepted() throws {
        let g = try gateway()
        let q = signedQuery("DescribeZones", method: "POST")
        let viaBody = g.handle(EcsSimKit.ServerRequest(method: "POST", target: "/", headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Array(q.utf8)))
        #expect(viaBody.status == 200)
        let proxied = EcsSimKit.ServerRequest(method: "POST", target: "http://ecs-cn-hangzhou.aliyuncs.com/?" + signedQuery("DescribeZones", method: "POST"))
        #expect(proxied.host == "ecs-cn-hangzhou.aliyuncs.com" && proxied.path == "/")
        #expect(g.handle(proxied).status == 200)
    }

    @Test func v3SignatureIsVerified() throws {
        let g = try gateway()
        let query = ["RegionId": "cn-hangzhou"]
        var headers = ["host": "ecs.cn-hangzhou.aliyuncs.com", "x-acs-action": "DescribeRegions", "x-acs-version": "2014-05-26",
                       "x-acs-date": SimTime.iso(Date().timeIntervalSince1970), "x-acs-signature-nonce": UUID().uuidString,
                       "x-acs-content-sha256": ACS3Signature.emptyBodyHash]
        headers["Authorization"] = ACS3Signature.authorization(method: "POST", query: query, headers: headers, hashedBody: ACS3Signature.emptyBodyHash,
                                                               accessKeyId: keyId, secret: secret)
        let target = "/?" + ACS3Signature.canonicalQuery(query)
        let r = g.handle(EcsSimKit.ServerRequest(method: "POST", target: target, headers: headers.map { ($0.key, $0.value) }))
        #expect(r.status == 200)
        headers["x-acs-signature-nonce"] = "other"
        let tampered = g.handle(EcsSimKit.ServerRequest(method: "POST", target: target, headers: headers.map { ($0.key, $0.value) }))
        #expect(tampered.status == 400)
        #expect(try body(tampered)["Code"] == "SignatureDoesNotMatch")
    }

    @Test func requestLogRedactsSecrets() {
        #expect(RequestLog.isSecret("Password") && RequestLog.isSecret("Signature") && RequestLog.isSecret("SecurityToken"))
        #expect(!RequestLog.isSecret("ClientToken") && !RequestLog.isSecret("InstanceId"))
    }
}

@Suite struct HTTPParsingTests {
    @Test func chunkedBodiesAndContinue() throws {
        var fds: [Int32] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0)
        defer { close(fds[0]); close(fds[1]) }
        let raw = "POST /?a=1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"
        _ = Array(raw.utf8).withUnsafeBytes { write(fds[1], $0.baseAddress, $0.count) }
        var reader = SocketReader(fd: fds[0])
        let first = try HTTPServer.readRequest(&reader, peer: "127.0.0.1")
        #expect(first?.request.body == Array("hello world".utf8))
        #expect(first?.request.query == "a=1" && first?.keepAlive == true)
        var cont = [UInt8](repeating: 0, count: 64)
        let n = read(fds[1], &cont, 64)
        #expect(String(decoding: cont[0..<max(0, n)], as: UTF8.self) == "HTTP/1.1 100 Continue\r\n\r\n")
        let second = try HTTPServer.readRequest(&reader, peer: "127.0.0.1")
        #expect(second?.request.method == "GET" && second?.request.body.isEmpty == true)
    }

    @Test func formDecoding() {
        let pairs = FormCodec.decode("a=b%20c&d=e+f&g=%E6%B5%8B&h")
        #expect(pairs.map(\.0) == ["a", "d", "g", "h"])
        #expect(pairs.map(\.1) == ["b c", "e f", "测", ""])
    }
}
