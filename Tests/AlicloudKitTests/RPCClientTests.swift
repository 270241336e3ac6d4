import Foundation
import Testing
@testable import AlicloudKit

/// Records what a client did between attempts.
final class Recorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _lines: [String] = []
    private var _sleeps: [Double] = []
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return _lines }
    var sleeps: [Double] { lock.lock(); defer { lock.unlock() }; return _sleeps }
    func line(_ s: String) { lock.lock(); _lines.append(s); lock.unlock() }
    func sleep(_ s: Double) { lock.lock(); _sleeps.append(s); lock.unlock() }
}

/// A scripted sequence of replies; the last one repeats.
final class Script: @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [HTTPTestServer.Reply]
    init(_ replies: [HTTPTestServer.Reply]) { self.replies = replies }
    func next() -> HTTPTestServer.Reply {
        lock.lock(); defer { lock.unlock() }
        return replies.count > 1 ? replies.removeFirst() : replies[0]
    }
}

@Suite struct RPCClientTests {
    static let secret = "TestSecret/With+Special=Chars"
    static let token = "CAIS+token/with=chars"

    static func client(_ server: HTTPTestServer, product: String = "ecs", signature: SignatureVersion = .v1,
                       token: String? = nil, retries: Int = 3, recorder: Recorder = Recorder()) throws -> RPCClient {
        var o = RPCOptions(product: try CloudProduct.named(product))
        o.endpoint = try EndpointURL(server.url)
        o.region = "cn-hangzhou"
        o.signature = signature
        o.retries = retries
        o.timeout = 10
        o.environment = [:]
        o.sleep = { recorder.sleep($0) }
        o.random = { 0.999 }
        o.trace = { recorder.line($0) }
        let creds = Credentials(accessKeyId: "LTAI5tTestKeyId0001", accessKeySecret: secret, securityToken: token)
        return RPCClient(credentials: creds, options: o)
    }

