import AlicloudKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import EcsSimKit

/// A started WinRM endpoint with a fresh instance root, for one test, on a loopback address
/// of its own (127.100-199.x.y, as ecs-sim gives each instance one): HTTP on a port the
/// kernel picks, HTTPS (socat, which cannot report a port of its choosing) on 5986 of that
/// address, where nothing else listens. No port is probed free and bound later.
final class WinRMFixture: @unchecked Sendable {
    let hosts: WinRMHosts
    let dir: URL
    let rootDisk: URL
    let address: String
    let port: Int
    let httpsPort: Int?
    static let password = "Test1234"

    init(https: Bool = false) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("winrm-test-\(UUID().uuidString)")
        rootDisk = dir.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: rootDisk, withIntermediateDirectories: true)
        hosts = try WinRMHosts(root: dir.appendingPathComponent("host/winrm"))
        address = "127.\(Int.random(in: 100...199)).\(Int.random(in: 0...255)).\(Int.random(in: 2...254))"
        httpsPort = https ? 5986 : nil
        port = try hosts.start(instance: "i-test01", address: address, port: 0, httpsPort: httpsPort,
                               rootDisk: rootDisk, user: "Administrator", password: WinRMFixture.password)
    }

    deinit {
        hosts.stopAll()
        try? FileManager.default.removeItem(at: dir)
    }

    func endpoint(password: String = WinRMFixture.password, operationTimeout: Double = 20, https: Bool = false) -> WinRMEndpoint {
        var ep = WinRMEndpoint(host: address, port: https ? httpsPort! : port, https: https, user: "Administrator", password: password)
        ep.operationTimeout = operationTimeout
        return ep
    }

    /// Runs a command line; returns (exit, stdout, stderr).
    func run(_ line: String, stdin: [UInt8]? = nil, operationTimeout: Double = 20) throws -> (UInt32, String, String) {
        let client = WinRMClient(endpoint(operationTimeout: operationTimeout))
        var out: [UInt8] = [], err: [UInt8] = []
        let code = try client.run(line, stdin: stdin) { stream, bytes in
            if stream == .stdout { out += bytes } else { err += bytes }
        }
        return (code, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

}

/// A loopback port bound but not listening, for as long as the value lives: a connection
/// to it is refused, and no other process can take it meanwhile.
final class RefusingPort: @unchecked Sendable {
    private let fd: Int32
    let port: Int

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        port = Int(UInt16(bigEndian: addr.sin_port))
    }

    deinit { close(fd) }
}

@Suite("WinRM endpoint", .serialized)
struct WinRMServerTests {
    @Test func cmdEchoAndExitCode() throws {
        let f = try WinRMFixture()
        let (code, out, err) = try f.run("echo hi & echo err 1>&2 & exit /b 7")
        #expect(code == 7)
        #expect(out == "hi\r\n")
        #expect(err == "err\r\n")
    }

    @Test func unknownCommandIsNotRecognized() throws {
        let f = try WinRMFixture()
        let (code, _, err) = try f.run("frobnicate /all")
        #expect(code == 9009)
        #expect(err.contains("'frobnicate' is not recognized as an internal or external command"))
    }

    @Test func percentVariablesSetTypeAndDir() throws {
        let f = try WinRMFixture()
        let (code, out, _) = try f.run("echo %USERNAME% %TEMP% & echo abc> C:\\Windows\\Temp\\a.txt & type C:\\Windows\\Temp\\a.txt & dir C:\\Windows\\Temp")
        #expect(code == 0)
        #expect(out.hasPrefix("Administrator C:\\Windows\\Temp\r\nabc\r\n"))
        #expect(out.contains("a.txt"))
        #expect(FileManager.default.fileExists(atPath: f.rootDisk.path + "/Windows/Temp/a.txt"))
    }

    @Test func powershellEncodedCommand() throws {
        let f = try WinRMFixture()
        let script = """
            $env:GREETING = "hello"
            Write-Output "$env:GREETING from ps"
            Write-Host 'single $quoted'
            $x = 'v1'
            echo "x=$x"
            exit 3
            """
        let (code, out, _) = try f.run(PowerShell.commandLine(script))
        #expect(code == 3)
        #expect(out == "hello from ps\r\nsingle $quoted\r\nx=v1\r\n")
    }

    @Test func writeErrorIsCLIXMLAndExitsOne() throws {
        let f = try WinRMFixture()
        let (code, out, err) = try f.run(PowerShell.commandLine("Write-Output before\nWrite-Error \"it <broke>\""))
        #expect(code == 1)
        #expect(out == "before\r\n")
        #expect(err.hasPrefix("#< CLIXML\r\n<Objs"))
        #expect(String(decoding: CLIXML.plainText(Array(err.utf8)), as: UTF8.self) == "it <broke>\n")
    }

