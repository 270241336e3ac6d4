#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import AlicloudKit

/// A thread-safe collector for streamed lines.
final class LineBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func add(_ bytes: [UInt8]) { lock.lock(); items.append(String(decoding: bytes, as: UTF8.self)); lock.unlock() }
    var lines: [String] { lock.lock(); defer { lock.unlock() }; return items }
}

func sh(_ script: String, stdin: ProcessInput = .null) -> ProcessCommand {
    var c = ProcessCommand("/bin/sh", ["-c", script])
    c.stdin = stdin
    c.stdout = .capture(limit: 1 << 20)
    c.stderr = .capture(limit: 1 << 20)
    return c
}

func openFdCount() -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
}

@Suite struct ProcessTests {
    @Test(arguments: [0, 1, 42, 255])
    func exitCodesPassThrough(code: Int32) throws {
        let r = try Subprocess.run(sh("exit \(code)"))
        #expect(r.exit == .exited(code))
        #expect(r.exit.code == code)
    }

    @Test func signalDeathIsKilledNotExited() throws {
        let r = try Subprocess.run(sh("kill -TERM $$; sleep 5"))
        #expect(r.exit == .killed(SIGTERM))
        #expect(r.exit.code == 143)
        #expect(r.exit.description == "killed by signal TERM")
    }

    @Test func stdoutAndStderrStaySeparate() throws {
        let r = try Subprocess.run(sh("echo out; echo err >&2; echo out2"))
        #expect(r.stdoutText == "out\nout2\n")
        #expect(r.stderrText == "err\n")
    }

    @Test func stdinBytesReachTheChild() throws {
        let input = Array((0..<200_000).map { UInt8(truncatingIfNeeded: $0 % 251) })
        let r = try Subprocess.run(sh("cat", stdin: .bytes(input)))
        #expect(r.stdout == input)
    }

    @Test func captureIsBounded() throws {
        var c = sh("seq 1 100000")
        c.stdout = .capture(limit: 10)
        let r = try Subprocess.run(c)
        #expect(r.stdoutText == "1\n2\n3\n4\n5\n")
        #expect(r.stdoutTruncated)
        #expect(r.exit == .exited(0))
    }

    @Test func linesArriveWholeIncludingAnUnterminatedLast() throws {
        let out = LineBox(), err = LineBox()
        var c = sh("seq 1 20000; printf 'e1\\ne2' >&2; printf tail")
        c.stdout = .lines { out.add($0) }
        c.stderr = .lines { err.add($0) }
        _ = try Subprocess.run(c)
        let lines = out.lines
        #expect(lines.count == 20001)
        #expect(lines.first == "1")
        #expect(lines[19999] == "20000")
        #expect(lines.last == "20000tail" || lines.last == "tail")
        #expect(err.lines == ["e1", "e2"])
    }

    @Test func linesStreamBeforeTheChildEnds() throws {
        let start = monotonicSeconds()
        let firstAt = LineBox()
        var c = sh("echo first; sleep 1; echo second")
        c.stdout = .lines { _ in firstAt.add(Array(String(monotonicSeconds() - start).utf8)) }
        _ = try Subprocess.run(c)
        let times = firstAt.lines.compactMap(Double.init)
        #expect(times.count == 2)
        #expect(times[0] < 0.8)
        #expect(times[1] >= 0.9)
    }

    @Test func timeoutSendsTermThenKill() throws {
        var c = sh("trap '' TERM; sleep 30")
        c.timeout = 0.3
        c.killGrace = 0.3
        let start = monotonicSeconds()
        let r = try Subprocess.run(c)
        let took = monotonicSeconds() - start
        #expect(r.timedOut)
        #expect(r.exit == .killed(SIGKILL))
        #expect(took < 3)
    }

    @Test func timeoutTermIsEnoughForAPoliteChild() throws {
        var c = sh("sleep 30")
        c.timeout = 0.2
        let r = try Subprocess.run(c)
        #expect(r.timedOut)
        #expect(r.exit == .killed(SIGTERM))
    }

    @Test func backgroundGrandchildDoesNotHoldTheRun() throws {
        let start = monotonicSeconds()
        let r = try Subprocess.run(sh("sleep 3 & echo x"))
        #expect(monotonicSeconds() - start < 2)
        #expect(r.stdoutText == "x\n")
    }

