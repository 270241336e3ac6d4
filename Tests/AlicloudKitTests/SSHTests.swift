import Foundation
import Testing
@testable import AlicloudKit

@Suite struct SSHTests {
    @Test func targetsParseAsSshUsersWriteThem() throws {
        #expect(try SSHTarget(parsing: "root@10.0.0.1") == SSHTarget(user: "root", host: "10.0.0.1"))
        #expect(try SSHTarget(parsing: "host") == SSHTarget(host: "host"))
        #expect(try SSHTarget(parsing: "ops@jump:2222", allowPort: true) == SSHTarget(user: "ops", host: "jump", port: 2222))
        #expect(try SSHTarget(parsing: "[::1]:22", allowPort: true) == SSHTarget(host: "::1", port: 22))
        #expect(throws: ToolError.self) { try SSHTarget(parsing: "-oProxyCommand=x") }
        #expect(throws: ToolError.self) { try SSHTarget(parsing: "@host") }
        #expect(throws: ToolError.self) { try SSHTarget(parsing: "h:99999", allowPort: true) }
    }

    @Test func shellQuotingSurvivesTheShell() throws {
        #expect(shellQuote("/tmp/a.sh") == "/tmp/a.sh")
        #expect(shellQuote("") == "''")
        #expect(shellQuote("it's $x") == "'it'\\''s $x'")
        for s in ["it's", "a b", "$(rm -rf /)", "`x`", "\"q\"", "tab\there", "new\nline"] {
            let r = try Subprocess.output("/bin/sh", ["-c", "printf %s " + shellQuote(s)])
            #expect(r == s)
        }
    }

