import Foundation
import Testing
@testable import AlicloudKit

/// Vectors from ../shared/ref/aliyun-api.md §6.4 (official SDK tests and oss-v2/oss2 computed).
@Suite struct OSSSignatureTests {
    let ak = "LTAI5tTestKeyId0001"
    let sk = "TestSecret/With+Special=Chars"
    let date = "Mon, 06 May 2024 07:08:09 GMT"
    let md5 = "S0EUoYu/KkxURvmvzPmSPw=="

    @Test func s1OfficialV1() {
        let headers = [("Content-MD5", "eB5eJF1ptWaXm4bijSPyxw=="), ("Content-Type", "text/html"),
                       ("x-oss-meta-author", "alice"), ("x-oss-meta-magic", "abracadabra"),
                       ("x-oss-date", "Wed, 28 Dec 2022 10:27:41 GMT")]
        let input = OSSCanonicalInput(method: "PUT", bucket: "examplebucket", key: "nelson", headers: headers)
        #expect(OSSSignature.v1StringToSign(input) == "PUT\neB5eJF1ptWaXm4bijSPyxw==\ntext/html\nWed, 28 Dec 2022 10:27:41 GMT\nx-oss-date:Wed, 28 Dec 2022 10:27:41 GMT\nx-oss-meta-author:alice\nx-oss-meta-magic:abracadabra\n/examplebucket/nelson")
        #expect(OSSSignature.v1Authorization(input, accessKeyId: "ak", secret: "sk") == "OSS ak:kSHKmLxlyEAKtZPkJhG9bZb5k7M=")
        let acl = OSSCanonicalInput(method: "PUT", bucket: "examplebucket", key: "nelson", query: [("acl", "")], headers: headers)
        #expect(OSSSignature.v1Authorization(acl, accessKeyId: "ak", secret: "sk") == "OSS ak:/afkugFbmWDQ967j1vr6zygBLQk=")
    }

    @Test func s2OfficialV4() {
        let query = [("param1", "value1"), ("+param1", "value3"), ("|param1", "value4"), ("+param2", ""), ("|param2", ""), ("param2", "")]
        let input = OSSCanonicalInput(method: "PUT", bucket: "bucket", key: "1234+-/123/1.txt", query: query, headers: [
            ("x-oss-head1", "value"), ("abc", "value"), ("ZAbc", "value"), ("XYZ", "value"), ("content-type", "text/plain"),
            ("x-oss-content-sha256", "UNSIGNED-PAYLOAD"), ("x-oss-date", "20231216T162057Z")])
        let auth = OSSSignature.v4Authorization(input, accessKeyId: "ak", secret: "sk", region: "cn-hangzhou")
        #expect(auth == "OSS4-HMAC-SHA256 Credential=ak/20231216/cn-hangzhou/oss/aliyun_v4_request,Signature=e21d18daa82167720f9b1047ae7e7f1ce7cb77a31e8203a7d5f4624fa0284afe")
    }

    @Test func k1ToK4ComputedV1() {
        let k1 = OSSCanonicalInput(method: "PUT", bucket: "my-bucket", key: "images/disk 1.raw", headers: [
            ("Content-MD5", md5), ("Content-Type", "application/octet-stream"), ("x-oss-meta-owner", "team a"),
            ("x-oss-hash-crc64ecma", "0"), ("Date", date)])
        #expect(OSSSignature.v1StringToSign(k1) == "PUT\n\(md5)\napplication/octet-stream\n\(date)\nx-oss-hash-crc64ecma:0\nx-oss-meta-owner:team a\n/my-bucket/images/disk 1.raw")
        #expect(OSSSignature.v1Authorization(k1, accessKeyId: ak, secret: sk) == "OSS LTAI5tTestKeyId0001:4kiNLxLkTjmn8vtanyLvRykt0S0=")
        let k2 = OSSCanonicalInput(method: "PUT", bucket: "my-bucket", key: "images/disk.qcow2",
                                   query: [("uploadId", "0004B9895DBBB6EC98E36"), ("partNumber", "3")], headers: [
            ("Content-Type", "application/octet-stream"), ("x-oss-security-token", "CAIS+token/with=chars"), ("Date", date)])
        #expect(OSSSignature.v1Authorization(k2, accessKeyId: ak, secret: sk) == "OSS LTAI5tTestKeyId0001:2+kNL/LoEMHucRkzydzRJ84iRow=")
        let k3 = OSSCanonicalInput(method: "POST", bucket: "my-bucket", key: "images/disk.qcow2", query: [("uploads", "")],
                                   headers: [("Content-Type", "application/octet-stream"), ("Date", date)])
        #expect(OSSSignature.v1Authorization(k3, accessKeyId: ak, secret: sk) == "OSS LTAI5tTestKeyId0001:IKDe+zpkGAYmaB/mPOZWcNdw5EY=")
        let k4 = OSSCanonicalInput(method: "GET", bucket: "my-bucket", key: nil, query: [("bucketInfo", "")], headers: [("Date", date)])
        #expect(OSSSignature.v1StringToSign(k4) == "GET\n\n\n\(date)\n/my-bucket/?bucketInfo")
        #expect(OSSSignature.v1Authorization(k4, accessKeyId: ak, secret: sk) == "OSS LTAI5tTestKeyId0001:IsfHL03rDUZJd3NUKpo4I5x+Pbs=")
    }

