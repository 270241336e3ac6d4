import Foundation
import Testing
@testable import AlicloudKit

/// Regressions found by the soak campaign (Tests/soak/soak.sh).
@Suite struct SoakRegressionTests {
    /// A sensitive value the remote prints is shown as Packer shows it.
    @Test func remoteOutputHidesSensitiveValues() {
        let value = "SoakUnitSensitive\(UInt32.random(in: 0...UInt32.max))"
        Secrets.register(value)
        let o = ProvisionOutput(prefix: "b1")
        #expect(String(decoding: o.stdoutLine(Array("the token is \(value)".utf8)), as: UTF8.self) == "    b1: the token is <sensitive>\n")
        #expect(String(decoding: o.stderrLine(Array("\(value)!".utf8)), as: UTF8.self) == "==> b1: <sensitive>!\n")
        let raw = ProvisionOutput(prefix: nil)
        #expect(String(decoding: raw.stdoutLine(Array("x \(value)".utf8)), as: UTF8.self) == "x <sensitive>\n")
        // Other bytes, even non-UTF-8 ones, pass unchanged.
        #expect(raw.stdoutLine([0xff, 0x41]) == [0xff, 0x41, 10])
    }

    /// The plan carries the sensitive values themselves, and reading it registers them.
    @Test func planListsSensitiveValues() throws {
        let token = "SoakPlanToken\(UInt32.random(in: 0...UInt32.max))"
        let template = """
        {"variables": {"token": ""}, "sensitive-variables": ["token"],
         "builders": [{"type": "alicloud-ecs", "access_key": "AKID", "secret_key": "SoakUnitSecretKey", "region": "cn-beijing",
           "image_name": "img", "source_image": "centos_7", "ssh_username": "root", "instance_type": "ecs.t5-lc1m1.small"}],
         "provisioners": [{"type": "shell", "inline": ["echo {{user `token`}}"]}]}
        """
        var r = RenderRequest(templatePath: "-", templateBytes: Array(template.utf8), environment: [:], pwd: "/",
                              clock: RenderClock(seconds: 1_700_000_000, seed: 1))
        r.variableInputs = [.assignment(name: "token", value: token)]
        let result = try TemplateRenderer.render(r)
        let values = result.plan["sensitive_values"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(values.contains(token) && values.contains("SoakUnitSecretKey"))
    }
}
