import AlicloudKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import EcsSimKit

/// The seed's user data (examples/alicloud/basic/winrm_enable_userdata.ps1), read from the repository.
func winrmEnablingUserData() throws -> String {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    return try String(contentsOf: repo.appendingPathComponent("examples/alicloud/basic/winrm_enable_userdata.ps1"), encoding: .utf8)
}

let windowsImage = "win2008r2_64_ent_sp1_zh-cn_40G_alibase_20181220.vhd"
let windowsPassword = "Test1234"

/// Creates a Windows instance in a harness-like engine and starts it.
func startWindowsInstance(call: (String, [String: String]) throws -> JSONValue, pass: (Double) -> Void,
                          net: (vpc: String, vsw: String, sg: String), userData: String?) throws -> String {
    var p = ["ImageId": windowsImage, "InstanceType": "ecs.n1.tiny", "SecurityGroupId": net.sg, "VSwitchId": net.vsw, "Password": windowsPassword]
    if let userData { p["UserData"] = Data(userData.utf8).base64EncodedString() }
    let id = try call("CreateInstance", p)["InstanceId"]!.stringValue!
    pass(60)
    _ = try call("StartInstance", ["InstanceId": id])
    pass(60)
    return id
}

@Suite("Windows instances: the engine's side")
struct WindowsInstanceEngineTests {
    @Test func onlyTheEnablingUserDataStartsWinRMAndStopEndsIt() throws {
        let h = try Harness()
        let net = try h.network()
        let call: (String, [String: String]) throws -> JSONValue = { try h.ok($0, $1) }
        let enabled = try startWindowsInstance(call: call, pass: h.pass, net: net, userData: try winrmEnablingUserData())
        let closed = try startWindowsInstance(call: call, pass: h.pass, net: net, userData: "<powershell>\nWrite-Output hello\n</powershell>")
        let bare = try startWindowsInstance(call: call, pass: h.pass, net: net, userData: nil)
        #expect(try h.instanceStatus(enabled) == "Running")
        let address = h.engine.state.instances[enabled]!.privateIp
        let log = h.host.log
        #expect(log.contains { $0.hasPrefix("winrm \(enabled) \(address):5985 https=5986 disk=d-") })
        #expect(!log.contains { $0.hasPrefix("winrm \(closed)") || $0.hasPrefix("winrm \(bare)") })
        #expect(!log.contains { $0.hasPrefix("start ") })  // no sshd for Windows
        #expect(!log.joined().contains(windowsPassword))

        _ = try h.ok("StopInstance", ["InstanceId": enabled])
        h.pass(60)
        #expect(try h.instanceStatus(enabled) == "Stopped")
        #expect(h.host.log.contains("stopwinrm \(enabled)"))
    }

    @Test func attachKeyPairRefusesWindowsInstances() throws {
        let h = try Harness()
        let net = try h.network()
        let id = try h.ok("CreateInstance", ["ImageId": windowsImage, "InstanceType": "ecs.n1.tiny", "SecurityGroupId": net.sg,
                                             "VSwitchId": net.vsw])["InstanceId"]!.stringValue!
        h.pass(60)
        _ = try h.ok("CreateKeyPair", ["KeyPairName": "packer_k"])
        #expect(h.code("AttachKeyPair", ["KeyPairName": "packer_k", "InstanceIds": "[\"\(id)\"]"]) == "DependencyViolation.WindowsInstance")
        #expect(h.code("CreateInstance", ["ImageId": windowsImage, "InstanceType": "ecs.n1.tiny", "SecurityGroupId": net.sg,
                                          "VSwitchId": net.vsw, "KeyPairName": "packer_k"]) == "InvalidParameter.KeyPairNotSupport")
    }

    @Test func theSeedsUserDataIsRecognizedAndOrdinaryScriptsAreNot() throws {
        #expect(userDataEnablesWinRM(try winrmEnablingUserData()))
        #expect(!userDataEnablesWinRM("#!/bin/sh\necho hi\n"))
        #expect(!userDataEnablesWinRM("<powershell>\nWrite-Output hello\n</powershell>"))
    }
}

/// An engine over a real `LocalHost` in a temporary state directory, on a manual clock.
final class LocalHostHarness: @unchecked Sendable {
    let dir: URL
    let engine: Engine
    let host: LocalHost
    let clock = ManualClock()

