import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

/// Resource IDs: a random seed per run unless pinned, never one the state already holds;
/// and which calls make the state be written.
@Suite struct IdSeedTests {
    func vpc(_ h: Harness) throws -> String {
        try h.ok("CreateVpc", ["CidrBlock": "172.16.0.0/12"], vpc: true)["VpcId"]!.stringValue!
    }

    func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecs-sim-ids-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func twoRunsWithoutASeedHandOutDifferentIds() throws {
        let a = try Harness(), b = try Harness()
        #expect(a.engine.idSeed != b.engine.idSeed)
        let netA = try a.network(), netB = try b.network()
        #expect(netA.vpc != netB.vpc && netA.vsw != netB.vsw && netA.sg != netB.sg)
        let i = try a.instance(netA), j = try b.instance(netB)
        #expect(i != j)
        #expect(a.engine.newRequestId() != b.engine.newRequestId())
        // A client of run A that reaches run B is refused, and B's resources stay.
        #expect(b.code("DeleteInstance", ["InstanceId": i, "Force": "true"]) == "InvalidInstanceId.NotFound")
        #expect(b.code("DeleteVpc", ["VpcId": netA.vpc], vpc: true) == "InvalidVpcId.NotFound")
        #expect(try b.instanceStatus(j) == "Pending")
    }

    @Test func aPinnedSeedReplaysTheIds() throws {
        let a = try Harness(idSeed: 42), b = try Harness(idSeed: 42), c = try Harness(idSeed: 43)
        #expect(a.engine.idSeed == 42)
        let first = try vpc(a)
        #expect(try vpc(b) == first)
        #expect(try vpc(c) != first)
    }

    @Test func aPinnedSeedOverAKeptStateNeverReusesAnId() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let before = try Harness(idSeed: 42, stateDirectory: dir)
        let old = [try vpc(before), try vpc(before)]
        let after = try Harness(idSeed: 42, stateDirectory: dir)
        let new = [try vpc(after), try vpc(after)]
        #expect(Set(old + new).count == 4)
        #expect(try after.ok("DescribeVpcs", [:], vpc: true)["TotalCount"] == .int(4))
    }

    /// The state is written after a call that may change it, not after a read-only one
    /// (Describe/List/Get followed by an upper-case letter, as ecs-call's retry rule says).
    @Test func onlyMutatingCallsWriteTheState() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let h = try Harness(stateDirectory: dir)
        let file = dir.appendingPathComponent("state.json")
        _ = try vpc(h)
        h.pass(1)
        #expect(FileManager.default.fileExists(atPath: file.path))
        try FileManager.default.removeItem(at: file)
        _ = try h.ok("DescribeVpcs", [:], vpc: true)
        _ = h.call("ListTagResources", ["ResourceType": "instance"])
        _ = h.call("GetInstanceConsoleOutput", ["InstanceId": "i-none"])
        #expect(!FileManager.default.fileExists(atPath: file.path))
        // Not a read: "Getaway" only starts with Get.
        _ = h.call("Getaway")
        #expect(FileManager.default.fileExists(atPath: file.path))
        try FileManager.default.removeItem(at: file)
        _ = try vpc(h)
        #expect(FileManager.default.fileExists(atPath: file.path))
    }
}
