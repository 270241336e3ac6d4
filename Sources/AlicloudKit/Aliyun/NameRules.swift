// Alibaba Cloud's rules for the names, descriptions and tags a build sends, as the ECS and
// VPC API references state them. One place for both sides: tmpl-render --validate refuses a
// template that breaks one before any call, and ecs-sim answers a request that breaks one
// with the error code the real endpoint uses.

/// One API parameter's naming rule: its length, its first character, the characters it may
/// hold and the prefixes or texts it must not have.
public struct NameRule: Sendable {
    /// The API parameter the rule is for, e.g. `ImageName` (`Tag.N.Key` for tag keys).
    public let parameter: String
    /// The error code the API answers a breaking value with.
    public let errorCode: String
    /// Allowed length in characters (Unicode characters, as the API counts them).
    public let lengths: ClosedRange<Int>
    /// Whether the first character must be a letter (any script: Chinese names are allowed).
    public let startsWithLetter: Bool
    /// When set, only letters, digits and these characters are allowed.
    public let punctuation: String?
    /// Texts the value must not start with.
    public let forbiddenPrefixes: [String]
    /// Texts the value must not contain anywhere.
    public let forbiddenTexts: [String]

    /// Why `value` breaks the rule (the first reason found), or nil when it is valid.
    /// The reason reads after the field's name: "must start with a letter, not \"_\"".
    public func violation(_ value: String) -> String? {
        let n = value.count
        if !lengths.contains(n) {
            let range = lengths.lowerBound == 0 ? "at most \(lengths.upperBound)" : "\(lengths.lowerBound) to \(lengths.upperBound)"
            return "must be \(range) characters long, not \(n)"
        }
        for p in forbiddenPrefixes where value.hasPrefix(p) { return "must not start with \"\(p)\"" }
        for t in forbiddenTexts where value.contains(t) { return "must not contain \"\(t)\"" }
        if startsWithLetter, let first = value.first, !first.isLetter {
            return "must start with a letter, not \(NameRule.show(first))"
        }
        if let punctuation {
            if let bad = value.first(where: { !($0.isLetter || $0.isNumber || punctuation.contains($0)) }) {
                let allowed = punctuation.map { "'\($0)'" }
                let list = allowed.count > 1 ? allowed.dropLast().joined(separator: ", ") + " and " + allowed.last! : allowed.joined()
                return "may hold only letters, digits, \(list), not \(NameRule.show(bad))"
            }
        }
        return nil
    }

    /// A character as a message names it: printable ones quoted, others as U+XXXX.
    static func show(_ c: Character) -> String {
        if c == " " || c.unicodeScalars.allSatisfy({ $0.properties.generalCategory != .control && $0.properties.generalCategory != .format && !$0.properties.isWhitespace }) {
            return "\"\(c)\""
        }
        return c.unicodeScalars.map { scalar -> String in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }.joined(separator: " ")
    }
}

extension NameRule {
    private static let web = ["http://", "https://"]
    private static func named(_ parameter: String, code: String) -> NameRule {
        NameRule(parameter: parameter, errorCode: code, lengths: 2...128, startsWithLetter: true, punctuation: ".:_-",
                 forbiddenPrefixes: web, forbiddenTexts: [])
    }
    /// CreateImage/CopyImage/ImportImage ImageName: 2-128, a letter first, letters, digits, . : _ -.
    public static let imageName = named("ImageName", code: "InvalidImageName.Malformed")
    /// CreateInstance InstanceName: the same shape as an image name.
    public static let instanceName = named("InstanceName", code: "InvalidInstanceName.Malformed")
    /// CreateSecurityGroup SecurityGroupName.
    public static let securityGroupName = named("SecurityGroupName", code: "InvalidSecurityGroupName.Malformed")
    /// SystemDisk.DiskName and DataDisk.N.DiskName.
    public static let diskName = named("DiskName", code: "InvalidDiskName.Malformed")
    /// CreateVpc VpcName: 1-128, any characters, no web address first.
    public static let vpcName = NameRule(parameter: "VpcName", errorCode: "InvalidVpcName.Malformed", lengths: 1...128,
                                         startsWithLetter: false, punctuation: nil, forbiddenPrefixes: web, forbiddenTexts: [])
    /// CreateVSwitch VSwitchName: as a VPC name.
    public static let vswitchName = NameRule(parameter: "VSwitchName", errorCode: "InvalidVSwitchName.Malformed", lengths: 1...128,
                                             startsWithLetter: false, punctuation: nil, forbiddenPrefixes: web, forbiddenTexts: [])
    /// Description of an image, a disk, a security group, a VPC: 2-256, no web address first.
    public static let description = NameRule(parameter: "Description", errorCode: "InvalidDescription.Malformed", lengths: 2...256,
                                             startsWithLetter: false, punctuation: nil, forbiddenPrefixes: web, forbiddenTexts: [])
    /// Tag.N.Key: 1-128, not aliyun or acs: first, no web address anywhere.
    public static let tagKey = NameRule(parameter: "Tag.N.Key", errorCode: "InvalidTagKey.Malformed", lengths: 1...128,
                                        startsWithLetter: false, punctuation: nil, forbiddenPrefixes: ["aliyun", "acs:"], forbiddenTexts: web)
    /// Tag.N.Value: 0-128, not acs: first, no web address anywhere.
    public static let tagValue = NameRule(parameter: "Tag.N.Value", errorCode: "InvalidTagValue.Malformed", lengths: 0...128,
                                          startsWithLetter: false, punctuation: nil, forbiddenPrefixes: ["acs:"], forbiddenTexts: web)
    /// Tags one resource may carry.
    public static let tagsPerResource = 20
    /// Data disks one instance may have (DataDisk.N, N = 1-16).
    public static let dataDisksPerInstance = 16
    /// Accounts one ModifyImageSharePermission call may add (AddAccount.N, N = 1-10).
    public static let accountsPerShare = 10
}