    init() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecs-sim-windows-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var config = EngineConfig()
        config.profile = .fast
        config.stateDirectory = dir
        host = try LocalHost(root: dir.appendingPathComponent("host"))
        engine = try Engine(config: config, host: host)
        let c = clock
        engine.clock = { c.now }
    }

    deinit {
        engine.shutdown()
        try? FileManager.default.removeItem(at: dir)
    }

    func ok(_ action: String, _ params: [String: String] = [:], vpc: Bool = false) throws -> JSONValue {
        var p = params
        p["RegionId"] = "cn-hangzhou"
        let c = RPCCall(action: action, version: vpc ? "2016-04-28" : "2014-05-26", product: vpc ? .vpc : .ecs, params: p)
        return try engine.perform(c, requestId: "REQ").result.get()
    }

    func pass(_ seconds: Double) {
        engine.drainHostWork()
        clock.advance(seconds)
        engine.tick()
        engine.drainHostWork()
        engine.tick()
    }

    func network() throws -> (vpc: String, vsw: String, sg: String) {
        let vpc = try ok("CreateVpc", ["CidrBlock": "172.16.0.0/12"], vpc: true)["VpcId"]!.stringValue!
        pass(1)
        let vsw = try ok("CreateVSwitch", ["VpcId": vpc, "ZoneId": "cn-hangzhou-k", "CidrBlock": "172.16.1.0/24"], vpc: true)["VSwitchId"]!.stringValue!
        let sg = try ok("CreateSecurityGroup", ["VpcId": vpc])["SecurityGroupId"]!.stringValue!
        pass(1)
        return (vpc, vsw, sg)
    }

    func address(_ id: String) -> String {
        engine.lock.lock()
        defer { engine.lock.unlock() }
        return engine.state.instances[id]!.privateIp
    }

    /// Runs a cmd line on an instance's WinRM endpoint; returns (exit, stdout).
    func run(_ address: String, _ line: String, password: String = windowsPassword) throws -> (UInt32, String) {
        var ep = WinRMEndpoint(host: address, port: 5985, https: false, user: "Administrator", password: password)
        ep.operationTimeout = 20
        var out: [UInt8] = []
        let code = try WinRMClient(ep).run(line, stdin: nil) { stream, bytes in if stream == .stdout { out += bytes } }
        return (code, String(decoding: out, as: UTF8.self))
    }
}

@Suite("Windows instances on the real host", .serialized, .enabled(if: SSHHosts.isSupported, "needs root: WinRM endpoints use chroot and mknod"))
struct WindowsInstanceHostTests {
    @Test func theEnablingUserDataOpensWinRMWithThePasswordAndStopClosesIt() throws {
        let h = try LocalHostHarness()
        let net = try h.network()
        let call: (String, [String: String]) throws -> JSONValue = { try h.ok($0, $1) }
        let id = try startWindowsInstance(call: call, pass: h.pass, net: net, userData: try winrmEnablingUserData())
        let address = h.address(id)
        #expect(address.hasPrefix("127."))

        let (code, out) = try h.run(address, "echo hello from %COMPUTERNAME% & dir C:\\")
        #expect(code == 0)
        #expect(out.hasPrefix("hello from IZ"))
        #expect(out.contains("Windows"))
        // The provisioner's command of the seed: PowerShell's listing of C:\.
        let (psCode, psOut) = try h.run(address, PowerShell.commandLine("dir c:\\"))
        #expect(psCode == 0)
        #expect(psOut.contains("    Directory: C:\\\r\n"))
        #expect(psOut.contains("Mode                LastWriteTime     Length Name\r\n"))
        #expect(psOut.contains(" Windows\r\n") && psOut.contains(" Users\r\n"))
        #expect(!psOut.contains(".ecs-sim"))

        // HTTPS on 5986 with the instance's self-signed certificate.
        var ep = WinRMEndpoint(host: address, port: 5986, https: true, user: "Administrator", password: windowsPassword)
        ep.http.caFile = h.host.winrm.certificate(instance: id).path
        var tlsOut: [UInt8] = []
        #expect(try WinRMClient(ep).run("echo tls", stdin: nil) { s, b in if s == .stdout { tlsOut += b } } == 0)
        #expect(String(decoding: tlsOut, as: UTF8.self) == "tls\r\n")

        // Only the instance password logs in.
        do {
            _ = try h.run(address, "echo no", password: "Wr0ngPassw0rd")
            Issue.record("a wrong password logged in")
        } catch let e as ToolError {
            #expect(e.status == .noPermission)
        }

        _ = try h.ok("StopInstance", ["InstanceId": id])
        h.pass(60)
        #expect(!WinRMHosts.canConnect(address, 5985))
        #expect(!WinRMHosts.canConnect(address, 5986))
    }

