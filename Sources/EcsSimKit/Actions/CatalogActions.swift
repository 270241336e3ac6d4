import AlicloudKit

extension Engine {
    func describeRegions(_ c: ActionContext) -> JSONValue {
        let items: [JSONValue] = Catalog.regions.map {
            ["RegionId": js($0.id), "LocalName": js($0.localName), "RegionEndpoint": js(Catalog.endpoint($0.id)), "Status": "available"]
        }
        return ["Regions": wrap("Region", items)]
    }

    func describeZones(_ c: ActionContext) throws -> JSONValue {
        let r = Catalog.region(try region(c))!
        let types = Catalog.instanceTypes.map { js($0.id) }
        let items: [JSONValue] = r.zones.map { z in
            [
                "ZoneId": js(z), "LocalName": js(r.localName + " Zone " + String(z.last!).uppercased()), "ZoneType": "AvailabilityZone",
                "AvailableResourceCreation": ["ResourceTypes": ["Instance", "Disk", "VSwitch", "IoOptimized", "DedicatedHost"]],
                "AvailableInstanceTypes": ["InstanceTypes": .array(types)],
                "AvailableDiskCategories": ["DiskCategories": .array(Catalog.diskCategories.map { js($0) })],
                "AvailableVolumeCategories": ["VolumeCategories": ["san_ssd", "san_efficiency"]],
                "AvailableResources": ["ResourcesInfo": []],
                "DedicatedHostGenerations": ["DedicatedHostGeneration": []],
                "AvailableDedicatedHostTypes": ["DedicatedHostType": []],
            ]
        }
        return ["Zones": wrap("Zone", items)]
    }

    func describeInstanceTypes(_ c: ActionContext) throws -> JSONValue {
        var types = Catalog.instanceTypes
        let wanted = c.params.list("InstanceTypes")
        if !wanted.isEmpty { types = types.filter { wanted.contains($0.id) } }
        if let fam = c.params["InstanceTypeFamily"] { types = types.filter { $0.family == fam } }
        let items: [JSONValue] = types.map {
            ["InstanceTypeId": js($0.id), "InstanceTypeFamily": js($0.family), "CpuCoreCount": .int($0.cpu), "MemorySize": .double($0.memoryGiB),
             "InstanceFamilyLevel": "EnterpriseLevel", "EniQuantity": 2, "LocalStorageAmount": 0, "GPUAmount": 0]
        }
        return ["InstanceTypes": wrap("InstanceType", items), "NextToken": ""]
    }

    /// What can be created where: every zone offers every instance type, the disk
    /// categories, I/O optimisation and VPC; an unknown InstanceType or ZoneId finds nothing.
    func describeAvailableResource(_ c: ActionContext) throws -> JSONValue {
        let r = Catalog.region(try region(c))!
        let p = c.params
        let destination = try p.required("DestinationResource")
        let wantedType = p["InstanceType"]
        guard ["Zone", "IoOptimized", "Network", "InstanceType", "SystemDisk", "DataDisk"].contains(destination) else {
            throw CloudError.invalid("DestinationResource")
        }
        if let t = wantedType, !Catalog.instanceTypes.contains(where: { $0.id == t }) { return ["AvailableZones": wrap("AvailableZone", [])] }
        func supported(_ value: String, _ extra: [String: JSONValue] = [:]) -> JSONValue {
            var o: [String: JSONValue] = ["Value": js(value), "Status": "Available", "StatusCategory": "WithStock"]
            for (k, v) in extra { o[k] = v }
            return .object(o)
        }
        let zones = r.zones.filter { p["ZoneId"] == nil || p["ZoneId"] == $0 }
        let items: [JSONValue] = zones.map { z in
            let values: [JSONValue]
            switch destination {
            case "Zone": values = [supported(z)]
            case "IoOptimized": values = [supported("optimized")]
            case "Network": values = [supported("vpc")]
            case "InstanceType": values = Catalog.instanceTypes.filter { wantedType == nil || $0.id == wantedType }.map { supported($0.id) }
            case "SystemDisk": values = Catalog.diskCategories.map { supported($0, ["Min": 20, "Max": 2048, "Unit": "GiB"]) }
            default: values = Catalog.diskCategories.map { supported($0, ["Min": 20, "Max": 32768, "Unit": "GiB"]) }
            }
            return [
                "ZoneId": js(z), "RegionId": js(r.id), "Status": "Available", "StatusCategory": "WithStock",
                "AvailableResources": ["AvailableResource": [["Type": js(destination), "SupportedResources": ["SupportedResource": .array(values)]]]],
            ]
        }
        return ["AvailableZones": wrap("AvailableZone", items)]
    }
}
