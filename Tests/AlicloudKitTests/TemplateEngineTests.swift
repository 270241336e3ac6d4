import Testing
@testable import AlicloudKit

/// 2023-11-14T22:13:20.667Z, a Tuesday.
private let clock = RenderClock(seconds: 1_700_000_000, nanoseconds: 667_000_000, seed: 1)

private func scope(_ phase: RenderPhase, vars: [String: String] = ["v": "Value", "list": "a,b,c"]) -> TemplateScope {
    TemplateScope(phase: phase, user: { (name: String) throws(TemplateFailure) -> String in
        guard let v = vars[name] else { throw TemplateFailure("variable \"\(name)\" is not defined") }
        return v
    }, buildName: phase == .variables || phase == .core ? nil : "b1", buildType: "alicloud-ecs",
       templateDir: "/t", pwd: "/p", environment: ["HOME": "/root"], clock: clock)
}

private func render(_ text: String, _ phase: RenderPhase = .provisioner) -> String {
    do { return try TemplateEngine.render(text, scope(phase)) } catch { return "ERROR: \(error.description)" }
}

@Suite struct TemplateEngineTests {
    @Test(arguments: [
        ("{{user `v`}}", "Value"),
        ("{{ user \"v\" | lower }}", "value"),
        ("{{timestamp}}", "1700000000"),
        ("{{isotime}}", "2023-11-14T22:13:20Z"),
        ("{{isotime \"2006-01-02\"}}", "2023-11-14"),
        ("{{isotime \"20060102150405\"}}", "20231114221320"),
        ("{{isotime \"2006-01-02 15:04:05 -0700 MST\"}}", "2023-11-14 22:13:20 +0000 UTC"),
        ("{{isotime \"Monday 3PM .000\"}}", "Tuesday 10PM .667"),
        ("{{isotime \"Jan _2 002 Z07:00\"}}", "Nov 14 318 Z"),
        ("{{isotime \"\"}}", ""),
        ("{{strftime \"%Y-%m-%d %H\"}}", "2023-11-14 22"),
        ("{{strftime \"%a %b %e %j %p %V %%\"}}", "Tue Nov 14 318 PM 46 %"),
        ("{{build_name}}", "b1"),
        ("{{build_type}}", "alicloud-ecs"),
        ("{{template_dir}}", "/t"),
        ("{{pwd}}", "/p"),
        ("{{packer_version}}", "1.6.6"),
        ("{{split \"a,b,c\" \",\" 1}}", "b"),
        ("{{split \"a--b\" \"-\" 1}}", ""),
        ("{{split \"abc\" \"\" 1}}", "b"),
        ("{{replace \"a\" \"X\" 2 \"banana\"}}", "bXnXna"),
        ("{{replace \"a\" \"X\" -1 \"banana\"}}", "bXnXnX"),
        ("{{replace_all \"a\" \"X\" \"banana\"}}", "bXnXnX"),
        ("{{replace_all \"\" \"-\" \"abc\"}}", "-a-b-c-"),
        ("{{lower \"ÄÖ\"}}", "äö"),
        ("{{upper \"straße\"}}", "STRAßE"),
        ("{{build `ID`}}", "{{.ID}}"),
        ("{{ .Path }} and {{.Vars}}", "{{ .Path }} and {{.Vars}}"),
        ("{{`{{user \"v\"}}`}}", "{{user \"v\"}}"),
        ("{{printf \"%05d\" 42}}", "00042"),
        ("{{printf \"%s-%q-%x\" \"a\" \"b\" 255}}", "a-\"b\"-ff"),
        ("{{printf \"%.2f\" 1.5}}", "1.50"),
        ("{{len \"abc\"}}", "3"),
        ("{{index \"abc\" 1}}", "98"),
        ("{{slice \"abcd\" 1 3}}", "bc"),
        ("{{if_missing_is_not_a_keyword | print}}", "ERROR: {{if_missing_is_not_a_keyword | print}}: function \"if_missing_is_not_a_keyword\" not defined"),
        ("{{eq \"a\" \"b\" \"a\"}} {{ne 1 2}} {{lt 1 2}} {{ge 2 3}}", "true true true false"),
        ("{{and \"x\" \"\"}}|{{or \"\" \"y\"}}|{{not true}}", "|y|false"),
        ("{{html \"<a&'>\"}}", "&lt;a&amp;&#39;&gt;"),
        ("{{js \"a'<\"}}", "a\\'\\u003C"),
        ("{{urlquery \"a b&c\"}}", "a+b%26c"),
        ("{{print 1 2 \"x\"}}", "1 2x"),
        ("a {{- \" b \" -}} c", "a b c"),
        ("{{/* a comment */}}x", "x"),
        ("{{\"\\x41\\u00e9\\n\"}}", "Aé\n"),
    ])
    func functions(_ input: String, _ expected: String) {
        #expect(render(input) == expected)
    }