    /// Answers like the API when the v1 signature verifies, with SignatureDoesNotMatch otherwise.
    static func verifying(_ body: @escaping @Sendable ([String: String]) -> HTTPTestServer.Reply) -> @Sendable (HTTPTestServer.Request) -> HTTPTestServer.Reply {
        { r in
            var params = r.query
            if let form = PercentEncoding.parseQuery(String(decoding: r.body, as: UTF8.self)) {
                for (k, v) in form { params[k] = v }
            }
            guard r.method == "POST", RPCSignature.verify(method: "POST", params: params, secret: secret) else {
                return .json(400, #"{"Code":"SignatureDoesNotMatch","Message":"bad","RequestId":"rq-sig"}"#)
            }
            return body(params)
        }
    }

    @Test func v1CallIsSignedAndCarriesCommonParameters() throws {
        let server = try HTTPTestServer(handler: Self.verifying { p in
            .json(200, #"{"RequestId":"rq-1","VpcId":"vpc-\#(p["VpcName"] ?? "")"}"#)
        })
        defer { server.stop() }
        let client = try Self.client(server, product: "vpc", token: Self.token)
        let v = try client.call("CreateVpc", ["VpcName": "a b/é", "UserData": String(repeating: "QUJD", count: 600)])
        #expect(v["VpcId"]?.stringValue == "vpc-a b/é")
        let q = try #require(server.requests.first).query
        #expect(q["Action"] == "CreateVpc")
        #expect(q["Version"] == "2016-04-28")
        #expect(q["Format"] == "JSON")
        #expect(q["RegionId"] == "cn-hangzhou")
        #expect(q["SignatureMethod"] == "HMAC-SHA1")
        #expect(q["SecurityToken"] == Self.token)
        #expect(q["ClientToken"]?.count == 36)
        #expect(q["Timestamp"]?.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"#, options: .regularExpression) != nil)
        // The large UserData travelled in the form body, and the signature still verified.
        #expect(q["UserData"] == nil)
        #expect(server.requests.first?.header("Content-Type") == "application/x-www-form-urlencoded")
    }

    @Test func v3CallVerifies() throws {
        let server = try HTTPTestServer { r in
            var headers: [String: String] = [:]
            for (k, v) in r.headers { headers[k.lowercased()] = v }
            let path = String(r.target.split(separator: "?", maxSplits: 1).first ?? "/")
            let ok = ACS3Signature.verify(authorization: r.header("Authorization") ?? "", method: r.method, path: path,
                                          query: r.query, headers: headers, body: r.body, secret: Self.secret)
            return ok ? .json(200, #"{"RequestId":"rq-3","Action":"\#(headers["x-acs-action"] ?? "")"}"#)
                : .json(400, #"{"Code":"SignatureDoesNotMatch","Message":"v3","RequestId":"x"}"#)
        }
        defer { server.stop() }
        let client = try Self.client(server, signature: .v3, token: Self.token)
        let v = try client.call("DescribeInstances", ["InstanceIds": #"["i-1"]"#, "Tag.1.Key": "a*b ~"])
        #expect(v["Action"]?.stringValue == "DescribeInstances")
        let r = try #require(server.requests.first)
        #expect(r.header("x-acs-version") == "2014-05-26")
        #expect(r.header("x-acs-security-token") == Self.token)
        #expect(r.query["RegionId"] == "cn-hangzhou")
        #expect(r.query["Action"] == nil)
    }

    @Test func retriesThrottlingWithOneClientToken() throws {
        let script = Script([
            .json(400, #"{"Code":"Throttling.User","Message":"slow down","RequestId":"r1"}"#),
            .json(503, #"{"Code":"ServiceUnavailable","Message":"busy","RequestId":"r2"}"#),
            .json(200, #"{"RequestId":"r3","VpcId":"vpc-1"}"#),
        ])
        let server = try HTTPTestServer(handler: Self.verifying { _ in script.next() })
        defer { server.stop() }
        let rec = Recorder()
        let client = try Self.client(server, product: "vpc", recorder: rec)
        let v = try client.call("CreateVpc", [:])
        #expect(v["VpcId"]?.stringValue == "vpc-1")
        let reqs = server.requests
        #expect(reqs.count == 3)
        let tokens = Set(reqs.map { $0.query["ClientToken"] ?? "" })
        #expect(tokens.count == 1 && !tokens.contains(""))
        #expect(Set(reqs.map { $0.query["SignatureNonce"] ?? "" }).count == 3)
        // Full jitter under an exponential ceiling: 0.5 s, then 1 s (random is 0.999).
        #expect(rec.sleeps.count == 2)
        #expect(rec.sleeps[0] > 0.49 && rec.sleeps[0] < 0.5)
        #expect(rec.sleeps[1] > 0.99 && rec.sleeps[1] < 1.0)
        // A caller's own ClientToken is kept.
        _ = try client.call("CreateVpc", ["ClientToken": "mine"])
        #expect(server.requests.last?.query["ClientToken"] == "mine")
        // Actions that do not accept one get none.
        _ = try client.call("DescribeVpcs", [:])
        #expect(server.requests.last?.query["ClientToken"] == nil)
    }

    @Test func retryAfterHeaderIsHonoured() throws {
        let script = Script([
            HTTPTestServer.Reply(status: 400, headers: [("x-acs-retry-after", "3000")],
                                 body: Array(#"{"Code":"Throttling","Message":"m","RequestId":"r"}"#.utf8)),
            .json(200, #"{"RequestId":"ok"}"#),
        ])
        let server = try HTTPTestServer(handler: Self.verifying { _ in script.next() })
        defer { server.stop() }
        let rec = Recorder()
        _ = try Self.client(server, recorder: rec).call("DescribeRegions", [:])
        #expect(rec.sleeps == [3.0])
    }

    @Test func clientErrorsAreNotRetried() throws {
        let server = try HTTPTestServer(handler: Self.verifying { _ in
            .json(400, #"{"Code":"InvalidParameter","Message":"The CidrBlock is bad.","RequestId":"rq-9"}"#)
        })
        defer { server.stop() }
        let rec = Recorder()
        do {
            _ = try Self.client(server, product: "vpc", recorder: rec).call("CreateVpc", ["CidrBlock": "x"])
            Issue.record("expected an APIError")
        } catch let e as APIError {
            #expect(e.description == "CreateVpc: InvalidParameter (HTTP 400): The CidrBlock is bad. [RequestId rq-9]")
            #expect(e.exitStatus == .failed)
            #expect(e.toolError.status == .failed)
        }
        #expect(server.requests.count == 1)
        #expect(rec.sleeps.isEmpty)
    }

    @Test func throttlingExhaustedIs75() throws {
        let server = try HTTPTestServer(handler: Self.verifying { _ in
            .json(400, #"{"Code":"Throttling.User","Message":"Request was denied due to user flow control.","RequestId":"rq-t"}"#)
        })
        defer { server.stop() }
        do {
            _ = try Self.client(server, product: "vpc", retries: 2).call("CreateVpc", [:])
            Issue.record("expected an APIError")
        } catch let e as APIError {
            #expect(e.toolError.message == "CreateVpc: Throttling.User (HTTP 400): Request was denied due to user flow control. [RequestId rq-t]")
            #expect(e.exitStatus == .tempFail)
            #expect(e.retriesExhausted)
        }
        #expect(server.requests.count == 3)
    }

    @Test func authRejectedIs77() throws {
        let server = try HTTPTestServer { _ in
            .json(404, #"{"Code":"InvalidAccessKeyId.NotFound","Message":"Specified access key is not found.","RequestId":"rq-a"}"#)
        }
        defer { server.stop() }
        do {
            _ = try Self.client(server).call("DescribeRegions", [:])
            Issue.record("expected an APIError")
        } catch let e as APIError {
            #expect(e.exitStatus == .noPermission)
        }
        #expect(server.requests.count == 1)
        // A wrong secret is caught by the verifying server: SignatureDoesNotMatch, 77.
        let strict = try HTTPTestServer(handler: Self.verifying { _ in .json(200, "{}") })
        defer { strict.stop() }
        var o = try Self.client(strict).options
        o.retries = 0
        let bad = RPCClient(credentials: Credentials(accessKeyId: "LTAI5tTestKeyId0001", accessKeySecret: "wrong-secret"), options: o)
        #expect(throws: APIError.self) { _ = try bad.call("DescribeRegions", [:]) }
        do { _ = try bad.call("DescribeRegions", [:]) } catch let e as APIError { #expect(e.exitStatus == .noPermission) }
    }

    @Test func busyCodesRetryOnlyWhereTheyApply() throws {
        let script = Script([
            .json(400, #"{"Code":"DependencyViolation","Message":"in use","RequestId":"r"}"#),
            .json(200, #"{"RequestId":"ok"}"#),
        ])
        let server = try HTTPTestServer(handler: Self.verifying { _ in script.next() })
        defer { server.stop() }
        _ = try Self.client(server).call("DeleteSecurityGroup", ["SecurityGroupId": "sg-1"])
        #expect(server.requests.count == 2)
        #expect(RetryPolicy.isBusy("DependencyViolation.VSwitch", action: "DeleteVSwitch"))
        #expect(!RetryPolicy.isBusy("DependencyViolation", action: "CreateVpc"))
        #expect(RetryPolicy.isBusy("Forbbiden", action: "DeleteVpc"))
        #expect(!RetryPolicy.isBusy("Forbbiden", action: "CreateVpc"))
        #expect(RetryPolicy.isBusy("IncorrectInstanceStatus.Initializing", action: "DeleteInstance"))
    }

    @Test func unreachableIs69AfterRetries() throws {
        let server = try HTTPTestServer { _ in .json(200, "{}") }
        server.stop()
        let rec = Recorder()
        do {
            _ = try Self.client(server, retries: 2, recorder: rec).call("DescribeRegions", [:])
            Issue.record("expected a failure")
        } catch let e as ToolError {
            #expect(e.status == .unavailable)
            #expect(e.message.hasPrefix("DescribeRegions: http://127.0.0.1:"))
        }
        #expect(rec.sleeps.count == 2)
    }

    @Test func malformedSuccessIs65() throws {
        let server = try HTTPTestServer { _ in HTTPTestServer.Reply(status: 200, body: Array("<html>".utf8)) }
        defer { server.stop() }
        #expect(throws: ToolError.self) { _ = try Self.client(server).call("DescribeRegions", [:]) }
        do { _ = try Self.client(server).call("DescribeRegions", [:]) } catch let e as ToolError { #expect(e.status == .dataError) }
        // A read that stays malformed used the whole retry budget, as a 5xx would.
        #expect(server.requests.count == 8)
    }

    @Test func aCutShortAnswerIsRetriedForReadsOnly() throws {
        let cut = HTTPTestServer.Reply(status: 200, body: Array(#"{"RequestId":"r1","Images":{"Image":[{"Ima"#.utf8))
        let script = Script([cut, .json(200, #"{"RequestId":"r2","Images":{"Image":[]}}"#)])
        let server = try HTTPTestServer(handler: Self.verifying { _ in script.next() })
        defer { server.stop() }
        let rec = Recorder()
        let v = try Self.client(server, recorder: rec).call("DescribeImages", [:])
        #expect(v["RequestId"]?.stringValue == "r2")
        #expect(server.requests.count == 2 && rec.sleeps.count == 1)
        // A mutating call's answer may stand for a change already made: reported, not resent.
        let once = Script([cut])
        let server2 = try HTTPTestServer(handler: Self.verifying { _ in once.next() })
        defer { server2.stop() }
        do {
            _ = try Self.client(server2).call("StopInstance", ["InstanceId": "i-1"])
            Issue.record("a malformed StopInstance answer was accepted")
        } catch let e as ToolError {
            #expect(e.status == .dataError)
        }
        #expect(server2.requests.count == 1)
        #expect(RetryPolicy.isReadOnly("DescribeImages") && RetryPolicy.isReadOnly("ListTagResources") && RetryPolicy.isReadOnly("GetRole"))
        #expect(!RetryPolicy.isReadOnly("CreateImage") && !RetryPolicy.isReadOnly("Getaway") && !RetryPolicy.isReadOnly("DeleteImage"))
    }

    @Test func pagesByPageNumber() throws {
        let server = try HTTPTestServer(handler: Self.verifying { p in
            let page = Int(p["PageNumber"] ?? "1")!
            let ids = (0..<2).map { (page - 1) * 2 + $0 }.filter { $0 < 5 }
            let items = ids.map { #"{"VpcId":"vpc-\#($0)"}"# }.joined(separator: ",")
            return .json(200, #"{"RequestId":"r\#(page)","TotalCount":5,"PageNumber":\#(page),"PageSize":2,"Vpcs":{"Vpc":[\#(items)]}}"#)
        })
        defer { server.stop() }
        let v = try Self.client(server, product: "vpc").callAllPages("DescribeVpcs", ["PageSize": "2"])
        #expect(try JSONQuery("Vpcs.Vpc[*].VpcId").render(v) == "vpc-0\nvpc-1\nvpc-2\nvpc-3\nvpc-4\n")
        #expect(v["TotalCount"]?.intValue == 5)
        #expect(v["PageNumber"] == nil)
        #expect(v["RequestId"]?.stringValue == "r3")
        #expect(server.requests.count == 3)
    }

    @Test func pagesByNextToken() throws {
        let server = try HTTPTestServer(handler: Self.verifying { p in
            switch p["NextToken"] {
            case nil: return .json(200, #"{"RequestId":"a","NextToken":"t1","Snapshots":{"Snapshot":[{"SnapshotId":"s-1"}]}}"#)
            case "t1"?: return .json(200, #"{"RequestId":"b","NextToken":"t2","Snapshots":{"Snapshot":[{"SnapshotId":"s-2"}]}}"#)
            default: return .json(200, #"{"RequestId":"c","NextToken":"","Snapshots":{"Snapshot":[{"SnapshotId":"s-3"}]}}"#)
            }
        })
        defer { server.stop() }
        let v = try Self.client(server).callAllPages("DescribeSnapshots", ["MaxResults": "1"])
        #expect(try JSONQuery("Snapshots.Snapshot[*].SnapshotId").render(v) == "s-1\ns-2\ns-3\n")
        #expect(v["NextToken"] == nil)
        #expect(server.requests.count == 3)
    }

    @Test func traceAndDryRunNeverShowSecrets() throws {
        let server = try HTTPTestServer(handler: Self.verifying { _ in .json(200, #"{"RequestId":"r"}"#) })
        defer { server.stop() }
        for sig in [SignatureVersion.v1, .v3] {
            let rec = Recorder()
            let client = try Self.client(server, signature: sig, token: Self.token, recorder: rec)
            if sig == .v1 { _ = try client.call("DescribeRegions", [:]) }
            let prepared = try client.prepare("DescribeRegions", [:])
            let texts = rec.lines + [prepared.stringToSignForDisplay, prepared.displayParameters.description]
            #expect(!texts.isEmpty)
            for t in texts {
                for s in [Self.secret, Self.token, PercentEncoding.encode(Self.token), PercentEncoding.encode(PercentEncoding.encode(Self.token)),
                          PercentEncoding.encode(Self.secret)] {
                    #expect(!t.contains(s), "\(sig) leaked in: \(t)")
                }
            }
            if sig == .v1 { #expect(rec.lines.contains { $0.hasPrefix("string-to-sign: POST&%2F&") }) }
        }
        // And stderr redacts them as a second line of defence.
        #expect(!Secrets.redact("x \(Self.secret) \(PercentEncoding.encode(Self.token))").contains(Self.secret))
    }

    @Test func timestampsAreUTC() {
        #expect(RPCClient.timestamp(Date(timeIntervalSince1970: 1_714_979_289)) == "2024-05-06T07:08:09Z")
    }

    @Test func flattening() {
        #expect(RPCParameters.list("SecurityGroupIds", ["sg-1", "sg-2"]) == ["SecurityGroupIds.1": "sg-1", "SecurityGroupIds.2": "sg-2"])
        #expect(RPCParameters.tags(["b": "2", "a": "1"]) == ["Tag.1.Key": "a", "Tag.1.Value": "1", "Tag.2.Key": "b", "Tag.2.Value": "2"])
        #expect(RPCParameters.objects("DataDisk", [["Size": "20", "Category": "cloud_essd"]])
            == ["DataDisk.1.Size": "20", "DataDisk.1.Category": "cloud_essd"])
        #expect(RPCParameters.jsonArray(["i-a", "i-\"b"]) == #"["i-a","i-\"b"]"#)
        #expect(RPCParameters.flatten("DiskDeviceMapping", [["OSSBucket": "b", "DiskImageSize": 20]])
            == ["DiskDeviceMapping.1.OSSBucket": "b", "DiskDeviceMapping.1.DiskImageSize": "20"])
    }
}

@Suite struct EndpointTests {
    @Test func productEndpoints() throws {
        #expect(try CloudProduct.named("ecs").endpoint(region: "eu-central-1") == "https://ecs.eu-central-1.aliyuncs.com")
        #expect(try CloudProduct.named("ecs").endpoint(region: nil) == "https://ecs.aliyuncs.com")
        #expect(try CloudProduct.named("vpc").endpoint(region: "cn-hangzhou") == "https://vpc.aliyuncs.com")
        #expect(try CloudProduct.named("vpc").endpoint(region: "ap-southeast-1") == "https://vpc.ap-southeast-1.aliyuncs.com")
        #expect(try CloudProduct.named("ram").endpoint(region: "cn-beijing") == "https://ram.aliyuncs.com")
        #expect(try CloudProduct.named("sts").version == "2015-04-01")
        #expect(try CloudProduct.named("ram").version == "2015-05-01")
        #expect(throws: ToolError.self) { try CloudProduct.named("nosuch") }
        #expect(try CloudProduct.named("nosuch", version: "2020-01-01").version == "2020-01-01")
    }

    @Test func endpointURLs() throws {
        let e = try EndpointURL("http://127.0.0.1:8080")
        #expect(e.hostHeader == "127.0.0.1:8080")
        #expect(e.string == "http://127.0.0.1:8080/")
        #expect(try EndpointURL("ecs.cn-hangzhou.aliyuncs.com").string == "https://ecs.cn-hangzhou.aliyuncs.com/")
        #expect(try EndpointURL("https://h:443").hostHeader == "h")
        for bad in ["ftp://x", "http://", "http://h:99999", "http://h/?a=b", "not a url"] {
            #expect(throws: ToolError.self, "\(bad)") { try EndpointURL(bad) }
        }
    }
}
