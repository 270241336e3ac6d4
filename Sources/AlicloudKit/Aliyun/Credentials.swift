import FoundationEssentials

/// An AccessKey pair (and STS token) plus where it came from, for messages.
public struct Credentials: Sendable {
    /// The AccessKey id (`LTAI…`, or `STS.…` under STS).
    public var accessKeyId: String
    /// The AccessKey secret. Never printed.
    public var accessKeySecret: String
    /// The STS security token, if any. Never printed.
    public var securityToken: String?
    /// Where the credentials were found (`environment ALICLOUD_ACCESS_KEY`, `profile default in …`).
    public var source: String

    /// Makes credentials and registers the secret and token for redaction.
    public init(accessKeyId: String, accessKeySecret: String, securityToken: String? = nil, source: String = "given") {
        self.accessKeyId = accessKeyId
        self.accessKeySecret = accessKeySecret
        self.securityToken = securityToken.flatMap { $0.isEmpty ? nil : $0 }
        self.source = source
        Credentials.registerForRedaction(accessKeySecret)
        Credentials.registerForRedaction(self.securityToken)
    }

    /// Registers a secret and its percent-encoded forms (as they appear in signed queries).
    static func registerForRedaction(_ value: String?) {
        guard let value else { return }
        Secrets.register(value)
        let once = PercentEncoding.encode(value)
        Secrets.register(once)
        Secrets.register(PercentEncoding.encode(once))
    }
}

/// The settings read from the environment and the aliyun CLI's profile file.
public struct CloudSettings: Sendable {
    /// The credentials.
    public var credentials: Credentials
    /// The region (`--region`, `ALICLOUD_REGION`, `ALIBABA_CLOUD_REGION_ID`, profile), or nil.
    public var region: String?

    /// The profile file: `ALICLOUD_SHARED_CREDENTIALS_FILE`, else `~/.aliyun/config.json`.
    public static func configPath(_ env: [String: String]) -> String {
        if let p = env["ALICLOUD_SHARED_CREDENTIALS_FILE"], !p.isEmpty { return p }
        let home = env["HOME"] ?? Paths.home()
        return home + "/.aliyun/config.json"
    }

    /// Resolves credentials and region in the documented order: `ALICLOUD_ACCESS_KEY` /
    /// `ALICLOUD_SECRET_KEY` / `ALICLOUD_SECURITY_TOKEN`, then `ALIBABA_CLOUD_ACCESS_KEY_ID` /
    /// `ALIBABA_CLOUD_ACCESS_KEY_SECRET` / `ALIBABA_CLOUD_SECURITY_TOKEN`, then the profile
    /// (`profile`, `ALICLOUD_PROFILE`, `ALIBABA_CLOUD_PROFILE`, the file's `current`) in
    /// mode AK or StsToken. Missing credentials: `ToolError` 78 naming what was looked at.
    public static func resolve(
        profile: String? = nil, region: String? = nil,
        environment env: [String: String] = ProcessEnvironment.current
    ) throws -> CloudSettings {
        func get(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        let envRegion = region.flatMap { $0.isEmpty ? nil : $0 } ?? get("ALICLOUD_REGION") ?? get("ALIBABA_CLOUD_REGION_ID")
        let pairs = [
            ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN"),
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        ]
        let explicitProfile = profile ?? get("ALICLOUD_PROFILE") ?? get("ALIBABA_CLOUD_PROFILE")
        if explicitProfile == nil || profile == nil {
            for (idName, secretName, tokenName) in pairs {
                let id = get(idName), secret = get(secretName)
                if let id, let secret {
                    let token = get(tokenName) ?? (idName.hasPrefix("ALICLOUD") ? get("ALIBABA_CLOUD_SECURITY_TOKEN") : nil)
                    let creds = Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token, source: "environment \(idName)")
                    return CloudSettings(credentials: creds, region: envRegion ?? profileRegion(explicitProfile, env))
                }
                if (id == nil) != (secret == nil) {
                    throw ToolError(.config, "credentials: \(id == nil ? idName : secretName) is not set but \(id == nil ? secretName : idName) is")
                }
            }
        }
        let path = configPath(env)
        let looked = "looked at ALICLOUD_ACCESS_KEY/ALICLOUD_SECRET_KEY, ALIBABA_CLOUD_ACCESS_KEY_ID/ALIBABA_CLOUD_ACCESS_KEY_SECRET and \(path)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ToolError(.config, "no credentials: \(looked) (not found)")
        }
        let doc: JSONValue
        do { doc = try JSONParser.parse([UInt8](data)) } catch {
            throw ToolError(.config, "\(path): \(error)")
        }
        let name = explicitProfile ?? doc["current"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        guard let p = doc["profiles"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }) else {
            throw ToolError(.config, "no credentials: \(looked) (no profile \(name))")
        }
        let mode = p["mode"]?.stringValue ?? "AK"
        func field(_ k: String) -> String? { p[k]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } }
        guard mode == "AK" || mode == "StsToken" else {
            throw ToolError(.config, "\(path): profile \(name): mode \(mode) is not supported (AK or StsToken)")
        }
        guard let id = field("access_key_id"), let secret = field("access_key_secret") else {
            throw ToolError(.config, "\(path): profile \(name): access_key_id or access_key_secret is empty")
        }
        let token = mode == "StsToken" ? field("sts_token") : nil
        if mode == "StsToken" && token == nil {
            throw ToolError(.config, "\(path): profile \(name): mode StsToken without sts_token")
        }
        let creds = Credentials(accessKeyId: id, accessKeySecret: secret, securityToken: token, source: "profile \(name) in \(path)")
        return CloudSettings(credentials: creds, region: envRegion ?? field("region_id"))
    }

    /// The region of a profile, when the file and profile exist (credentials came from env).
    static func profileRegion(_ name: String?, _ env: [String: String]) -> String? {
        guard let data = FileManager.default.contents(atPath: configPath(env)),
            let doc = try? JSONParser.parse([UInt8](data))
        else { return nil }
        let n = name ?? doc["current"]?.stringValue ?? "default"
        let p = doc["profiles"]?.arrayValue?.first { $0["name"]?.stringValue == n }
        return p?["region_id"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
    }
}
