import FoundationEssentials

/// The API parameters an alicloud-ecs build's create calls take from its template, final in
/// the plan (`builds[i].api.<Action>`): the build runner sends them as they are
/// (`tmpl-render --format params` to `ecs-call --params-from`) and adds only what exists at
/// run time (region, ClientToken, the ids of what it made, names it chooses, tags, the
/// instance password, which travels in the environment).
enum AlicloudCalls {
    /// The CIDR block of a new VSwitch when the template gives none (Packer's).
    static let defaultVSwitchCidr = "172.16.0.0/24"

    /// The keys the lists are made of (AlicloudSchemaTests checks each one changes them).
    static let keys: Set<String> = [
        "instance_type", "instance_name", "zone_id", "internet_charge_type", "internet_max_bandwidth_out",
        "security_enhancement_strategy", "ecs_ram_role_name", "image_family", "source_image", "io_optimized", "user_data",
        "user_data_file", "system_disk_mapping", "image_disk_mappings", "vpc_cidr_block", "vpc_name", "vswitch_name",
        "security_group_name", "image_version", "image_description", "target_image_family", "boot_mode", "resource_group_id",
        "image_encrypted", "kms_key_id",
    ]

    static func plan(_ config: [String: JSONValue]) -> JSONValue {
        func string(_ k: String) -> JSONValue {
            if let s = config[k]?.stringValue, !s.isEmpty { return .string(s) }
            return .null
        }
        func number(_ k: String) -> JSONValue {
            if let n = config[k]?.intValue { return .int(n) }
            return .null
        }
        var instance: [String: JSONValue] = [
            "InstanceType": string("instance_type"),
            "InstanceName": string("instance_name"),
            "ZoneId": string("zone_id"),
            "InternetChargeType": string("internet_charge_type"),
            "InternetMaxBandwidthOut": number("internet_max_bandwidth_out"),
            "SecurityEnhancementStrategy": string("security_enhancement_strategy"),
            "RamRoleName": string("ecs_ram_role_name"),
            "InstanceChargeType": "PostPaid",
        ]
        // image_family (the plugin's): the instance is made from the family's newest image.
        if string("image_family") != .null { instance["ImageFamily"] = string("image_family") } else { instance["ImageId"] = string("source_image") }
        if case .bool(let b)? = config["io_optimized"] { instance["IoOptimized"] = .string(b ? "optimized" : "none") }
        if let file = config["user_data_file"]?.stringValue, !file.isEmpty, let data = FileManager.default.contents(atPath: file) {
            instance["UserData"] = .string(data.base64EncodedString())
        } else if let text = config["user_data"]?.stringValue, !text.isEmpty {
            instance["UserData"] = .string(Data(text.utf8).base64EncodedString())
        }
        // Packer's disk_* keys become SystemDisk.* and DataDisk.N.*; data disks always go
        // with the instance (disk_delete_with_instance is true in the plan).
        func disk(_ d: [String: JSONValue], _ prefix: String, data: Bool) {
            func put(_ name: String, _ value: JSONValue?) {
                guard let value, !value.isNull, value != .string("") else { return }
                instance["\(prefix).\(name)"] = value
            }
            put("Category", d["disk_category"])
            if let size = d["disk_size"]?.intValue, size > 0 { put("Size", .int(size)) }
            put("DiskName", d["disk_name"])
            put("Description", d["disk_description"])
            put("SnapshotId", d["disk_snapshot_id"])
            put("Device", d["disk_device"])
            if d["disk_encrypted"] == .bool(true) { put("Encrypted", "true") }
            if data, d["disk_delete_with_instance"] == .bool(true) { put("DeleteWithInstance", "true") }
        }
        if let system = config["system_disk_mapping"]?.objectValue { disk(system, "SystemDisk", data: false) }
        for (k, d) in (config["image_disk_mappings"]?.arrayValue ?? []).enumerated() {
            if let d = d.objectValue { disk(d, "DataDisk.\(k + 1)", data: true) }
        }

        var api: [String: JSONValue] = [
            "CreateVpc": .object(["CidrBlock": string("vpc_cidr_block"), "VpcName": string("vpc_name")]),
            // Packer uses vpc_cidr_block for the VSwitch too.
            "CreateVSwitch": .object(["CidrBlock": string("vpc_cidr_block") == .null ? .string(defaultVSwitchCidr) : string("vpc_cidr_block"),
                                      "VSwitchName": string("vswitch_name")]),
            "CreateSecurityGroup": .object(["SecurityGroupName": string("security_group_name")]),
            "CreateInstance": .object(instance),
            "AllocateEipAddress": .object(["InternetChargeType": string("internet_charge_type"), "Bandwidth": number("internet_max_bandwidth_out")]),
            "CreateImage": .object(["ImageVersion": string("image_version"), "Description": string("image_description"),
                                    "ImageFamily": string("target_image_family"), "BootMode": string("boot_mode"),
                                    "ResourceGroupId": string("resource_group_id")]),
            "CopyImage": .object(["ResourceGroupId": string("resource_group_id")]),
        ]
        if config["image_encrypted"] == .bool(true) {
            api["EncryptedCopyImage"] = .object(["Encrypted": "true", "KMSKeyId": string("kms_key_id"),
                                                 "DestinationDescription": string("image_description"), "ResourceGroupId": string("resource_group_id")])
        }
        return .object(api)
    }
}
