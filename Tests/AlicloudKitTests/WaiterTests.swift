import Testing
@testable import AlicloudKit

/// A fake clock and a scripted API: each poll returns the next response.
final class ScriptedAPI: @unchecked Sendable {
    var now = 0.0
    var calls: [(String, String, [String: String])] = []
    var responses: [Result<JSONValue, ToolError>]
    init(_ responses: [Result<JSONValue, ToolError>]) { self.responses = responses }

    func waiter(_ target: WaitTarget, timeout: Double = 60, schedule: PollSchedule = PollSchedule()) -> Waiter {
        Waiter(target: target, region: "cn-beijing", timeout: timeout, schedule: schedule, describe: { p, a, params in
            self.calls.append((p, a, params))
            let r = self.responses.count > 1 ? self.responses.removeFirst() : self.responses[0]
            return try r.get()
        }, clock: { self.now }, sleep: { self.now += $0 })
    }
}

func image(_ status: String, progress: String = "100%") -> JSONValue {
    ["Images": ["Image": [["ImageId": "m-1", "Status": .string(status), "Progress": .string(progress),
        "DiskDeviceMappings": ["DiskDeviceMapping": [["SnapshotId": "s-1"]]]]]]]
}

@Suite struct WaiterTests {
    @Test func imageBecomesAvailable() throws {
        let api = ScriptedAPI([.success(image("Creating", progress: "10%")), .success(image("Creating", progress: "90%")), .success(image("Available"))])
        let (value, polls) = try api.waiter(.image("m-1")).run()
        #expect(polls == 3)
        #expect(value["ImageId"] == "m-1")
        #expect(api.calls[0].1 == "DescribeImages")
        #expect(api.calls[0].2["ImageId"] == "m-1")
        #expect(api.calls[0].2["Status"] == "Creating,Waiting,Available,UnAvailable,CreateFailed")
    }

    /// --delay: the first poll comes after the pause, not at once; the timeout still counts it.
    @Test func aDelayedFirstPollSkipsTheOneThatCannotSucceed() throws {
        let api = ScriptedAPI([.success(image("Creating", progress: "10%")), .success(image("Available"))])
        var times: [Double] = []
        let w = Waiter(target: .image("m-1"), region: "cn-beijing", timeout: 60, schedule: PollSchedule(delay: 3), describe: { _, _, _ in
            times.append(api.now)
            return try api.responses.removeFirst().get()
        }, clock: { api.now }, sleep: { api.now += $0 })
        let (_, polls) = try w.run()
        #expect(polls == 2 && times == [3, 4.5])  // then half the time waited, delay included
        let late = ScriptedAPI([.success(image("Creating"))])
        #expect(throws: ToolError.self) { try late.waiter(.image("m-1"), timeout: 2, schedule: PollSchedule(delay: 5)).run() }
        #expect(late.now == 2 && late.calls.count == 1)
    }

    @Test func createFailedFailsFast() {
        let api = ScriptedAPI([.success(image("CreateFailed"))])
        #expect(throws: ToolError.self) { try api.waiter(.image("m-1")).run() }
        #expect(api.calls.count == 1)
    }

    @Test func timesOutWith75AndLastState() {
        let api = ScriptedAPI([.success(image("Creating", progress: "45%"))])
        do {
            _ = try api.waiter(.image("m-1"), timeout: 30).run()
            Issue.record("no timeout")
        } catch let error as ToolError {
            #expect(error.status == .tempFail)
            #expect(error.message == "image m-1: timed out after 30s (last: Creating 45%)")
        } catch { Issue.record("\(error)") }
        #expect(api.now == 30)
    }

    @Test func shortWaitsPollQuicklyLongWaitsRarely() {
        let s = PollSchedule()
        #expect(s.interval(afterWaiting: 0) == 0.5)
        #expect(s.interval(afterWaiting: 1.9) < 1)
        #expect(s.interval(afterWaiting: 8) == 4)
        #expect(s.interval(afterWaiting: 3600) == 10)
        #expect(s.interval(afterWaiting: 3, remain: 42) == 42)
        #expect(s.interval(afterWaiting: 3, remain: 600) == 60)
        // An hour's wait without an estimate costs under 400 calls, not 720 (Packer's fixed 5 s).
        let api = ScriptedAPI([.success(image("Creating", progress: "1%"))])
        _ = try? api.waiter(.image("m-1"), timeout: 3600).run()
        #expect(api.calls.count < 400)
    }

