import Foundation
import Testing
@testable import AlicloudKit

/// A directory of its own per test, removed afterwards.
private final class Scratch {
    let path: String
    init(_ name: String) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("input-digest-\(name)-\(getpid())").path
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ rel: String, _ text: String) throws {
        let full = path + "/" + rel
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
    }
}

private let credentials = ["ALICLOUD_ACCESS_KEY": "LTAI5tSimAccessKeyId01", "ALICLOUD_SECRET_KEY": "SimSecretKey0123456789abcdefXYZ"]

/// The digests of every build, rendered from `text` in `pwd` at `seconds` with `seed`.
private func digests(_ text: String, pwd: String, vars: [(String, String)] = [], env: [String: String] = credentials,
                     seconds: Int64 = 1_700_000_000, seed: UInt64? = nil) throws -> [String] {
    var r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: env, pwd: pwd,
                          clock: RenderClock(seconds: seconds, seed: seed))
    r.variableInputs = vars.map { .assignment(name: $0.0, value: $0.1) }
    let plan = try TemplateRenderer.render(r).plan
    return (plan["builds"]?.arrayValue ?? []).map { $0["input_digest"]?.stringValue ?? "" }
}

private func digest(_ text: String, pwd: String, vars: [(String, String)] = [], env: [String: String] = credentials,
                    seconds: Int64 = 1_700_000_000, seed: UInt64? = nil) throws -> String {
    try digests(text, pwd: pwd, vars: vars, env: env, seconds: seconds, seed: seed)[0]
}

private func template(name: String = "web", type: String = "ecs.t5", builder: String = "", provisioners: String = #"{"type": "shell", "inline": ["yum install redis.x86_64 -y"]}"#,
                      variables: String = "") -> String {
    #"{"variables": {"# + variables + #"}, "builders": [{"type": "alicloud-ecs", "region": "cn-beijing", "image_name": ""# + name + #"", "source_image": "centos_7", "instance_type": ""# + type + #"", "ssh_username": "root""#
        + builder + #"}], "provisioners": ["# + provisioners + "]}"
}