    @Test func childSeesOnlyStandardDescriptors() throws {
        // An fd without CLOEXEC in the parent must not reach the child.
        let leaked = open("/dev/null", O_RDONLY)
        defer { close(leaked) }
        let r = try Subprocess.run(sh("ls /proc/$$/fd"))
        let fds = Set(r.stdoutText.split(separator: "\n").map(String.init))
        #expect(fds == ["0", "1", "2"])
    }

    @Test func childGetsDefaultSignalDispositions() throws {
        SignalForwarding.install()   // ignores SIGINT/SIGTERM in this process first
        let r = try Subprocess.run(sh("grep SigIgn /proc/$$/status"))
        let hex = r.stdoutText.split(separator: "\t").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        let mask = UInt64(hex, radix: 16)
        #expect(mask != nil)
        // Signals 1..31 (INT, TERM, PIPE, ...) must be back to default in the child.
        #expect((mask ?? 1) & 0x7fff_ffff == 0)
    }

    @Test func noDescriptorLeakAcrossManyRuns() throws {
        _ = try Subprocess.run(sh("true"))
        let before = openFdCount()
        for _ in 0..<300 {
            var c = sh("echo x; echo y >&2", stdin: .bytes([65]))
            c.stdout = .lines { _ in }
            _ = try Subprocess.run(c)
        }
        #expect(openFdCount() - before < 20)
    }

    @Test func environmentIsExactlyWhatIsGiven() throws {
        var c = ProcessCommand("/usr/bin/env", [], environment: ["ONLY": "this one"])
        c.stdout = .capture(limit: 4096)
        let r = try Subprocess.run(c)
        #expect(r.stdoutText == "ONLY=this one\n")
    }

    @Test func missingProgramIsUnavailable() throws {
        #expect(throws: ToolError.self) { _ = try Subprocess.run(ProcessCommand("/nonexistent/prog")) }
        var c = ProcessCommand("no-such-program-xyz")
        c.stderr = .null
        #expect(throws: ToolError.self) { _ = try Subprocess.run(c) }
    }

    @Test func pipelineFeedsTheConsumerAndStopsAProducerItOutlives() throws {
        let (first, second) = try Subprocess.pipeline(sh("printf 'one\\ntwo\\n'; echo err >&2"), sh("tr a-z A-Z; echo done"))
        #expect(first.exit == .exited(0) && first.stdout.isEmpty && first.stderrText == "err\n")
        #expect(second.exit == .exited(0) && second.stdoutText == "ONE\nTWO\ndone\n")
        let (yes, head) = try Subprocess.pipeline(sh("while :; do echo y; done"), sh("head -c 4"))
        #expect(head.stdoutText == "y\ny\n")
        #expect(yes.exit == .killed(SIGPIPE))
    }

    @Test func spawnedChildCanLeadItsOwnProcessGroup() throws {
        let p = try makePipe()
        defer { close(p.read) }
        let pid = try Subprocess.spawn(["/bin/sh", "-c", "sleep 30 & echo $!; wait"], environment: ["PATH": "/bin:/usr/bin"],
                                       stdout: .fd(p.write), newProcessGroup: true)
        close(p.write)
        var buf = [UInt8](repeating: 0, count: 64)
        let n = read(p.read, &buf, buf.count)
        let grandchild = pid_t(String(decoding: buf[0..<max(0, n)], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(getpgid(pid) == pid)
        #expect(getpgid(grandchild) == pid)
        kill(-pid, SIGTERM)  // the whole group
        #expect(Subprocess.wait(pid) == .killed(SIGTERM))
        #expect(Subprocess.wait(pid) == nil, "reaped once")
    }

    @Test func spawnedChildStaysInOurGroupByDefault() throws {
        let pid = try Subprocess.spawn(["/bin/sh", "-c", "exit 3"], environment: [:])
        let group = getpgid(pid)
        #expect(Subprocess.wait(pid) == .exited(3))
        #expect(group == getpgrp())  // a zombie keeps its group until reaped
    }

    @Test func spawnFailureNamesTheProgram() throws {
        do {
            _ = try Subprocess.spawn(["/nonexistent/prog"], environment: nil)
            Issue.record("expected a failure")
        } catch let e as ToolError {
            #expect(e.status == .unavailable)
            #expect(e.message == "/nonexistent/prog: cannot run: No such file or directory")
        }
    }

    @Test func pathLookupAndFdOutput() throws {
        let path = NSTemporaryDirectory() + "proc-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        defer { unlink(path) }
        var c = ProcessCommand("printf", ["%s-%s", "a", "b"])
        c.stdout = .fd(fd)
        let r = try Subprocess.run(c)
        close(fd)
        #expect(r.exit == .exited(0))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "a-b")
    }
}