    func option(_ args: [String], _ name: String) -> String? {
        args.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) }
    }

    @Test func knownHostsArePinnedInTheBuildsFileOnly() {
        var c = SSHClient(target: SSHTarget(user: "root", host: "h"))
        c.knownHostsFile = "/w/kh"
        let a = c.arguments(remote: "ls -l")
        #expect(option(a, "UserKnownHostsFile") == "/w/kh")
        #expect(option(a, "StrictHostKeyChecking") == "accept-new")
        #expect(option(a, "GlobalKnownHostsFile") == "/dev/null")
        #expect(option(a, "BatchMode") == "yes")
        #expect(Array(a.suffix(3)) == ["--", "root@h", "ls -l"])
        let plain = SSHClient(target: SSHTarget(host: "h")).arguments(remote: nil)
        #expect(option(plain, "UserKnownHostsFile") == "/dev/null")
        #expect(option(plain, "StrictHostKeyChecking") == "no")
    }

    @Test func userOptionsComeFirstSoTheyWin() {
        var c = SSHClient(target: SSHTarget(host: "h"))
        c.extraOptions = ["ConnectTimeout=3"]
        let a = c.arguments(remote: "true")
        #expect(a.prefix(2) == ["-o", "ConnectTimeout=3"])
        #expect(option(a, "ConnectTimeout") == "3")  // first one wins in ssh, and it is theirs
    }

    @Test func controlMasterOptions() {
        var c = SSHClient(target: SSHTarget(host: "h"))
        c.controlDirectory = "/w/ctl"
        let a = c.arguments(remote: "true")
        #expect(option(a, "ControlMaster") == "auto")
        #expect(option(a, "ControlPath") == "/w/ctl/%C")
        #expect(option(a, "ControlPersist") == "600")
        #expect(option(c.arguments(remote: "true", control: false), "ControlMaster") == nil)
    }

    /// A state directory with a space, quote or % (its known_hosts, its control directory)
    /// reaches ssh as one path: ssh itself parses the options (-G prints them, connects nowhere).
    @Test func pathsWithSpacesQuotesAndPercentReachSshWhole() throws {
        #expect(SSHClient.optionPath("/w/kh") == "/w/kh")
        #expect(SSHClient.optionPath("/w/a b\"c\\d%e/", then: "%C") == "\"/w/a b\\\"c\\\\d%%e/%C\"")
        var c = SSHClient(target: SSHTarget(user: "root", host: "127.0.0.1"))
        c.knownHostsFile = "/tmp/state dir/it's \"odd\" 100%/known_hosts"
        c.controlDirectory = "/tmp/ctl dir %d"
        var a = c.arguments(remote: nil)
        a.insert("-G", at: 0)
        let out = try Subprocess.output("ssh", a)
        let lines = out.split(separator: "\n").map(String.init)
        #expect(lines.contains("userknownhostsfile /tmp/state dir/it's \"odd\" 100%/known_hosts"))
        #expect(lines.contains { $0.hasPrefix("controlpath /tmp/ctl dir %d/") && !$0.hasSuffix("%C") })
    }

    @Test func passwordLoginUsesAskpassNeverArgv() {
        var c = SSHClient(target: SSHTarget(host: "h"))
        c.passwordVariable = "MY_PW"
        let a = c.arguments(remote: "true")
        #expect(option(a, "BatchMode") == "no")
        #expect(option(a, "PubkeyAuthentication") == "no")
        #expect(option(a, "NumberOfPasswordPrompts") == "1")
        let env = c.environment()
        #expect(env["SSH_ASKPASS_REQUIRE"] == "force")
        #expect(env[SSHClient.askpassMarker] == "MY_PW")
        #expect(env["SSH_ASKPASS"]?.hasPrefix("/") == true)
    }

    @Test func askpassAnswersOnlyPasswordPrompts() {
        let env = ["SSH_ASKPASS": "/x", SSHClient.askpassMarker: "PW", "PW": "pa55"]
        #expect(SSHClient.answerAskpass(arguments: ["ssh-run"], environment: [:]) == nil)
        #expect(SSHClient.answerAskpass(arguments: ["x", "Are you sure (yes/no)?"], environment: env) == 1)
        #expect(SSHClient.answerAskpass(arguments: ["x", "Password:"], environment: ["SSH_ASKPASS": "/x", SSHClient.askpassMarker: "PW"]) == 1)
    }

    @Test func bastionIsAProxyCommandWithTheSameKnownHosts() {
        var c = SSHClient(target: SSHTarget(host: "10.0.0.5"))
        c.knownHostsFile = "/w/known hosts"
        c.bastion = SSHTarget(user: "ops", host: "jump", port: 2200)
        let proxy = option(c.arguments(remote: "true"), "ProxyCommand") ?? ""
        #expect(proxy.hasPrefix("ssh "))
        #expect(proxy.contains("'UserKnownHostsFile=\"/w/known hosts\"'"))
        #expect(proxy.contains("-p 2200"))
        #expect(proxy.contains("-W '[%h]:%p' -- ops@jump"))
    }

    @Test func looseKeyFilesAreRefused() throws {
        let path = NSTemporaryDirectory() + "key-\(getpid())-\(Int.random(in: 0...1_000_000))"
        _ = FileManager.default.createFile(atPath: path, contents: Data("k".utf8), attributes: [.posixPermissions: 0o644])
        defer { try? FileManager.default.removeItem(atPath: path) }
        var c = SSHClient(target: SSHTarget(host: "h"))
        c.identityFile = path
        #expect(throws: ToolError.self) { try c.validate() }
        do { try c.validate() } catch let e as ToolError { #expect(e.status == .config); #expect(e.message.contains("too open")) }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try c.validate()
        c.identityFile = path + ".missing"
        do { try c.validate() } catch let e as ToolError { #expect(e.status == .noInput) }
    }

    @Test func controlDirectoriesTooLongForASocketAreRefusedUpFront() throws {
        var c = SSHClient(target: SSHTarget(host: "h"))
        c.controlDirectory = "/tmp/" + String(repeating: "d", count: SSHClient.maxControlDirectoryLength - 5)
        try c.validate()
        c.controlDirectory! += "x"
        do {
            try c.validate()
            Issue.record("accepted a control directory too long for a socket")
        } catch let e as ToolError {
            #expect(e.status == .usage)
            #expect(e.message.contains("path too long for ssh's control socket"))
        }
    }

    @Test func sshErrorSummaries() {
        #expect(SSHResult.summary("Warning: x\nssh: connect to host h port 22: Connection refused\n") == "ssh: connect to host h port 22: Connection refused")
        #expect(SSHResult.isHostKeyMismatch("@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@"))
        #expect(!SSHResult.isHostKeyMismatch("Permission denied (publickey)."))
    }
}