    @Test func contentCmdletsConditionsAndUnknownCmdlets() throws {
        let f = try WinRMFixture()
        let script = """
            Set-Content -Path C:\\app\\notes.txt -Value "first"
            Add-Content -Path 'C:\\app\\notes.txt' -Value 'second'
            Get-Content C:\\app\\notes.txt
            if (Test-Path -Path C:\\app -PathType Container) { Write-Output 'dir yes' } else { Write-Output 'dir no' }
            if (-not (Test-Path C:\\nothing)) { Write-Output 'missing' }
            Get-WindowsFeature Web-Server
            Write-Output 'still running'
            """
        let (code, out, err) = try f.run(PowerShell.commandLine(script))
        #expect(out == "first\r\nsecond\r\ndir yes\r\nmissing\r\nstill running\r\n")
        #expect(String(decoding: CLIXML.plainText(Array(err.utf8)), as: UTF8.self)
            .hasPrefix("The term 'Get-WindowsFeature' is not recognized as the name of a cmdlet"))
        #expect(code == 0)  // an error record is not terminating; the last statement succeeded
        let onDisk = try String(contentsOfFile: f.rootDisk.path + "/app/notes.txt", encoding: .utf8)
        #expect(onDisk == "first\r\nsecond\r\n")
    }

    @Test func lastExitCodeFromNativeCommand() throws {
        let f = try WinRMFixture()
        let (code, _, _) = try f.run(PowerShell.commandLine("cmd /c exit 5\nexit $LASTEXITCODE"))
        #expect(code == 5)
    }

    @Test func timedOutLoopKeepsAsking() throws {
        let f = try WinRMFixture()
        // OperationTimeout 1 s against a 2.5 s command: at least two TimedOut faults first.
        let start = Date()
        let (code, out, _) = try f.run(PowerShell.commandLine("Start-Sleep -Milliseconds 2500\nWrite-Output done"), operationTimeout: 1)
        #expect(code == 0)
        #expect(out == "done\r\n")
        #expect(Date().timeIntervalSince(start) >= 2.4)
    }

    @Test func stdinThroughSend() throws {
        let f = try WinRMFixture()
        let input = Array(String(repeating: "line of stdin\n", count: 20000).utf8)  // > one Send chunk
        let (code, out, _) = try f.run("more", stdin: input)
        #expect(code == 0)
        #expect(out.utf8.count == input.count)
    }

    @Test func largeOutputSpansReceives() throws {
        let f = try WinRMFixture()
        let text = String(repeating: "0123456789abcdef", count: 40000)  // 640 KB: several envelopes
        try text.write(toFile: f.rootDisk.path + "/Windows/Temp/big.txt", atomically: true, encoding: .utf8)
        let (code, out, _) = try f.run("type C:\\Windows\\Temp\\big.txt")
        #expect(code == 0)
        #expect(out == text)
    }

    @Test func wrongPasswordIs401AndExit77() throws {
        let f = try WinRMFixture()
        let client = WinRMClient(f.endpoint(password: "Wr0ngPassw0rd!"))
        #expect(throws: ToolError.self) { try client.createShell() }
        do { _ = try client.createShell() } catch let e as ToolError {
            #expect(e.status == .noPermission)
            #expect(e.message.contains("401"))
            #expect(!e.message.contains("Wr0ngPassw0rd!"))
        }
    }

    /// One request on a fresh connection with `Connection: close`; the whole answer as text.
    static func exchange(_ address: String, port: Int, _ head: String, body: String = "") throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(address)
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        let request = Array((head + "Host: \(address)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body).utf8)
        #expect(request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) } == request.count)
        var answer: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 4096)
        while case let n = recv(fd, &buf, buf.count, 0), n > 0 { answer += buf[0..<n] }
        return String(decoding: answer, as: UTF8.self)
    }

    @Test func httpAnswersAsHTTPSysDoes() throws {
        let f = try WinRMFixture()
        let auth = HTTPRequest.basicAuthorization(user: "Administrator", password: WinRMFixture.password)
        let unauthorized = try Self.exchange(f.address, port: f.port, "POST /wsman HTTP/1.1\r\n", body: "<x/>")
        #expect(unauthorized.hasPrefix("HTTP/1.1 401 Unauthorized\r\n"))
        #expect(unauthorized.contains("\r\nWWW-Authenticate: Negotiate\r\nWWW-Authenticate: Basic realm=\"WSMAN\"\r\n"))
        #expect(unauthorized.contains("\r\nServer: Microsoft-HTTPAPI/2.0\r\n"))
        let wrongMethod = try Self.exchange(f.address, port: f.port, "GET /wsman HTTP/1.1\r\nAuthorization: \(auth)\r\n")
        #expect(wrongMethod.hasPrefix("HTTP/1.1 405 "))
        let wrongPath = try Self.exchange(f.address, port: f.port, "POST /other HTTP/1.1\r\nAuthorization: \(auth)\r\n", body: "<x/>")
        #expect(wrongPath.hasPrefix("HTTP/1.1 404 "))
        let soap = try Self.exchange(f.address, port: f.port, "POST /wsman HTTP/1.1\r\nAuthorization: \(auth)\r\n", body: "not xml")
        #expect(soap.contains("\r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"))
        #expect(soap.hasPrefix("HTTP/1.1 500 ") && soap.contains("w:SchemaValidationError"))
    }

    @Test func restartOnTheSameAddressServesAtOnce() throws {
        let f = try WinRMFixture()
        for _ in 0..<3 {
            try f.hosts.start(instance: "i-test01", address: f.address, port: f.port, httpsPort: nil,
                              rootDisk: f.rootDisk, user: "Administrator", password: WinRMFixture.password)
        }
        let (code, out, _) = try f.run("echo again")
        #expect(code == 0)
        #expect(out == "again\r\n")
    }

    @Test func unknownShellIsInvalidSelectors() throws {
        let f = try WinRMFixture()
        let client = WinRMClient(f.endpoint())
        do {
            _ = try client.startCommand(shellID: "NOPE", "echo hi")
            Issue.record("expected a fault")
        } catch let fault as WSManFault {
            #expect(fault.code == WSMan.invalidSelectorsCode)
            #expect(fault.subcode == "w:InvalidSelectors")
        }
    }

    @Test func ctrlCStopsARunningCommand() throws {
        let f = try WinRMFixture()
        let client = WinRMClient(f.endpoint(operationTimeout: 1))
        let shell = try client.createShell()
        let cid = try client.startCommand(shellID: shell, PowerShell.commandLine("Start-Sleep 30"))
        let start = Date()
        try client.signal(shellID: shell, commandID: cid, .ctrlC)
        var answer = try client.receive(shellID: shell, commandID: cid)
        while !answer.done { answer = try client.receive(shellID: shell, commandID: cid) }
        // Well before the 30 s sleep would end, whatever the machine's load.
        #expect(Date().timeIntervalSince(start) < 20)
        #expect(answer.exitCode == 130)
        try client.signal(shellID: shell, commandID: cid, .terminate)
        try client.deleteShell(shell)
        #expect(throws: WSManFault.self) { try client.receive(shellID: shell, commandID: cid) }
    }

    @Test func userDataCheck() throws {
        // The seed's script (winrm quickconfig + winrm set ... @{Basic="true"}) and the
        // Enable-PSRemoting form of examples/alicloud/basic/winrm_enable_userdata.ps1.
        let seedStyle = """
            <powershell>
            Set-ExecutionPolicy Unrestricted -Scope LocalMachine
            winrm quickconfig -q
            winrm set winrm/config/service '@{AllowUnencrypted="true"}'
            winrm set winrm/config/service/auth '@{Basic="true"}'
            </powershell>
            """
        let remotingStyle = """
            [powershell]
            Enable-PSRemoting -SkipNetworkProfileCheck -Force
            Set-Item -Path WSMan:\\localhost\\Service\\Auth\\Basic -Value $true
            """
        #expect(userDataEnablesWinRM(seedStyle))
        #expect(userDataEnablesWinRM(remotingStyle))
        #expect(!userDataEnablesWinRM("#!/bin/sh\necho hello\n"))
        #expect(!userDataEnablesWinRM("#powershell\nWrite-Output hi\n"))
        #expect(!userDataEnablesWinRM("<powershell>\nwinrm quickconfig -q\n</powershell>"))  // no Basic auth
    }

    static var repoRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }
}

