/// Alibaba Cloud's own naming rules (NameRule) on every name, description and tag a build or
/// an import sends, checked at render time: a name the API would refuse fails the template,
/// not a CreateImage call after minutes of building.
extension AlicloudSchema {
    /// The length the build's temporary image name adds to image_name under image_force_delete
    /// ("-ait-YYYYmmddTHHMMSS-xxxxxxxx", scripts/lib/ecs-build.sh).
    static let temporaryNameSuffix = 29

    static func validateNames(_ config: [String: JSONValue], path: String, sink: DiagnosticSink, importer: Bool) {
        func text(_ k: String) -> String? {
            if let s = config[k]?.stringValue, !s.isEmpty { return s }
            return nil
        }
        // A value that failed to render, or was made from a bad variable, has its own error.
        guard !sink.valuesUnsure else { return }
        func check(_ value: String, _ rule: NameRule, _ at: String, what: String = "") {
            guard !sink.unrendered.contains(where: { $0 == at || $0.hasPrefix(at + ".") || $0.hasPrefix(at + "[") }) else { return }
            if let why = rule.violation(value) { sink.error(at, "\(what)\(why) (Alibaba Cloud's rule for \(rule.parameter))") }
        }
        var fields: [(String, NameRule)] = [("image_name", .imageName), ("image_description", .description)]
        if !importer {
            fields += [("instance_name", .instanceName)]
            if text("security_group_id") == nil { fields.append(("security_group_name", .securityGroupName)) }
            if text("vpc_id") == nil { fields.append(("vpc_name", .vpcName)) }
            if text("vswitch_id") == nil { fields.append(("vswitch_name", .vswitchName)) }
        }
        for (key, rule) in fields {
            if let value = text(key) { check(value, rule, "\(path).\(key)") }
        }
        if !importer, config["image_force_delete"]?.boolValue == true, let name = text("image_name"),
           NameRule.imageName.violation(name) == nil, name.count + temporaryNameSuffix > NameRule.imageName.lengths.upperBound {
            sink.error("\(path).image_name", "with \"image_force_delete\" the new image is first named \"\(name.prefix(8))...-<build id>\" (\(temporaryNameSuffix) characters more): at most \(NameRule.imageName.lengths.upperBound - temporaryNameSuffix) characters, not \(name.count)")
        }
        if !importer, case .array(let names)? = config["image_copy_names"] {
            for (k, name) in names.enumerated() {
                if let s = name.stringValue, !s.isEmpty { check(s, .imageName, "\(path).image_copy_names[\(k)]") }
            }
        }
        // Disks: each mapping's name and description.
        var disks: [(String, [String: JSONValue])] = []
        if !importer, case .object(let d)? = config["system_disk_mapping"] { disks.append(("\(path).system_disk_mapping", d)) }
        if !importer, case .array(let list)? = config["image_disk_mappings"] {
            for (k, disk) in list.enumerated() { if case .object(let d) = disk { disks.append(("\(path).image_disk_mappings[\(k)]", d)) } }
            if list.count > NameRule.dataDisksPerInstance {
                sink.error("\(path).image_disk_mappings", "at most \(NameRule.dataDisksPerInstance) data disks, not \(list.count) (Alibaba Cloud's limit per instance)")
            }
        }
        for (at, disk) in disks {
            if let s = disk["disk_name"]?.stringValue, !s.isEmpty { check(s, .diskName, "\(at).disk_name") }
            if let s = disk["disk_description"]?.stringValue, !s.isEmpty { check(s, .description, "\(at).disk_description") }
        }
        // Tags: the build adds its own build-id tag to everything it makes (one fewer left).
        let ownTags = importer ? 0 : 1
        for key in importer ? ["tags"] : ["tags", "run_tags"] {
            guard let tags = config[key]?.objectValue else { continue }
            let limit = NameRule.tagsPerResource - ownTags
            if tags.count > limit {
                sink.error("\(path).\(key)", "at most \(limit) tags, not \(tags.count) (Alibaba Cloud allows \(NameRule.tagsPerResource) per resource\(ownTags > 0 ? " and the build adds its image-tools-build-id tag" : ""))")
            }
            for k in tags.keys.sorted() {
                check(k, .tagKey, "\(path).\(key)", what: "key \(quoted(k)): ")
                if let v = tags[k]?.stringValue { check(v, .tagValue, "\(path).\(key)", what: "value of \(quoted(k)): ") }
            }
        }
        if !importer, let accounts = config["image_share_account"]?.arrayValue, accounts.count > NameRule.accountsPerShare {
            sink.error("\(path).image_share_account", "at most \(NameRule.accountsPerShare) accounts, not \(accounts.count) (Alibaba Cloud's limit per ModifyImageSharePermission call)")
        }
    }

    /// A template value in a message, quoted as JSON would (control characters escaped).
    static func quoted(_ s: String) -> String { JSONValue.string(s).serialized(pretty: false) }
}
