import Foundation
import Testing
import AlicloudKit
@testable import EcsSimKit

/// The fault modes the soak campaign needs: a shared request budget, slow snapshots and
/// mangled answers.
@Suite struct SoakFaultTests {
    @Test func grammar() throws {
        let plan = try FaultPlan(spec: "*:budget:20,CreateImage:slow:30,DescribeImages:corrupt:0.5,CreateVpc:corrupt:2x")
        #expect(plan.rules == [
            .init(action: "*", effect: .budget(perSecond: 20), rate: .probability(1)),
            .init(action: "CreateImage", effect: .slow(seconds: 30), rate: .probability(1)),
            .init(action: "DescribeImages", effect: .corrupt, rate: .probability(0.5)),
            .init(action: "CreateVpc", effect: .corrupt, rate: .firstCalls(2)),
        ])
        for bad in ["*:budget:x", "*:budget:-1", "CreateImage:slow:-3", "CreateImage:slow:soon", "X:corrupt:7"] {
            #expect(throws: FaultSpecError.self) { try FaultPlan(spec: bad) }
        }
    }

    @Test func budgetIsSharedAndPerSecond() throws {
        var f = FaultInjector(plan: try FaultPlan(spec: "*:budget:3"), random: SeededRandom(seed: 1))
        let first = (0..<5).map { i in f.decide(action: i % 2 == 0 ? "DescribeVpcs" : "CreateVpc", now: 100.2).error?.code }
        #expect(first == [nil, nil, nil, "Throttling.User", "Throttling.User"])
        #expect(f.decide(action: "DescribeVpcs", now: 100.9).error?.code == "Throttling.User")
        // A new second, a new budget.
        #expect(f.decide(action: "DescribeVpcs", now: 101.0).error == nil)

        // Through the engine: the budget rejects before the action runs.
        let h = try Harness(faults: "CreateVpc:budget:1")
        #expect(h.code("CreateVpc", [:], vpc: true) == nil)
        #expect(h.code("CreateVpc", [:], vpc: true) == "Throttling.User")
        #expect(h.code("DescribeVpcs", [:], vpc: true) == nil)
        #expect(try h.ok("DescribeVpcs", [:], vpc: true)["TotalCount"] == .int(1))
        h.pass(1)
        #expect(h.code("CreateVpc", [:], vpc: true) == nil)
    }

    @Test func slowSnapshotsAndImages() throws {
        let h = try Harness(faults: "CreateSnapshot:slow:100,CreateImage:slow:200")
        let id = try h.instance(try h.network())
        h.pass(1)
        let disk = try h.ok("DescribeDisks", ["InstanceId": id])["Disks"]?["Disk"]?.arrayValue?.first?["DiskId"]?.stringValue
        let sid = try h.ok("CreateSnapshot", ["DiskId": disk ?? ""])["SnapshotId"]!.stringValue!
        func snapshotStatus() throws -> String? {
            try h.ok("DescribeSnapshots", ["SnapshotIds": "[\"\(sid)\"]"])["Snapshots"]?["Snapshot"]?.arrayValue?.first?["Status"]?.stringValue
        }
        h.pass(5)
        #expect(try snapshotStatus() == "progressing")
        h.pass(100)
        #expect(try snapshotStatus() == "accomplished")

        let image = try h.ok("CreateImage", ["InstanceId": id, "ImageName": "slow_one"])["ImageId"]!.stringValue!
        func imageStatus() throws -> String? {
            try h.ok("DescribeImages", ["ImageId": image, "Status": "Creating,Available"])["Images"]?["Image"]?.arrayValue?.first?["Status"]?.stringValue
        }
        h.pass(10)
        #expect(try imageStatus() == "Creating")
        h.pass(200)
        h.pass(1)
        #expect(try imageStatus() == "Available")
    }

    @Test func corruptAnswersAfterPerformingTheAction() throws {
        let h = try Harness(faults: "CreateVpc:corrupt:1x")
        let out = h.engine.perform(RPCCall(action: "CreateVpc", product: .vpc, params: ["RegionId": "cn-hangzhou"]), requestId: "R")
        #expect(out.corrupt != nil)
        #expect(try h.ok("DescribeVpcs", [:], vpc: true)["TotalCount"] == .int(1))
        let again = h.engine.perform(RPCCall(action: "CreateVpc", product: .vpc, params: ["RegionId": "cn-hangzhou"]), requestId: "R2")
        #expect(again.corrupt == nil)

        // Every kind is chosen by some seed, reproducibly.
        var kinds: Set<Int> = []
        for seed in UInt64(1)...40 {
            var f = FaultInjector(plan: try FaultPlan(spec: "*:corrupt:1"), random: SeededRandom(seed: seed))
            let a = f.decide(action: "DescribeVpcs").corrupt
            var g = FaultInjector(plan: try FaultPlan(spec: "*:corrupt:1"), random: SeededRandom(seed: seed))
            #expect(g.decide(action: "DescribeVpcs").corrupt == a)
            if let a { kinds.insert(a.rawValue) }
        }
        #expect(kinds.count == Corruption.allCases.count)
    }

    @Test func corruptionKinds() throws {
        let body: JSONValue = ["RequestId": "R", "VpcId": "vpc-1", "VRouterId": "vrt-1"]
        func text(_ r: ServerResponse) -> String { String(decoding: r.body, as: UTF8.self) }

        let missing = Corruption.missingField.response(for: body, requestId: "R")
        let m = try JSONParser.parse(text(missing))
        #expect(missing.status == 200 && m["RequestId"] == "R" && m["VRouterId"] == nil && m["VpcId"] == "vpc-1")

        let wrong = try JSONParser.parse(text(Corruption.wrongType.response(for: body, requestId: "R")))
        #expect(wrong["VRouterId"]?.stringValue == nil && wrong["VRouterId"]?.arrayValue != nil)

        let cut = Corruption.truncated.response(for: body, requestId: "R")
        #expect(cut.status == 200)
        #expect(throws: (any Error).self) { try JSONParser.parse(text(cut)) }

        let html = Corruption.htmlError.response(for: body, requestId: "R")
        #expect(html.status == 502 && text(html).hasPrefix("<html>"))
        #expect(html.headers.contains { $0.name == "Content-Type" && $0.value == "text/html" })
    }
}
