import AlicloudKit
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import EcsSimKit

/// The built `winrm-run` binary against the in-process WinRM endpoint.
@Suite("winrm-run CLI", .serialized)
struct WinRMRunCLITests {
    static let binary = WinRMServerTests.repoRoot + "/.build/debug/winrm-run"

    struct Outcome {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ args: [String], password: String = WinRMFixture.password, stdin: [UInt8]? = nil,
                    interruptAfter: Double? = nil, stdoutFD: Int32? = nil) throws -> Outcome {
        var env = ProcessInfo.processInfo.environment
        env["WINRM_PASSWORD"] = password
        var cmd = ProcessCommand(binary, ["--password-env", "WINRM_PASSWORD"] + args, environment: env)
        cmd.stdin = stdin.map { .bytes($0) } ?? .null
        cmd.stdout = stdoutFD.map { .fd($0) } ?? .capture(limit: 4 << 20)
        cmd.stderr = .capture(limit: 1 << 20)
        cmd.timeout = 120
        if let interruptAfter {
            // Find the child by its unique password variable value and send SIGINT.
            let marker = password
            DispatchQueue.global().asyncAfter(deadline: .now() + interruptAfter) {
                for pid in WinRMRunCLITests.pids(environmentContaining: "WINRM_PASSWORD=\(marker)") { kill(pid, SIGINT) }
            }
        }
        let r = try Subprocess.run(cmd)
        return Outcome(status: r.exit.code, stdout: r.stdoutText, stderr: r.stderrText)
    }