@Suite struct InputDigestTests {
    @Test func stableAcrossRendersClocksAndRandomDefaults() throws {
        let s = try Scratch("stable")
        let t = template()
        let a = try digest(t, pwd: s.path, seconds: 1_700_000_000)
        // Another instant and an unseeded random source: new remote file names and key pair
        // names in the plan, the same digest.
        let b = try digest(t, pwd: s.path, seconds: 1_800_000_123)
        #expect(a == b)
        #expect(a.count == 64 && a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func keyOrderAndCredentialsDoNotMatter() throws {
        let s = try Scratch("order")
        let a = try digest(template(builder: #", "instance_name": "nm", "io_optimized": "true""#), pwd: s.path)
        let reordered = #"{"provisioners": [{"inline": ["yum install redis.x86_64 -y"], "type": "shell"}], "builders": [{"io_optimized": "true", "ssh_username": "root", "instance_type": "ecs.t5", "instance_name": "nm", "source_image": "centos_7", "image_name": "web", "region": "cn-beijing", "type": "alicloud-ecs"}], "variables": {}}"#
        #expect(try digest(reordered, pwd: s.path) == a)
        let other = ["ALICLOUD_ACCESS_KEY": "LTAI5tOtherKey99", "ALICLOUD_SECRET_KEY": "AnotherSecret0000"]
        #expect(try digest(template(builder: #", "instance_name": "nm", "io_optimized": "true""#), pwd: s.path, env: other) == a)
    }

    @Test func clockValuesInNamesAndDescriptionsAreMasked() throws {
        let s = try Scratch("clock")
        let t = template(name: "web-{{timestamp}}", builder: #", "image_description": "built {{isotime}} {{uuid}}", "tags": {"built": "{{isotime \"2006-01-02\"}}"}"#)
        let a = try digest(t, pwd: s.path, seconds: 1_700_000_000)
        #expect(try digest(t, pwd: s.path, seconds: 1_700_086_401) == a)
        // The rest of the name still counts.
        let renamed = template(name: "db-{{timestamp}}", builder: #", "image_description": "built {{isotime}} {{uuid}}", "tags": {"built": "{{isotime \"2006-01-02\"}}"}"#)
        #expect(try digest(renamed, pwd: s.path) != a)
        // A clock value that reaches the image (a provisioner's command) is an input.
        let stamped = template(provisioners: #"{"type": "shell", "inline": ["date > /etc/built-{{timestamp}}"]}"#)
        #expect(try digest(stamped, pwd: s.path, seconds: 1_700_000_000) != digest(stamped, pwd: s.path, seconds: 1_700_000_001))
    }

    @Test func changesWithEachInput() throws {
        let s = try Scratch("inputs")
        try s.write("setup.sh", "#!/bin/sh\necho one\n")
        try s.write("user-data.txt", "#cloud-config\n")
        try s.write("files/app/a.conf", "a=1\n")
        try s.write("files/app/sub/b.conf", "b=1\n")
        let t = template(type: "{{user `type`}}", builder: #", "user_data_file": "user-data.txt""#,
                         provisioners: #"{"type": "shell", "script": "setup.sh", "environment_vars": ["MODE={{user `mode`}}"]}, {"type": "file", "source": "files/app", "destination": "/opt/app"}"#,
                         variables: #""type": "ecs.t5", "mode": "prod", "unused": "x""#)
        let base = try digest(t, pwd: s.path)
        var seen: Set<String> = [base]
        func changed(_ what: String, _ d: String) {
            #expect(!seen.contains(d), "\(what) did not change the digest")
            seen.insert(d)
        }
        // A variable the build uses (in a setting, in a provisioner); one it does not use is no input.
        changed("a setting's variable", try digest(t, pwd: s.path, vars: [("type", "ecs.g6")]))
        changed("a provisioner's variable", try digest(t, pwd: s.path, vars: [("mode", "dev")]))
        #expect(try digest(t, pwd: s.path, vars: [("unused", "y")]) == base)
        // One byte of each local file, and a new file in a directory source.
        try s.write("setup.sh", "#!/bin/sh\necho One\n")
        changed("the script", try digest(t, pwd: s.path))
        try s.write("user-data.txt", "#cloud-config!\n")
        changed("user_data_file", try digest(t, pwd: s.path))
        try s.write("files/app/sub/b.conf", "b=2\n")
        changed("a file in a directory", try digest(t, pwd: s.path))
        try s.write("files/app/c.conf", "")
        changed("a new file in a directory", try digest(t, pwd: s.path))
        // The source image, and the plan of another schema version.
        let entry = try TemplateRenderer.render(RenderRequest(templatePath: "-", templateBytes: Array(t.utf8), environment: credentials,
                                                              pwd: s.path, clock: RenderClock(seconds: 1))).plan["builds"]!.arrayValue![0]
        let now = InputDigest.digest(of: entry, planVersion: 1, volatile: VolatileValues([]), sensitive: [])
        #expect(InputDigest.digest(of: entry, planVersion: 2, volatile: VolatileValues([]), sensitive: []) != now)
        changed("the source image", try digest(t.replacingOccurrences(of: "centos_7", with: "centos_8"), pwd: s.path))
        // The same content elsewhere (another checkout, another machine) is the same input.
        let copy = try Scratch("inputs-copy")
        for f in ["setup.sh", "user-data.txt", "files/app/a.conf", "files/app/sub/b.conf", "files/app/c.conf"] {
            try copy.write(f, try String(contentsOfFile: s.path + "/" + f, encoding: .utf8))
        }
        #expect(try digest(t, pwd: copy.path) == digest(t, pwd: s.path))
    }

    @Test func secretsEnterOnlyHashed() throws {
        let s = try Scratch("secrets")
        let t = template(builder: #", "ssh_password": "{{user `pw`}}""#, variables: #""pw": "Sup3rSecret!""#)
        let entry = try TemplateRenderer.render(RenderRequest(templatePath: "-", templateBytes: Array(t.utf8), environment: credentials,
                                                              pwd: s.path, clock: RenderClock(seconds: 1))).plan["builds"]!.arrayValue![0]
        let form = InputDigest.canonicalForm(of: entry, planVersion: 1, volatile: VolatileValues([]), sensitive: ["Sup3rSecret!"]).serialized(pretty: false)
        #expect(!form.contains("Sup3rSecret!"))
        #expect(!form.contains("SimSecretKey") && !form.contains("LTAI5tSim"))
        #expect(form.contains("sensitive_sha256"))
        // Still an input: another password, another digest.
        #expect(try digest(t, pwd: s.path) != digest(t, pwd: s.path, vars: [("pw", "Other")]))
    }

    @Test func eachBuildHasItsOwn() throws {
        let s = try Scratch("multi")
        let t = #"{"builders": [{"type": "alicloud-ecs", "name": "a", "region": "cn-beijing", "image_name": "img-a", "source_image": "centos_7", "instance_type": "ecs.t5", "ssh_username": "root"}, {"type": "alicloud-ecs", "name": "b", "region": "cn-beijing", "image_name": "img-b", "source_image": "centos_7", "instance_type": "ecs.t5", "ssh_username": "root"}], "provisioners": [{"type": "shell", "only": ["b"], "inline": ["{{user `x`}}"]}], "variables": {"x": "1"}}"#
        let one = try digests(t, pwd: s.path)
        let two = try digests(t, pwd: s.path, vars: [("x", "2")])
        #expect(one.count == 2 && one[0] != one[1])
        #expect(one[0] == two[0] && one[1] != two[1])
    }

    @Test func volatileValuesMaskLongestFirstInOnePass() {
        let masks = VolatileValues(["1700000000", "17000000001234", "", "é-uuid"])
        #expect(masks.masked("img-17000000001234-1700000000") == "img-{{volatile}}-{{volatile}}")
        #expect(masks.masked("a é-uuid b") == "a {{volatile}} b")
        #expect(masks.masked("nothing here") == "nothing here")
        #expect(VolatileValues([]).masked("1700000000") == "1700000000")
    }
}