@Suite("WinRM endpoint with real clients", .serialized)
struct WinRMRealClientTests {
    /// Interpreters that can import pywinrm (PyPI's in PATH, Debian's python3-winrm).
    static func interpreters() -> [String] {
        var found: [String] = []
        let extra = ProcessInfo.processInfo.environment["WINRM_TEST_PYTHON"].map { [$0] } ?? []
        for python in ["python3", "/usr/bin/python3"] + extra {
            var cmd = ProcessCommand(python, ["-c", "import winrm, sys; print(sys.executable)"])
            cmd.stdout = .capture(limit: 4096)
            cmd.stderr = .null
            guard let r = try? Subprocess.run(cmd), r.exit == .exited(0) else { continue }
            let exe = r.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
            if !found.contains(exe) { found.append(exe) }
        }
        return found
    }

    @Test func pywinrmRunsUnchanged() throws {
        let pythons = Self.interpreters()
        // scripts/install-deps installs python3-winrm: a machine without it fails here.
        #expect(!pythons.isEmpty, "no python3 with pywinrm (apt-get install python3-winrm)")
        let f = try WinRMFixture()
        for python in pythons {
            var env = ProcessInfo.processInfo.environment
            env["WINRM_PASSWORD"] = WinRMFixture.password
            var cmd = ProcessCommand(python, [WinRMServerTests.repoRoot + "/Tests/winrm/pywinrm_fidelity.py",
                                              "http://\(f.address):\(f.port)/wsman"], environment: env)
            cmd.stdout = .capture(limit: 1 << 16)
            cmd.stderr = .capture(limit: 1 << 16)
            cmd.timeout = 120
            let r = try Subprocess.run(cmd)
            #expect(r.exit == .exited(0), "\(python):\n\(r.stdoutText)\(r.stderrText)")
            #expect(r.stdoutText.contains("ok   TimedOut loop"))
        }
    }
}
