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
}