    @Test func theAPIsEstimateOfTheTimeLeftSchedulesThePoll() throws {
        func img(_ status: String, _ remain: Int) -> JSONValue {
            ["Images": ["Image": [["ImageId": "m-1", "Status": .string(status), "Progress": "50%",
                "DiskDeviceMappings": ["DiskDeviceMapping": [["SnapshotId": "s-1", "RemainTime": .int(remain)],
                                                             ["SnapshotId": "s-2", "RemainTime": .int(remain / 2)]]]]]]]
        }
        let api = ScriptedAPI([.success(img("Creating", 120)), .success(img("Creating", 0)), .success(image("Available"))])
        let (_, polls) = try api.waiter(.image("m-1"), timeout: 3600).run()
        #expect(polls == 3)
        // The first pause follows the longest RemainTime (capped at 60 s); without an
        // estimate the ordinary schedule resumes (half the time waited, at most 10 s).
        #expect(api.now == 60 + 10)
    }

    @Test func snapshotsNeedEveryOneAccomplished() throws {
        func snaps(_ a: String, _ pa: String, _ b: String, _ pb: String) -> JSONValue {
            ["Snapshots": ["Snapshot": [["SnapshotId": "s-a", "Status": .string(a), "Progress": .string(pa)],
                                        ["SnapshotId": "s-b", "Status": .string(b), "Progress": .string(pb)]]]]
        }
        let api = ScriptedAPI([.success(snaps("accomplished", "100%", "progressing", "50%")),
                               .success(snaps("accomplished", "100%", "accomplished", "100%"))])
        let (_, polls) = try api.waiter(.snapshots(["s-a", "s-b"])).run()
        #expect(polls == 2)
        #expect(api.calls[0].2["SnapshotIds"] == "[\"s-a\",\"s-b\"]")
        let failing = ScriptedAPI([.success(snaps("failed", "10%", "accomplished", "100%"))])
        #expect(throws: ToolError.self) { try failing.waiter(.snapshots(["s-a", "s-b"])).run() }
    }

    @Test func instanceDeletedMeansGone() throws {
        let api = ScriptedAPI([.success(["Instances": ["Instance": [["InstanceId": "i-1", "Status": "Stopping"]]]]),
                               .success(["Instances": ["Instance": []]])])
        let (value, _) = try api.waiter(.instance("i-1", status: "Deleted")).run()
        #expect(value["Status"] == "Deleted")
    }

    @Test func throttlingSlowsPollingButDoesNotFail() throws {
        let api = ScriptedAPI([.failure(ToolError(.tempFail, "Throttling")), .failure(ToolError(.tempFail, "Throttling")),
                               .success(["EipAddresses": ["EipAddress": [["AllocationId": "eip-1", "Status": "InUse"]]]])])
        let (value, polls) = try api.waiter(.eip("eip-1", status: "InUse")).run()
        #expect(polls == 3)
        #expect(value["Status"] == "InUse")
        #expect(api.calls[0].0 == "vpc")
    }

    @Test func otherErrorsEndTheWait() {
        let api = ScriptedAPI([.failure(ToolError(.noPermission, "InvalidAccessKeyId.NotFound"))])
        #expect(throws: ToolError.self) { try api.waiter(.vpc("vpc-1", status: "Available")).run() }
    }

    @Test func missingForTooLongIsAnError() {
        let api = ScriptedAPI([.success(["Vpcs": ["Vpc": []]])])
        do {
            _ = try api.waiter(.vpc("vpc-1", status: "Available"), timeout: 600).run()
            Issue.record("no error")
        } catch let error as ToolError {
            #expect(error.message == "vpc vpc-1: not found")
            #expect(error.status == .failed)
        } catch { Issue.record("\(error)") }
    }
}