    @Test func k5ToK7ComputedV4() {
        let v4 = [("x-oss-date", "20240506T070809Z"), ("x-oss-content-sha256", "UNSIGNED-PAYLOAD")]
        let k5 = OSSCanonicalInput(method: "PUT", bucket: "my-bucket", key: "images/disk 1.raw", headers: [
            ("Content-MD5", md5), ("Content-Type", "application/octet-stream"), ("x-oss-meta-owner", "team a")] + v4)
        let cr = OSSSignature.v4CanonicalRequest(k5)
        #expect(cr == "PUT\n/my-bucket/images/disk%201.raw\n\ncontent-md5:\(md5)\ncontent-type:application/octet-stream\nx-oss-content-sha256:UNSIGNED-PAYLOAD\nx-oss-date:20240506T070809Z\nx-oss-meta-owner:team a\n\n\nUNSIGNED-PAYLOAD")
        #expect(SHA256.hash(cr).hexString == "2c357711de39fc6e8530894f08f765ccb006e05577509655ed863eb1475e46bf")
        #expect(OSSSignature.v4Authorization(k5, accessKeyId: ak, secret: sk, region: "cn-hangzhou")
            == "OSS4-HMAC-SHA256 Credential=LTAI5tTestKeyId0001/20240506/cn-hangzhou/oss/aliyun_v4_request,Signature=5b3c837505de07f57d59c008e7f6fb4931c2db27a8ebb3d18e1a0c2fa01bec0e")
        let k6 = OSSCanonicalInput(method: "PUT", bucket: "my-bucket", key: "images/disk.qcow2",
                                   query: [("partNumber", "3"), ("uploadId", "0004B9895DBBB6EC98E36")],
                                   headers: [("Content-Type", "application/octet-stream"), ("x-oss-security-token", "CAIS+token/with=chars")] + v4)
        #expect(OSSSignature.v4Authorization(k6, accessKeyId: ak, secret: sk, region: "cn-hangzhou").hasSuffix(
            "Signature=e284a7d72c80c5c64abdefd035cd22a619303cbbf491c0c1887fd133ca663a54"))
        let k7 = OSSCanonicalInput(method: "POST", bucket: "my-bucket", key: "images/disk.qcow2", query: [("uploads", "")], headers: v4)
        #expect(OSSSignature.v4Authorization(k7, accessKeyId: ak, secret: sk, region: "cn-hangzhou").hasSuffix(
            "Signature=f193e86977f11fccb3921b8e6658798bf17aadea97aa4553c759e17ea20bc6d2"))
    }

    @Test func v4AuthorizationParses() {
        let parsed = OSSSignature.parseV4Authorization(
            "OSS4-HMAC-SHA256 Credential=ak/20240506/cn-hangzhou/oss/aliyun_v4_request, AdditionalHeaders=host;abc, Signature=00ff")
        #expect(parsed == OSSSignature.V4Authorization(accessKeyId: "ak", day: "20240506", region: "cn-hangzhou",
                                                       additionalHeaders: ["host", "abc"], signature: "00ff"))
        #expect(OSSSignature.parseV4Authorization("OSS ak:sig") == nil)
    }

    @Test func dates() {
        let d = Date(timeIntervalSince1970: 1714979289)  // 2024-05-06 07:08:09 UTC
        #expect(OSSSignature.httpDate(d) == date)
        #expect(OSSSignature.v4Timestamp(d) == "20240506T070809Z")
        #expect(OSSSignature.parseDate(date) == d)
        #expect(OSSSignature.parseDate("20240506T070809Z") == d)
    }

    @Test func endpoints() throws {
        let real = OSSEndpoint.region("cn-hangzhou")
        #expect(real.url(bucket: "b", key: "images/disk 1.raw", query: [("partNumber", "3"), ("uploadId", "X+Y")])
            == "https://b.oss-cn-hangzhou.aliyuncs.com/images/disk%201.raw?partNumber=3&uploadId=X%2BY")
        #expect(real.url(bucket: "b", key: nil, query: [("bucketInfo", "")]) == "https://b.oss-cn-hangzhou.aliyuncs.com/?bucketInfo")
        let local = try OSSEndpoint.parse("http://127.0.0.1:9000/")
        #expect(local.pathStyle)
        #expect(local.url(bucket: "b", key: "k/x", query: [("uploads", "")]) == "http://127.0.0.1:9000/b/k/x?uploads")
        #expect(try OSSEndpoint.parse("http://localhost:1").pathStyle)
        let named = try OSSEndpoint.parse("oss-eu-central-1.aliyuncs.com")
        #expect(!named.pathStyle && named.scheme == "https")
        #expect(throws: ToolError.self) { try OSSEndpoint.parse("ftp://x") }
        #expect(throws: ToolError.self) { try OSSEndpoint.parse("http://host/path") }
    }

    @Test func errorDocument() {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist.</Message><RequestId>R1</RequestId><HostId>h</HostId></Error>"
        let e = OSSError(response: HTTPResponse(status: 404, body: Array(body.utf8)))
        #expect(e.code == "NoSuchBucket" && e.requestId == "R1")
        #expect(e.description == "http 404: NoSuchBucket: The specified bucket does not exist. (request R1)")
        #expect(OSSError(status: 403, code: "SignatureDoesNotMatch").exitStatus == .noPermission)
        #expect(OSSError(status: 503, code: "ServiceUnavailable").exitStatus == .tempFail)
    }
}
