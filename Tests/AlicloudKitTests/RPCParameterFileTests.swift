import Testing
@testable import AlicloudKit

/// ecs-call --params-from and --tags-from: values cross from the shell whole.
@Suite struct RPCParameterFileTests {
    @Test func nulRecordsKeepNewlinesTabsAndDashes() throws {
        let bytes = Array("DataDisk.1.Description=line 1\nline 2\tx\0SystemDisk.DiskName=-dash=ed\0Empty=\0".utf8)
        let p = try RPCParameters.nulRecords(bytes, source: "f")
        #expect(p == ["DataDisk.1.Description": "line 1\nline 2\tx", "SystemDisk.DiskName": "-dash=ed", "Empty": ""])
        #expect(try RPCParameters.nulRecords([], source: "f").isEmpty)
    }

    @Test func nulRecordsRefuseACutOrNamelessRecord() {
        #expect(throws: ToolError.self) { try RPCParameters.nulRecords(Array("A=1\0B=2".utf8), source: "f") }
        #expect(throws: ToolError.self) { try RPCParameters.nulRecords(Array("=1\0".utf8), source: "f") }
        #expect(throws: ToolError.self) { try RPCParameters.nulRecords(Array("novalue\0".utf8), source: "f") }
    }

    @Test func tagsFollowTheTagsAlreadyGiven() throws {
        var p = ["Tag.1.Key": "image-tools-build-id", "Tag.1.Value": "b1", "RegionId": "r"]
        try RPCParameters.addTags(json: Array(#"{"note": "line1\nline2", "b": "", "a": "x\ty"}"#.utf8), source: "t", to: &p)
        #expect(p["Tag.2.Key"] == "a" && p["Tag.2.Value"] == "x\ty")
        #expect(p["Tag.3.Key"] == "b" && p["Tag.3.Value"] == "")
        #expect(p["Tag.4.Key"] == "note" && p["Tag.4.Value"] == "line1\nline2")
        #expect(p.count == 9)
        var q: [String: String] = [:]
        #expect(throws: ToolError.self) { try RPCParameters.addTags(json: Array(#"{"n": 1}"#.utf8), source: "t", to: &q) }
        #expect(throws: ToolError.self) { try RPCParameters.addTags(json: Array(#"["a"]"#.utf8), source: "t", to: &q) }
    }
}
