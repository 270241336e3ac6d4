import Foundation
import Testing
@testable import AlicloudKit

@Suite struct CredentialsTests {
    static func home(_ config: String?) throws -> String {
        let dir = NSTemporaryDirectory() + "credtest-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/.aliyun", withIntermediateDirectories: true)
        if let config { try config.write(toFile: dir + "/.aliyun/config.json", atomically: true, encoding: .utf8) }
        return dir
    }

    static let config = """
        {"current":"default","profiles":[
         {"name":"default","mode":"AK","access_key_id":"LTAIprofile","access_key_secret":"profile-secret","region_id":"cn-hangzhou"},
         {"name":"sts","mode":"StsToken","access_key_id":"STS.x","access_key_secret":"sts-secret","sts_token":"CAIStoken","region_id":"eu-central-1"},
         {"name":"role","mode":"RamRoleArn","access_key_id":"a","access_key_secret":"b","ram_role_arn":"acs:ram::1:role/x"}]}
        """

    @Test func environmentFirstThenAlibabaNames() throws {
        let h = try Self.home(Self.config)
        defer { try? FileManager.default.removeItem(atPath: h) }
        var env = ["HOME": h, "ALICLOUD_ACCESS_KEY": "LTAIenv", "ALICLOUD_SECRET_KEY": "env-secret",
                   "ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAIother", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "other-secret",
                   "ALICLOUD_REGION": "ap-southeast-1"]
        var s = try CloudSettings.resolve(environment: env)
        #expect(s.credentials.accessKeyId == "LTAIenv")
        #expect(s.credentials.securityToken == nil)
        #expect(s.region == "ap-southeast-1")
        #expect(s.credentials.source == "environment ALICLOUD_ACCESS_KEY")
        env["ALICLOUD_ACCESS_KEY"] = nil
        env["ALICLOUD_SECRET_KEY"] = nil
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = "tok-123"
        env["ALICLOUD_REGION"] = nil
        s = try CloudSettings.resolve(region: "us-west-1", environment: env)
        #expect(s.credentials.accessKeyId == "LTAIother")
        #expect(s.credentials.securityToken == "tok-123")
        #expect(s.region == "us-west-1")
        env["ALIBABA_CLOUD_ACCESS_KEY_ID"] = nil
        env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = nil
        env["ALIBABA_CLOUD_SECURITY_TOKEN"] = nil
        s = try CloudSettings.resolve(environment: env)
        #expect(s.credentials.accessKeyId == "LTAIprofile")
        #expect(s.region == "cn-hangzhou")
    }

    @Test func profilesAKAndStsToken() throws {
        let h = try Self.home(Self.config)
        defer { try? FileManager.default.removeItem(atPath: h) }
        let s = try CloudSettings.resolve(profile: "sts", environment: ["HOME": h, "ALICLOUD_ACCESS_KEY": "x", "ALICLOUD_SECRET_KEY": "y"])
        #expect(s.credentials.accessKeyId == "STS.x")
        #expect(s.credentials.securityToken == "CAIStoken")
        #expect(s.region == "eu-central-1")
        let e = try CloudSettings.resolve(environment: ["HOME": h, "ALICLOUD_PROFILE": "sts"])
        #expect(e.credentials.accessKeySecret == "sts-secret")
        #expect(throws: ToolError.self) { try CloudSettings.resolve(profile: "role", environment: ["HOME": h]) }
        do { _ = try CloudSettings.resolve(profile: "role", environment: ["HOME": h]) } catch let err as ToolError {
            #expect(err.status == .config)
            #expect(err.message.contains("mode RamRoleArn is not supported"))
        }
        do { _ = try CloudSettings.resolve(profile: "nope", environment: ["HOME": h]) } catch let err as ToolError {
            #expect(err.status == .config)
            #expect(err.message.contains("no profile nope"))
        }
    }

    @Test func missingCredentialsIs78NamingWhatWasLookedAt() throws {
        let h = try Self.home(nil)
        defer { try? FileManager.default.removeItem(atPath: h) }
        do {
            _ = try CloudSettings.resolve(environment: ["HOME": h])
            Issue.record("expected a config error")
        } catch let e as ToolError {
            #expect(e.status == .config)
            #expect(e.message.contains("ALICLOUD_ACCESS_KEY"))
            #expect(e.message.contains("ALIBABA_CLOUD_ACCESS_KEY_ID"))
            #expect(e.message.contains(h + "/.aliyun/config.json"))
        }
        do {
            _ = try CloudSettings.resolve(environment: ["HOME": h, "ALICLOUD_ACCESS_KEY": "LTAIx"])
            Issue.record("expected a config error")
        } catch let e as ToolError {
            #expect(e.status == .config)
            #expect(e.message.contains("ALICLOUD_SECRET_KEY is not set"))
        }
    }
}