    /// Processes of ours whose environment holds `entry` (the test's own child only).
    static func pids(environmentContaining entry: String) -> [pid_t] {
        let me = getpid()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return names.compactMap { Int32($0) }.filter { pid in
            guard pid != me, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  status.contains("PPid:\t\(me)\n"),
                  let env = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return false }
            return env.split(separator: 0).contains { String(decoding: $0, as: UTF8.self) == entry }
        }
    }

    /// Remote output that cannot be written (stdout on /dev/full) fails the run with 74,
    /// never a silent 0; a failing remote command keeps its own status.
    @Test func unwritableStdoutIsAFailure() throws {
        let f = try WinRMFixture()
        let full = open("/dev/full", O_WRONLY)
        try #require(full >= 0)
        defer { close(full) }
        let ok = try Self.run(["--port", "\(f.port)", f.address, "echo", "out"], stdoutFD: full)
        #expect(ok.status == 74)
        #expect(ok.stderr == "winrm-run: stdout: No space left on device\n")
        let failing = try Self.run(["--port", "\(f.port)", f.address, "echo", "out", "&", "exit", "/b", "3"], stdoutFD: full)
        #expect(failing.status == 3)
        #expect(failing.stderr.contains("winrm-run: stdout: No space left on device"))
    }

    @Test func commandStreamsAndExitStatus() throws {
        let f = try WinRMFixture()
        let r = try Self.run(["--port", "\(f.port)", f.address, "echo", "out", "&", "echo", "err", "1>&2", "&", "exit", "/b", "3"])
        #expect(r.status == 3)
        #expect(r.stdout == "out\r\n")
        #expect(r.stderr == "err\r\n")
        #expect(f.hosts.openShells(instance: "i-test01") == 0)
    }

    @Test func stdinIsForwarded() throws {
        let f = try WinRMFixture()
        let r = try Self.run(["--port", "\(f.port)", f.address, "more"], stdin: Array("one\ntwo\n".utf8))
        #expect(r.status == 0)
        #expect(r.stdout == "one\ntwo\n")
    }

    @Test func prefixedOutputAsPacker() throws {
        let f = try WinRMFixture()
        let r = try Self.run(["--port", "\(f.port)", "--prefix", "win", f.address, "echo", "hello", "&", "echo", "oops", "1>&2"])
        #expect(r.status == 0)
        #expect(r.stdout == "    win: hello\n")
        #expect(r.stderr == "==> win: oops\n")
    }

    @Test func wrongPasswordExits77WithoutLeakingIt() throws {
        let f = try WinRMFixture()
        let r = try Self.run(["--port", "\(f.port)", f.address, "echo", "hi"], password: "N0tThePassword")
        #expect(r.status == 77)
        #expect(r.stderr.contains("401 unauthorized"))
        #expect(!r.stderr.contains("N0tThePassword") && !r.stdout.contains("N0tThePassword"))
    }

    @Test func missingPasswordVariableIs78() throws {
        var cmd = ProcessCommand(Self.binary, ["--password-env", "WINRM_UNSET_VARIABLE_X", "127.0.0.1", "echo"])
        cmd.stderr = .capture(limit: 4096)
        let r = try Subprocess.run(cmd)
        #expect(r.exit == .exited(78))
        #expect(r.stderrText.contains("WINRM_UNSET_VARIABLE_X is not set"))
    }

    @Test func powershellCLIXMLBecomesText() throws {
        let f = try WinRMFixture()
        let r = try Self.run(["--port", "\(f.port)", f.address, "--powershell", "-"],
                             stdin: Array("Write-Output 'a'\nWrite-Error \"it failed\"\nexit 4\n".utf8))
        #expect(r.status == 4)
        #expect(r.stdout == "a\r\n")
        #expect(r.stderr == "it failed\n")
    }

    @Test func scriptOverTheLineLimitIsUploaded() throws {
        let f = try WinRMFixture()
        // ~6000 characters: its -EncodedCommand would be ~16000, twice cmd.exe's limit.
        var script = ""
        for i in 0..<200 { script += "Write-Output \"line \(i) of a long script........\"\n" }
        script += "exit 6\n"
        let file = f.dir.appendingPathComponent("long.ps1")
        try script.write(to: file, atomically: true, encoding: .utf8)
        #expect(PowerShell.commandLine(script).count > PowerShell.commandLineLimit)
        let r = try Self.run(["--port", "\(f.port)", f.address, "--powershell", file.path])
        #expect(r.status == 6)
        #expect(r.stdout.hasPrefix("line 0 of a long script........\r\n"))
        #expect(r.stdout.hasSuffix("line 199 of a long script........\r\n"))
        // The uploaded script and the temporary chunks file are gone afterwards.
        let left = try FileManager.default.contentsOfDirectory(atPath: f.rootDisk.path + "/Windows/Temp")
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(f.hosts.openShells(instance: "i-test01") == 0)
    }

    @Test func uploadIsByteExact() throws {
        let f = try WinRMFixture()
        var bytes: [UInt8] = []
        for i in 0..<(5958 * 16 + 77) { bytes.append(UInt8(truncatingIfNeeded: i &* 31 &+ 7)) }  // 17 chunks: two shells
        let src = f.dir.appendingPathComponent("blob.bin")
        try Data(bytes).write(to: src)
        let r = try Self.run(["--port", "\(f.port)", f.address, "--upload", src.path, "C:\\Program Files\\app\\blob.bin"])
        #expect(r.status == 0, "\(r.stderr)")
        let got = FileManager.default.contents(atPath: f.rootDisk.path + "/Program Files/app/blob.bin")
        #expect(got.map { [UInt8]($0) } == bytes)
    }

    @Test func powershellProvisionerAsPacker() throws {
        let f = try WinRMFixture()
        let plan = """
            {"type":"powershell","pause_before":0,"max_retries":0,"timeout":0,"config":{
              "inline":["Write-Output \\"build=$env:PACKER_BUILD_NAME type=$env:PACKER_BUILDER_TYPE app=$env:APP\\"","dir c:\\\\","exit 0"],
              "environment_vars":["APP=it's $x"],
              "execute_command":"powershell -executionpolicy bypass \\"& { if (Test-Path variable:global:ProgressPreference){set-variable -name variable:global:ProgressPreference -value 'SilentlyContinue'};. {{.Vars}}; &'{{.Path}}'; exit $LastExitCode }\\"",
              "valid_exit_codes":[0]}}
            """
        let r = try Self.run(["--port", "\(f.port)", "--prefix", "win", "--build-name", "win", "--builder-type", "alicloud-ecs",
                              f.address, "--provision", "-"], stdin: Array(plan.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("    win: build=win type=alicloud-ecs app=it's $x\n"))
        #expect(r.stdout.contains("Windows"))  // dir c:\ lists the root
        #expect(r.stderr.contains("==> win: Provisioning with Powershell..."))
        let left = try FileManager.default.contentsOfDirectory(atPath: f.rootDisk.path + "/Windows/Temp")
        #expect(left.isEmpty, "skip_clean is false: \(left)")
    }

    @Test func provisionerExitCodeOutsideValidFails() throws {
        let f = try WinRMFixture()
        let plan = #"{"type":"powershell","config":{"inline":["exit 2"],"valid_exit_codes":[0,3]}}"#
        let r = try Self.run(["--port", "\(f.port)", f.address, "--provision", "-"], stdin: Array(plan.utf8))
        #expect(r.status == 1)
        #expect(r.stderr.contains("Script exited with non-zero exit status: 2.Allowed exit codes are: [0 3]"))
    }

    @Test func windowsShellProvisioner() throws {
        let f = try WinRMFixture()
        let plan = #"{"type":"windows-shell","config":{"inline":["echo %GREETING% from cmd","exit /b 0"],"environment_vars":["GREETING=hello"]}}"#
        let r = try Self.run(["--port", "\(f.port)", f.address, "--provision", "-"], stdin: Array(plan.utf8))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == "hello from cmd\r\n")
    }

    @Test func waitSucceedsAndTimesOut() throws {
        let f = try WinRMFixture()
        let ok = try Self.run(["--port", "\(f.port)", "--timeout", "10", f.address, "--wait"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let closed = RefusingPort()
        let start = Date()
        // Held until the run is over: refused all along.
        let r = try withExtendedLifetime(closed) { try Self.run(["--port", "\(closed.port)", "--timeout", "2", "127.0.0.1", "--wait"]) }
        #expect(r.status == 75)
        #expect(r.stderr.contains("WinRM not available after 2s"))
        #expect(Date().timeIntervalSince(start) < 15)
    }

    @Test func httpsWithInsecureAndWithCAFile() throws {
        let f = try WinRMFixture(https: true)
        let port = "\(f.httpsPort!)"
        let insecure = try Self.run(["--https", "--insecure", "--port", port, f.address, "echo", "tls"])
        #expect(insecure.status == 0, "\(insecure.stderr)")
        #expect(insecure.stdout == "tls\r\n")
        let ca = try Self.run(["--https", "--ca-file", f.hosts.certificate(instance: "i-test01").path, "--port", port, f.address, "echo", "ca"])
        #expect(ca.status == 0, "\(ca.stderr)")
        #expect(ca.stdout == "ca\r\n")
        // Without either, the self-signed certificate is refused: winrm-run's own failure.
        let strict = try Self.run(["--https", "--port", port, f.address, "echo", "no"])
        #expect(strict.status == 255)
        #expect(strict.stderr.lowercased().contains("certificate"))
    }

    @Test func sigintStopsTheRemoteCommandAndClosesTheShell() throws {
        let f = try WinRMFixture()
        let script = f.dir.appendingPathComponent("sleep.ps1")
        try "Write-Output started\nStart-Sleep 60\n".write(to: script, atomically: true, encoding: .utf8)
        let start = Date()
        let r = try Self.run(["--port", "\(f.port)", "--operation-timeout", "20", f.address, "--powershell", script.path],
                             password: WinRMFixture.password, interruptAfter: 1.5)
        #expect(r.status == 130)
        // Well before the 60 s sleep would end, whatever the machine's load.
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(f.hosts.openShells(instance: "i-test01") == 0)
    }
}
