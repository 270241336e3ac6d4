import Testing
@testable import AlicloudKit

/// Vectors from ../shared/ref/aliyun-api.md §1 (RPC v1) and §2 (ACS3, V3).
@Suite struct RPCSignatureTests {
    static let ak = "LTAI5tTestKeyId0001"
    static let sk = "TestSecret/With+Special=Chars"
    static let common = [
        "AccessKeyId": ak, "Format": "JSON", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
        "SignatureNonce": "c8a1f0e2-5b6d-4e1f-9a7b-0123456789ab", "Timestamp": "2024-05-06T07:08:09Z",
    ]
    static let doc = [
        "AccessKeyId": "testid", "Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0", "Version": "2014-05-26",
    ]

    @Test func percentEncoding() {
        #expect(RPCSignature.percentEncode("a b*c~d/e+f=g:h") == "a%20b%2Ac~d%2Fe%2Bf%3Dg%3Ah")
        #expect(RPCSignature.percentEncode("build (tmp)! it's *ok* ~ \u{1F680}")
            == "build%20%28tmp%29%21%20it%27s%20%2Aok%2A%20~%20%F0%9F%9A%80")
        #expect(RPCSignature.percentEncode("clé-测试_key.1") == "cl%C3%A9-%E6%B5%8B%E8%AF%95_key.1")
        #expect(PercentEncoding.decode("a%20b%2Ac~%F0%9F%9A%80") == "a b*c~\u{1F680}")
        #expect(PercentEncoding.decode("a+b", plusIsSpace: true) == "a b")
        #expect(PercentEncoding.decode("%zz") == nil)
        #expect(PercentEncoding.decode("%4") == nil)
        #expect(PercentEncoding.decode("%FF") == nil)
    }

    @Test func officialO1() {
        var p = Self.doc
        p["Timestamp"] = "2016-02-23T12:46:24Z"
        #expect(RPCSignature.stringToSign(method: "GET", params: p)
            == "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26")
        #expect(RPCSignature.sign(method: "GET", params: p, secret: "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY=")
        var old = Self.doc
        old["TimeStamp"] = "2016-02-23T12:46:24Z"
        #expect(RPCSignature.sign(method: "GET", params: old, secret: "testsecret") == "CT9X0VtwR86fNWSnsc6v8YGOjuE=")
    }

    @Test func officialO2() {
        let p = [
            "AccessKeyId": "testid", "Action": "DescribeDedicatedHosts", "Format": "JSON", "RegionId": "cn-beijing",
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "edb2b34af0af9a6d14deaf7c1a5315eb", "SignatureVersion": "1.0",
            "Timestamp": "2023-03-13T08:34:30Z", "Version": "2014-05-26",
        ]
        #expect(RPCSignature.sign(method: "GET", params: p, secret: "testsecret") == "9NaGiOspFP5UPcwX8Iwt2YJXXuk=")
    }

    @Test func computedV1DescribeInstances() {
        let p = Self.common.merging([
            "Action": "DescribeInstances", "Version": "2014-05-26", "RegionId": "cn-hangzhou",
            "InstanceIds": #"["i-bp1aaaaaaaaaaaaaaaa","i-bp1bbbbbbbbbbbbbbbb"]"#, "PageSize": "100",
            "Tag.1.Key": "team name", "Tag.1.Value": "a*b~c/d", "Tag.2.Key": "env", "Tag.2.Value": "prod",
            "Tag.10.Key": "z", "Tag.10.Value": "last",
        ]) { $1 }
        #expect(RPCSignature.canonicalizedQuery(p)
            == "AccessKeyId=LTAI5tTestKeyId0001&Action=DescribeInstances&Format=JSON&InstanceIds=%5B%22i-bp1aaaaaaaaaaaaaaaa%22%2C%22i-bp1bbbbbbbbbbbbbbbb%22%5D&PageSize=100&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureNonce=c8a1f0e2-5b6d-4e1f-9a7b-0123456789ab&SignatureVersion=1.0&Tag.1.Key=team%20name&Tag.1.Value=a%2Ab~c%2Fd&Tag.10.Key=z&Tag.10.Value=last&Tag.2.Key=env&Tag.2.Value=prod&Timestamp=2024-05-06T07%3A08%3A09Z&Version=2014-05-26")
        #expect(RPCSignature.sign(method: "GET", params: p, secret: Self.sk) == "kki19SAqnKBy+rV/nudDxpJPZSY=")
    }

    @Test func computedV2ImportKeyPairSTS() {
        let p = Self.common.merging([
            "Action": "ImportKeyPair", "Version": "2014-05-26", "RegionId": "eu-central-1",
            "KeyPairName": "clé-测试_key.1", "PublicKeyBody": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA+b/c= user@host",
            "SecurityToken": "CAIS+token/with=chars", "ResourceGroupId": "",
        ]) { $1 }
        #expect(RPCSignature.canonicalizedQuery(p)
            == "AccessKeyId=LTAI5tTestKeyId0001&Action=ImportKeyPair&Format=JSON&KeyPairName=cl%C3%A9-%E6%B5%8B%E8%AF%95_key.1&PublicKeyBody=ssh-ed25519%20AAAAC3NzaC1lZDI1NTE5AAAAIA%2Bb%2Fc%3D%20user%40host&RegionId=eu-central-1&ResourceGroupId=&SecurityToken=CAIS%2Btoken%2Fwith%3Dchars&SignatureMethod=HMAC-SHA1&SignatureNonce=c8a1f0e2-5b6d-4e1f-9a7b-0123456789ab&SignatureVersion=1.0&Timestamp=2024-05-06T07%3A08%3A09Z&Version=2014-05-26")
        #expect(RPCSignature.sign(method: "POST", params: p, secret: Self.sk) == "7PoBH83VC14/MAzSVhryOtb+34M=")
    }

    @Test func computedV3AuthorizeSecurityGroup() {
        let p = Self.common.merging([
            "Action": "AuthorizeSecurityGroup", "Version": "2014-05-26", "RegionId": "cn-shanghai",
            "SecurityGroupId": "sg-uf6test0000000000", "IpProtocol": "all", "PortRange": "-1/-1",
            "SourceCidrIp": "0.0.0.0/0", "Description": "build (tmp)! it's *ok* ~ \u{1F680}",
            "ClientToken": "0c593ea1-3bea-11e9-b96b-88e9fe637760",
        ]) { $1 }
        #expect(RPCSignature.sign(method: "POST", params: p, secret: Self.sk) == "qnMAkd+fADWfOz5jZYn3wgcCL0M=")
    }

    @Test func computedV4CreateVSwitch() {
        let p = Self.common.merging([
            "Action": "CreateVSwitch", "Version": "2016-04-28", "RegionId": "ap-southeast-1",
            "VpcId": "vpc-t4ntest000000000", "ZoneId": "ap-southeast-1a", "CidrBlock": "172.16.0.0/24",
            "VSwitchName": "packer vsw", "ClientToken": "tok-123",
        ]) { $1 }
        #expect(RPCSignature.canonicalizedQuery(p).hasSuffix(
            "&Timestamp=2024-05-06T07%3A08%3A09Z&VSwitchName=packer%20vsw&Version=2016-04-28&VpcId=vpc-t4ntest000000000&ZoneId=ap-southeast-1a"))
        #expect(RPCSignature.sign(method: "GET", params: p, secret: Self.sk) == "NSH9JuQsKI9ylEElcEPQFjU7pco=")
    }

    /// The aliyunsdkcore pipeline (P): the SDK adds RegionId, Format and an empty SignatureType.
    @Test func sdkPipelineP() {
        let p = Self.common.merging([
            "Action": "DescribeInstances", "Version": "2014-05-26", "RegionId": "cn-hangzhou", "SignatureType": "",
            "InstanceIds": #"["i-bp1aaaaaaaaaaaaaaaa"]"#, "Tag.1.Key": "team name", "Tag.1.Value": "a*b~c/d",
        ]) { $1 }
        let sig = RPCSignature.sign(method: "POST", params: p, secret: Self.sk)
        #expect("Signature=" + RPCSignature.percentEncode(sig) == "Signature=uVsXJmaUF69aNWN5dEzKvYqlJcg%3D")
    }

    @Test func verifyAcceptsOnlyTheRightSecret() {
        var p = Self.common
        p["Action"] = "DescribeRegions"
        p["Signature"] = RPCSignature.sign(method: "POST", params: p, secret: Self.sk)
        #expect(RPCSignature.verify(method: "POST", params: p, secret: Self.sk))
        #expect(!RPCSignature.verify(method: "POST", params: p, secret: Self.sk + "x"))
        #expect(!RPCSignature.verify(method: "GET", params: p, secret: Self.sk))
    }
}