    @Test func withoutTheUserDataWinRMNeverAnswers() throws {
        let h = try LocalHostHarness()
        let net = try h.network()
        let call: (String, [String: String]) throws -> JSONValue = { try h.ok($0, $1) }
        let id = try startWindowsInstance(call: call, pass: h.pass, net: net, userData: nil)
        h.pass(60)
        let address = h.address(id)
        #expect(!WinRMHosts.canConnect(address, 5985))
        #expect(!WinRMHosts.canConnect(address, 5986))
        #expect(!WinRMHosts.canConnect(address, 22))
    }

    @Test func anImageOfAnEnabledInstanceKeepsWinRMOn() throws {
        let h = try LocalHostHarness()
        let net = try h.network()
        let call: (String, [String: String]) throws -> JSONValue = { try h.ok($0, $1) }
        let first = try startWindowsInstance(call: call, pass: h.pass, net: net, userData: try winrmEnablingUserData())
        _ = try h.ok("StopInstance", ["InstanceId": first])
        h.pass(60)
        let image = try h.ok("CreateImage", ["InstanceId": first, "ImageName": "win-custom"])["ImageId"]!.stringValue!
        for _ in 0..<10 { h.pass(60) }
        let p = ["ImageId": image, "InstanceType": "ecs.n1.tiny", "SecurityGroupId": net.sg, "VSwitchId": net.vsw, "Password": "Other1234"]
        let second = try h.ok("CreateInstance", p)["InstanceId"]!.stringValue!
        h.pass(60)
        _ = try h.ok("StartInstance", ["InstanceId": second])
        h.pass(60)
        let (code, out) = try h.run(h.address(second), "echo again", password: "Other1234")
        #expect(code == 0)
        #expect(out == "again\r\n")
    }
}

@Suite("PowerShell Get-ChildItem on the emulated host", .serialized, .enabled(if: SSHHosts.isSupported, "needs root: chroot and mknod"))
struct WindowsListingTests {
    @Test func listsLikePowerShellAndReportsAMissingPath() throws {
        let f = try WinRMFixture()
        try "12345".write(toFile: f.rootDisk.path + "/Windows/Temp/b.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(atPath: f.rootDisk.path + "/Windows/Temp/sub", withIntermediateDirectories: true)
        let (code, out, _) = try f.run(PowerShell.commandLine("Get-ChildItem -Path C:\\Windows\\Temp"))
        #expect(code == 0)
        let lines = out.components(separatedBy: "\r\n")
        #expect(lines.prefix(6) == ["", "    Directory: C:\\Windows\\Temp", "", "", "Mode                LastWriteTime     Length Name",
                                    "----                -------------     ------ ----"])
        // Directories first, then files with their length right-aligned under "Length".
        let sub = try #require(lines.firstIndex { $0.hasPrefix("d----") && $0.hasSuffix(" sub") })
        let file = try #require(lines.firstIndex { $0.hasPrefix("-a---") && $0.hasSuffix(" b.txt") })
        #expect(sub < file)
        #expect(lines[file].dropLast(" b.txt".count).hasSuffix("          5"))
        #expect(lines[file].count == "Mode                LastWriteTime     Length ".count + "b.txt".count)

        let (missingCode, missingOut, err) = try f.run(PowerShell.commandLine("dir C:\\nope"))
        #expect(missingCode == 1)
        #expect(missingOut.isEmpty)
        #expect(String(decoding: CLIXML.plainText(Array(err.utf8)), as: UTF8.self).contains("Cannot find path 'C:\\nope' because it does not exist."))
    }
}
