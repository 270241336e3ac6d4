import AlicloudKit
import Foundation
import Testing

/// The pieces in Support/Essentials.swift against the Foundation calls they replace (the
/// tests may import Foundation; the tools no longer do).
@Suite struct EssentialsShimTests {
    static let strings = ["", " ", "\t a b \t", "\n\r x\u{2028}", "\u{00A0}nbsp\u{3000}", " \n", "plain", "\r\n\tmixed \r\n",
                          "é ", "\u{85}next\u{85}", "a\u{0B}", " 日本 "]

    @Test func trimmingMatchesFoundation() {
        for s in Self.strings {
            #expect(s.trimmingBlanks() == s.trimmingCharacters(in: .whitespaces), "\(Array(s.unicodeScalars))")
            #expect(s.trimmingSpace() == s.trimmingCharacters(in: .whitespacesAndNewlines), "\(Array(s.unicodeScalars))")
            #expect(Substring(s).trimmingSpace() == s.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    @Test func replacingAndFindingMatchFoundation() {
        let cases: [(String, String, String)] = [("a\r\nb", "\n", "N"), ("aaa", "aa", "b"), ("x{{y}}z{{", "{{", "<"), ("", "a", "b"),
                                                 ("日本日本", "本", "x"), ("abc", "abcd", "z"), ("a.b.c", ".", "")]
        for (s, t, r) in cases {
            #expect(s.replacingText(t, with: r) == s.replacingOccurrences(of: t, with: r), "\(s) \(t)")
            #expect(s.containsText(t) == (s.range(of: t) != nil))
            if let mine = s.rangeOfText(t), let theirs = s.range(of: t) {
                #expect(s.utf8.distance(from: s.startIndex, to: mine.lowerBound) == s.utf8.distance(from: s.startIndex, to: theirs.lowerBound))
            }
        }
        let sub = "xx--yy--"[...].dropFirst(1)
        let r = sub.rangeOfText("--")
        #expect(r.map { String(sub[$0.upperBound...]) } == "yy--")
    }

    @Test func percentDecodingMatchesFoundation() {
        for s in ["a%20b", "%E6%97%A5", "%zz", "100%", "%", "plain", "%C3%28", "a+b"] {
            #expect(s.percentDecoded == s.removingPercentEncoding, "\(s)")
        }
    }

    @Test func cFormatMatchesStringFormat() {
        #expect(cFormat("%.1f/%.1f MiB %d:%02d", 1.25, 3.0, 7, 5) == String(format: "%.1f/%.1f MiB %d:%02d", 1.25, 3.0, 7, 5))
        #expect(cFormat("%016llX%016llX", UInt64.max, UInt64(42)) == String(format: "%016llX%016llX", UInt64.max, UInt64(42)))
        #expect(cFormat("%.9f", 1.0 / 3.0) == String(format: "%.9f", 1.0 / 3.0))
        #expect(cFormat("%03d", 7) == "007" && cFormat("_x%04X_", 0x1F) == "_x001F_")
        let long = String(repeating: "y", count: 1000)
        #expect(cFormat("%d" + long, 1) == "1" + long)
    }

    @Test func writeFileReplacesInOneStep() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("writefile-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("state.json").path
        try writeFile(path, Array("first".utf8), mode: 0o600)
        try writeFile(path, Data("second\u{0}\u{FF}".utf8), mode: 0o640)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("second\u{0}\u{FF}".utf8))
        #expect((try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) == 0o640)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["state.json"])
        #expect(throws: ToolError.self) { try writeFile(dir.path + "/missing/x", [1, 2]) }
        do {
            try writeFile(dir.path + "/missing/x", [1])
        } catch let error as ToolError {
            #expect(error.message.hasPrefix(dir.path + "/missing/x: cannot write: "))
            #expect(error.status == .cantCreate)
        }
    }

    @Test func environmentMatchesProcessInfo() {
        #expect(ProcessEnvironment.current == ProcessInfo.processInfo.environment)
        for name in ["PATH", "HOME", "NO_SUCH_VARIABLE_\(getpid())"] {
            #expect(ProcessEnvironment.value(name) == ProcessInfo.processInfo.environment[name])
        }
        let name = "ESSENTIALS_ENV_\(getpid())"
        setenv(name, "a=b c\u{00E9}", 1)
        defer { unsetenv(name) }
        #expect(ProcessEnvironment.current[name] == "a=b c\u{00E9}")
        #expect(ProcessEnvironment.value(name) == "a=b c\u{00E9}")
    }

    @Test func pathsMatchNSString() {
        for p in ["/a/b", "/a/b/", "/", "", "a", "a/b.tar.gz", "//a//b//", "/a", ".hidden", "a/.b", "/x/y.z/w"] {
            let ns = p as NSString
            #expect(Paths.last(p) == ns.lastPathComponent, "\(p)")
            // Foundation 6.3.1 traps on a one-character relative path ("a"): not asked here.
            if p.count != 1 { #expect(Paths.parent(p) == ns.deletingLastPathComponent, "\(p)") }
            #expect(Paths.ext(p) == ns.pathExtension, "\(p)")
            for name in ["c", "c/d", ""] where !p.isEmpty || !name.isEmpty {
                #expect(Paths.join(p, name) == ns.appendingPathComponent(name), "\(p) + \(name)")
            }
        }
        #expect(Paths.parent("a") == "" && Paths.parent("ab") == "")
        #expect(Paths.temporary() == NSTemporaryDirectory())
        #expect(Paths.isDirectory("/tmp") && !Paths.isDirectory("/etc/passwd") && !Paths.isDirectory("/no/such"))
    }

    @Test func httpDateMatchesDateFormatter() {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        for t in [0.0, 784_111_777, 1_800_000_000.75, 951_782_400] {
            let d = Date(timeIntervalSince1970: t)
            #expect(HTTPDate.format(d) == f.string(from: d))
            #expect(HTTPDate.parse(f.string(from: d)) == f.date(from: f.string(from: d)))
        }
        #expect(HTTPDate.parse("Sun, 06 Nov 1994 08:49:37 UTC") == nil && HTTPDate.parse("06 Nov 1994") == nil)
    }

    @Test func lockConditionAndThreads() {
        let lock = Lock()
        let cond = Condition()
        nonisolated(unsafe) var count = 0
        nonisolated(unsafe) var finished = 0
        for _ in 0..<8 {
            startThread {
                for _ in 0..<1000 { lock.withLock { count += 1 } }
                cond.lock()
                finished += 1
                cond.broadcast()
                cond.unlock()
            }
        }
        // Waits for every thread's last broadcast, not only for the count: a broadcast still
        // to come would end the timed wait below early (seen once in CI under load).
        cond.lock()
        while finished < 8 { cond.wait(seconds: 1) }
        cond.unlock()
        #expect(count == 8000)
        cond.lock()
        let started = DispatchTime.now()
        #expect(cond.wait(seconds: 0.05) == false)
        cond.unlock()
        #expect(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds >= 50_000_000)
    }
}