@Suite struct ACS3SignatureTests {
    @Test func officialW0() {
        let headers = [
            "host": "ecs.cn-shanghai.aliyuncs.com", "x-acs-action": "RunInstances", "x-acs-version": "2014-05-26",
            "x-acs-date": "2023-10-26T10:22:32Z", "x-acs-signature-nonce": "3156853299f313e23d1673dc12e1703d",
            "x-acs-content-sha256": ACS3Signature.emptyBodyHash,
        ]
        let query = ["ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"]
        let cr = ACS3Signature.canonicalRequest(method: "POST", query: query, headers: headers, hashedBody: ACS3Signature.emptyBodyHash)
        #expect(cr.request == """
            POST
            /
            ImageId=win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd&RegionId=cn-shanghai
            host:ecs.cn-shanghai.aliyuncs.com
            x-acs-action:RunInstances
            x-acs-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            x-acs-date:2023-10-26T10:22:32Z
            x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d
            x-acs-version:2014-05-26

            host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            """)
        #expect(SHA256.hash(cr.request).hexString == "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259")
        let auth = ACS3Signature.authorization(
            method: "POST", query: query, headers: headers, hashedBody: ACS3Signature.emptyBodyHash,
            accessKeyId: "YourAccessKeyId", secret: "YourAccessKeySecret")
        #expect(auth == "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0")
        #expect(ACS3Signature.verify(authorization: auth, method: "POST", query: query, headers: headers, body: [], secret: "YourAccessKeySecret"))
        #expect(!ACS3Signature.verify(authorization: auth, method: "POST", query: query, headers: headers, body: [], secret: "other"))
    }

    @Test func computedW1STS() {
        let headers = [
            "host": "ecs.cn-hangzhou.aliyuncs.com", "x-acs-action": "DescribeInstances", "x-acs-version": "2014-05-26",
            "x-acs-date": "2024-05-06T07:08:09Z", "x-acs-signature-nonce": "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "x-acs-accesskey-id": "STS.NTestKey", "x-acs-security-token": "CAIS+token/with=chars",
            "x-acs-content-sha256": ACS3Signature.emptyBodyHash,
        ]
        let query = [
            "RegionId": "cn-hangzhou", "InstanceIds": #"["i-bp1aaaaaaaaaaaaaaaa"]"#, "Tag.1.Key": "team name",
            "Tag.1.Value": "a*b~c/d é", "PageSize": "10",
        ]
        #expect(ACS3Signature.canonicalQuery(query)
            == "InstanceIds=%5B%22i-bp1aaaaaaaaaaaaaaaa%22%5D&PageSize=10&RegionId=cn-hangzhou&Tag.1.Key=team%20name&Tag.1.Value=a%2Ab~c%2Fd%20%C3%A9")
        let cr = ACS3Signature.canonicalRequest(method: "POST", query: query, headers: headers, hashedBody: ACS3Signature.emptyBodyHash)
        #expect(SHA256.hash(cr.request).hexString == "25e8d11a022f959812c99de10c84673bd14b9ac62cf010503a5cb927edcb8624")
        #expect(cr.signedHeaders == "host;x-acs-accesskey-id;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-security-token;x-acs-signature-nonce;x-acs-version")
        let auth = ACS3Signature.authorization(
            method: "POST", query: query, headers: headers, hashedBody: ACS3Signature.emptyBodyHash,
            accessKeyId: "STS.NTestKey", secret: "TestSecret/With+Special=Chars")
        #expect(auth.hasSuffix("Signature=e90e695bd3705c1de10afefe310be3c9517eda84df322164477e1e0ecfd9efb4"))
    }

    @Test func computedW2FormBody() {
        let body = Array("CidrBlock=172.16.0.0%2F12&RegionId=cn-hangzhou&VpcName=my%20vpc".utf8)
        let hash = ACS3Signature.bodyHash(body)
        #expect(hash == "df22ddcdadc7c65da55e5e111048bbfd0545a26c80b40c366390217af1ba9225")
        let headers = [
            "Host": "vpc.aliyuncs.com", "x-acs-action": "CreateVpc", "x-acs-version": "2016-04-28",
            "x-acs-date": "2024-05-06T07:08:09Z", "x-acs-signature-nonce": "nonce-0001",
            "Content-Type": "application/x-www-form-urlencoded", "x-acs-content-sha256": hash,
            "User-Agent": "not signed",
        ]
        let auth = ACS3Signature.authorization(
            method: "POST", query: [:], headers: headers, hashedBody: hash,
            accessKeyId: "LTAI5tTestKeyId0001", secret: "TestSecret/With+Special=Chars")
        #expect(auth == "ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId0001,SignedHeaders=content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=586750a434aed1507f82b53c17daa5036483f097d4797047976be174513365ae")
        let parsed = ACS3Signature.parseAuthorization(auth)
        #expect(parsed?.accessKeyId == "LTAI5tTestKeyId0001")
        #expect(parsed?.signedHeaders.first == "content-type")
        #expect(ACS3Signature.verify(authorization: auth, method: "POST", query: [:], headers: headers, body: body, secret: "TestSecret/With+Special=Chars"))
        #expect(!ACS3Signature.verify(authorization: auth, method: "POST", query: [:], headers: headers, body: body + [0x20], secret: "TestSecret/With+Special=Chars"))
        #expect(ACS3Signature.parseAuthorization("OSS a:b") == nil)
    }
}