    @Test func uuidIsTimeOrderedAndNewEachCall() {
        let a = render("{{uuid}}"), b = render("{{uuid}}")
        #expect(a.hasPrefix("6553f100-"))
        #expect(a.count == 36 && a != b)
        let parts = a.split(separator: "-").map(\.count)
        #expect(parts == [8, 4, 4, 4, 12])
    }

    @Test func seededClocksRepeat() {
        let one = RenderClock(seconds: 5, seed: 9), two = RenderClock(seconds: 5, seed: 9)
        #expect(one.uuid() == two.uuid())
        #expect(one.next(below: 9999) == two.next(below: 9999))
    }

    @Test(arguments: [
        (RenderPhase.variables, "{{env `HOME`}}", "/root"),
        (.builder, "{{env `HOME`}}", "ERROR: {{env `HOME`}}: env is only allowed in the \"variables\" section (give the value to a variable and use {{user `name`}})"),
        (.core, "{{build_name}}", "ERROR: {{build_name}}: build_name is not available in builder names and max_retries"),
        (.variables, "{{build_type}}", "ERROR: {{build_type}}: build_type is not available in variables"),
        (.variables, "{{packer_version}}", "ERROR: {{packer_version}}: packer_version is not available in variables"),
        (.builder, "{{build `ID`}}", "ERROR: {{build `ID`}}: build values are only available in provisioner and post-processor settings, not in builder settings"),
        (.provisioner, "{{build `Nope`}}", "ERROR: {{build `Nope`}}: build: unknown build value \"Nope\" (known: ConnType, Host, ID, PackerHTTPAddr, PackerHTTPIP, PackerHTTPPort, PackerRunUUID, Password, Port, SSHPrivateKey, SSHPublicKey, User, WinRMPassword)"),
        (.postProcessor, "{{build `ID`}}", "{{.ID}}"),
        (.variables, "{{ .HTTPIP }}:{{.HTTPPort}}", "{{ .HTTPIP }}:{{.HTTPPort}}"),
        (.builder, "{{ .HTTPIP }}", "ERROR: {{ .HTTPIP }}: template data such as .Name is not available in builder settings"),
        (.builder, "{{clean_resource_name \"My Image: v1.0\"}}", "My-Image:-v1.0"),
        (.provisioner, "{{clean_resource_name \"x\"}}", "ERROR: {{clean_resource_name \"x\"}}: function \"clean_resource_name\" not defined in provisioner settings (only in builder settings)"),
        (.variables, "{{vault `secret/x` `k`}}", "ERROR: {{vault `secret/x` `k`}}: vault is not supported: tmpl-render never calls external services; pass the value with -var or -var-file"),
        (.builder, "{{sed `x`}}", "ERROR: {{sed `x`}}: sed is deprecated (as in Packer): use replace or replace_all"),
        (.builder, "{{isotime \"a\" \"b\"}}", "ERROR: {{isotime \"a\" \"b\"}}: isotime takes at most one layout, got 2 arguments"),
        (.builder, "{{split \"a,b\" \",\" 5}}", "ERROR: {{split \"a,b\" \",\" 5}}: split: there is no part 5 of \"a,b\" split at \",\" (only 2 parts)"),
        (.builder, "{{user `nope`}}", "ERROR: {{user `nope`}}: variable \"nope\" is not defined"),
        (.builder, "{{user `v`", "ERROR: {{user `v`: unclosed action (missing \"}}\")"),
        (.builder, "{{if true}}x{{end}}", "ERROR: {{if: the \"if\" action is not supported (only function pipelines are)"),
        (.builder, "{{strftime \"%Q\"}}", "ERROR: {{strftime \"%Q\"}}: strftime: unknown specification %Q"),
        (.builder, "{{lower}}", "ERROR: {{lower}}: wrong number of arguments for lower: want 1, got 0"),
        (.builder, "{{upper 5}}", "ERROR: {{upper 5}}: upper: argument 1 must be a string, got int 5"),
    ])
    func contexts(_ phase: RenderPhase, _ input: String, _ expected: String) {
        #expect(render(input, phase) == expected)
    }

    @Test func goDurations() {
        #expect(parseGoDuration("5m") == 300)
        #expect(parseGoDuration("1h30m") == 5400)
        #expect(parseGoDuration("1.5s") == 1.5)
        #expect(parseGoDuration("300ms") == 0.3)
        #expect(parseGoDuration("0") == 0)
        #expect(parseGoDuration("5") == nil)
        #expect(parseGoDuration("5 minutes") == nil)
        #expect(parseGoDuration("") == nil)
    }

    @Test func suggestions() {
        #expect(Suggest.closest("instance_typ", in: ["instance_type", "image_name"]) == "instance_type")
        #expect(Suggest.closest("zzzzzz", in: ["instance_type"]) == nil)
    }
}
