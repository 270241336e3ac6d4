import Foundation
import Testing
@testable import AlicloudKit

/// HCL2 templates through the one plan builder: files, directories, `.pkr.json`, variable
/// precedence, build names and selection, sensitive values.
@Suite struct PackerHCLTemplateTests {
    let keys = ["ALICLOUD_ACCESS_KEY": "LTAI5tSimAccessKeyId01", "ALICLOUD_SECRET_KEY": "SimSecretKey0123456789abcdefXYZ"]

    static let source = """
        variable "region" {
          type    = string
          default = "cn-beijing"
        }
        variable "size" {
          type    = number
          default = 20
        }
        variable "password" {
          type      = string
          default   = "s3cret-pass"
          sensitive = true
        }
        source "alicloud-ecs" "basic" {
          region        = var.region
          image_name    = "img-${var.size}"
          source_image  = "centos_7_03_64_20G_alibase_20170818.vhd"
          ssh_username  = "root"
          ssh_password  = "x${var.password}"
          instance_type = "ecs.t5-lc1m1.small"
          system_disk_mapping {
            disk_size = var.size * 2
          }
        }

        """

    func q(_ v: JSONValue?, _ path: String) -> JSONValue? {
        guard let v, let query = try? JSONQuery(path) else { return nil }
        return (try? query.select(in: v))?.first
    }

    /// A directory holding `files`; removed by the caller through the returned path.
    func directory(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pkrhcl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: "\(dir)/\(name)", atomically: true, encoding: .utf8) }
        return dir
    }

    func render(_ path: String, pwd: String, env: [String: String] = [:], vars: [(String, String)] = [], varFiles: [String] = [],
                only: [String] = []) throws -> RenderResult {
        var r = RenderRequest(templatePath: path, environment: keys.merging(env) { $1 }, pwd: pwd, clock: RenderClock(seconds: 1_700_000_000, seed: 1))
        r.variableInputs = varFiles.map { .file($0) } + vars.map { .assignment(name: $0.0, value: $0.1) }
        r.only = only
        return try TemplateRenderer.render(r)
    }

    @Test func directoryWithAutoVarFilesFollowsPackersPrecedence() throws {
        let dir = try directory([
            "source.pkr.hcl": PackerHCLTemplateTests.source,
            "build.pkr.hcl": "build {\n  sources = [\"source.alicloud-ecs.basic\"]\n}\n",
            "a.auto.pkrvars.hcl": "size = 30\nregion = \"cn-hangzhou\"\n",
            "b.auto.pkrvars.json": "{\"size\": 40}",
            "extra.pkrvars.hcl": "size = 50\n",
            "notes.txt": "not a template",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // defaults < PKR_VAR_ < auto var files (by name) < -var / -var-file in order
        var plan = try render(dir, pwd: dir, env: ["PKR_VAR_size": "25", "PKR_VAR_region": "cn-shanghai"]).plan
        #expect(q(plan, "builds[0].config.image_name") == .string("img-40"))
        #expect(q(plan, "builds[0].config.region") == .string("cn-hangzhou"))
        #expect(q(plan, "builds[0].config.system_disk_mapping.disk_size") == .int(80))
        plan = try render(dir, pwd: dir, varFiles: ["extra.pkrvars.hcl"]).plan
        #expect(q(plan, "builds[0].config.image_name") == .string("img-50"))
        plan = try render(dir, pwd: dir, vars: [("size", "60")], varFiles: ["extra.pkrvars.hcl"]).plan
        #expect(q(plan, "builds[0].config.image_name") == .string("img-60"))
        // After the auto var files: every var file in turn, then every -var, whatever the
        // command-line order (as Packer's binaries do): a -var given first still wins.
        var r = RenderRequest(templatePath: dir, environment: keys, pwd: dir, clock: RenderClock(seconds: 1_700_000_000, seed: 1))
        r.variableInputs = [.assignment(name: "size", value: "60"), .file("extra.pkrvars.hcl")]
        #expect(q(try TemplateRenderer.render(r).plan, "builds[0].config.image_name") == .string("img-60"))
        r.variableInputs = [.file("extra.pkrvars.hcl"), .assignment(name: "size", value: "70"), .file("b.auto.pkrvars.json")]
        #expect(q(try TemplateRenderer.render(r).plan, "builds[0].config.image_name") == .string("img-70"))
        r.variableInputs = [.file("b.auto.pkrvars.json"), .file("extra.pkrvars.hcl")]
        #expect(q(try TemplateRenderer.render(r).plan, "builds[0].config.image_name") == .string("img-50"))
        #expect(q(plan, "template.dir") == .string(dir))
    }

    @Test func sensitiveVariablesAndTheStringsHoldingThemAreListed() throws {
        let dir = try directory(["t.pkr.hcl": PackerHCLTemplateTests.source + "build {\n  sources = [\"source.alicloud-ecs.basic\"]\n}\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try render("t.pkr.hcl", pwd: dir)
        let values = q(result.plan, "sensitive_values")?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(values.contains("s3cret-pass"))
        let paths = q(result.plan, "sensitive")?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(paths.contains("builds[0].config.ssh_password"))
    }

    @Test func namedBuildsSelectionAndProvisionerCopies() throws {
        let text = PackerHCLTemplateTests.source + """
            build {
              name = "web"
              source "source.alicloud-ecs.basic" {
                name = "one"
              }
              source "source.alicloud-ecs.basic" {
                name = "two"
              }
              provisioner "shell" {
                only   = ["alicloud-ecs.two"]
                inline = ["echo ${source.name} ${build.name} ${build.ID}"]
              }
              provisioner "shell" {
                except       = ["alicloud-ecs.two"]
                pause_before = "10s"
                max_retries  = 2
                inline       = ["echo first"]
                override = {
                  "alicloud-ecs.one" = { inline = ["echo overridden"] }
                }
              }
              error-cleanup-provisioner "shell" {
                inline = ["echo cleanup ${source.name}"]
              }
            }

            """
        let dir = try directory(["t.pkr.hcl": text])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try render("t.pkr.hcl", pwd: dir).plan
        let builds = q(plan, "builds")?.arrayValue ?? []
        #expect(builds.compactMap { $0["name"]?.stringValue } == ["web.alicloud-ecs.one", "web.alicloud-ecs.two"])
        let one = q(builds[0], "provisioners")?.arrayValue ?? []
        #expect(one.count == 1)
        #expect(q(one.first, "config.inline[0]") == .string("echo overridden"))
        #expect(q(one.first, "pause_before") == .int(10))
        #expect(q(one.first, "max_retries") == .int(2))
        let two = q(builds[1], "provisioners")?.arrayValue ?? []
        #expect(q(two.first, "config.inline[0]") == .string("echo two web {{.ID}}"))
        #expect(q(builds[1], "error_cleanup_provisioner.config.inline[0]") == .string("echo cleanup two"))
        let only = try render("t.pkr.hcl", pwd: dir, only: ["web.alicloud-ecs.two"]).plan
        #expect(q(only, "builds")?.arrayValue?.count == 1)
    }

    /// The legacy `variables { name = default }` block declares variables whose type is
    /// their default's: a -var of a number variable is read as a number.
    @Test func theVariablesBlockDeclaresVariablesWithDefaults() throws {
        let text = """
            variables {
              region = "cn-beijing"
              size   = 20
              tags   = { team = "ops" }
            }
            source "alicloud-ecs" "basic" {
              region        = var.region
              image_name    = "img-${var.size * 2}"
              source_image  = "centos_7_03_64_20G_alibase_20170818.vhd"
              ssh_username  = "root"
              instance_type = "ecs.t5-lc1m1.small"
              tags          = var.tags
            }
            build {
              sources = ["source.alicloud-ecs.basic"]
            }
            """
        let dir = try directory(["t.pkr.hcl": text])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var plan = try render("t.pkr.hcl", pwd: dir).plan
        #expect(q(plan, "builds[0].config.image_name") == .string("img-40"))
        #expect(q(plan, "builds[0].config.tags.team") == .string("ops"))
        plan = try render("t.pkr.hcl", pwd: dir, env: ["PKR_VAR_region": "cn-hangzhou"], vars: [("size", "21")]).plan
        #expect(q(plan, "builds[0].config.image_name") == .string("img-42"))
        #expect(q(plan, "builds[0].config.region") == .string("cn-hangzhou"))
        do {
            _ = try render("t.pkr.hcl", pwd: dir, vars: [("size", "big")])
            Issue.record("a non-number accepted for a number variable")
        } catch let p as TemplateProblems {
            #expect(p.errors.map(\.formatted) == ["command line: -var size: invalid value for variable \"size\": the value is not compatible with the variable's type constraint: a number is required"])
        }
    }

    /// A variable of object type with optional attributes: what a value leaves out takes the
    /// attribute's default.
    @Test func optionalObjectAttributesTakeTheirDefaults() throws {
        let text = """
            variable "disk" {
              type = object({
                size     = optional(number, 40)
                category = optional(string, "cloud_essd")
              })
              default = {}
            }
            source "alicloud-ecs" "basic" {
              region        = "cn-beijing"
              image_name    = "img-${var.disk.size}"
              source_image  = "centos_7_03_64_20G_alibase_20170818.vhd"
              ssh_username  = "root"
              instance_type = "ecs.t5-lc1m1.small"
              system_disk_mapping {
                disk_size     = var.disk.size
                disk_category = var.disk.category
              }
            }
            build {
              sources = ["source.alicloud-ecs.basic"]
            }
            """
        let dir = try directory(["t.pkr.hcl": text, "v.pkrvars.hcl": "disk = { size = 80 }\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var plan = try render("t.pkr.hcl", pwd: dir).plan
        #expect(q(plan, "builds[0].config.system_disk_mapping.disk_size") == .int(40))
        #expect(q(plan, "builds[0].config.system_disk_mapping.disk_category") == .string("cloud_essd"))
        plan = try render("t.pkr.hcl", pwd: dir, varFiles: ["v.pkrvars.hcl"]).plan
        #expect(q(plan, "builds[0].config.image_name") == .string("img-80"))
        #expect(q(plan, "builds[0].config.system_disk_mapping.disk_category") == .string("cloud_essd"))
        plan = try render("t.pkr.hcl", pwd: dir, vars: [("disk", "{ category = \"cloud_ssd\" }")]).plan
        #expect(q(plan, "builds[0].config.system_disk_mapping.disk_size") == .int(40))
        #expect(q(plan, "builds[0].config.system_disk_mapping.disk_category") == .string("cloud_ssd"))
    }

    /// Standard input has no name: its content tells HCL's native syntax, HCL2's JSON syntax
    /// and a legacy JSON template apart.
    @Test func standardInputIsReadInTheSyntaxItsContentHas() throws {
        func stdin(_ text: String) throws -> JSONValue {
            var r = RenderRequest(templatePath: "-", templateBytes: Array(text.utf8), environment: keys, pwd: "/tmp", clock: RenderClock(seconds: 1_700_000_000, seed: 1))
            r.variableInputs = [.assignment(name: "region", value: "cn-shanghai")]
            return try TemplateRenderer.render(r).plan
        }
        let native = PackerHCLTemplateTests.source + "build {\n  sources = [\"source.alicloud-ecs.basic\"]\n}\n"
        var plan = try stdin(native)
        #expect(q(plan, "builds[0].config.region") == .string("cn-shanghai"))
        #expect(q(plan, "builds[0].name") == .string("alicloud-ecs.basic"))
        #expect(q(plan, "template.dir") == .string("/tmp"))
        let hclJSON = #"{"variable": {"region": {}}, "source": {"alicloud-ecs": {"b": {"region": "${var.region}", "image_name": "img", "source_image": "s", "ssh_username": "root", "instance_type": "t"}}}, "build": {"sources": ["source.alicloud-ecs.b"]}}"#
        plan = try stdin("\n  " + hclJSON)
        #expect(q(plan, "builds[0].config.region") == .string("cn-shanghai"))
        let legacy = #"{"variables": {"region": ""}, "builders": [{"type": "alicloud-ecs", "region": "{{user `region`}}", "image_name": "img", "source_image": "s", "ssh_username": "root", "instance_type": "t"}]}"#
        plan = try stdin(legacy)
        #expect(q(plan, "builds[0].config.region") == .string("cn-shanghai"))
        #expect(PackerHCL.stdinSyntax(Array("{}".utf8)) == .legacyJSON)
        #expect(PackerHCL.stdinSyntax(Array(#"{"build": {}, "builders": []}"#.utf8)) == .legacyJSON)
        #expect(PackerHCL.stdinSyntax(Array("\u{FEFF}# c\nbuild {}".utf8)) == .hcl)
        #expect(PackerHCL.stdinSyntax([]) == .legacyJSON)
        do {
            _ = try stdin("build {\n  sources = [\"source.alicloud-ecs.nope\"]\n}\n")
            Issue.record("a bad template accepted")
        } catch let p as TemplateProblems {
            #expect(p.errors.map(\.formatted).first?.hasPrefix("<stdin>:2:") == true)
        }
    }

    @Test func theJSONSyntaxReadsTheSameBlocks() throws {
        let json = """
            {
              "variable": {"size": {"type": "number", "default": 20}},
              "locals": {"name": "img-${var.size}"},
              "source": {"alicloud-ecs": {"basic": {
                "region": "cn-beijing",
                "image_name": "${local.name}",
                "source_image": "centos_7_03_64_20G_alibase_20170818.vhd",
                "ssh_username": "root",
                "instance_type": "ecs.t5-lc1m1.small",
                "image_disk_mappings": [{"disk_size": 100}, {"disk_size": "${var.size}"}]
              }}},
              "build": {
                "sources": ["source.alicloud-ecs.basic"],
                "provisioner": [{"shell": {"inline": ["echo ${source.name}"]}}]
              }
            }
            """
        let dir = try directory(["t.pkr.json": json])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try render("t.pkr.json", pwd: dir).plan
        let config = q(plan, "builds[0].config")
        #expect(q(config, "image_name") == .string("img-20"))
        #expect(q(config, "image_disk_mappings[1].disk_size") == .int(20))
        #expect(q(plan, "builds[0].provisioners[0].config.inline[0]") == .string("echo basic"))
    }

    @Test func everyProblemIsReportedWithItsFileAndPosition() throws {
        let dir = try directory([
            "a.pkr.hcl": "locals {\n  x = var.nope\n}\n",
            "b.pkr.hcl": "build {\n  sources = [\"source.alicloud-ecs.missing\"]\n}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            _ = try render(".", pwd: dir)
            Issue.record("no error")
        } catch let p as TemplateProblems {
            #expect(p.errors.map(\.formatted) == [
                "a.pkr.hcl:2:11: undefined variable \"var.nope\": no variable \"nope\" is declared",
                "b.pkr.hcl:2:14: unknown source source.alicloud-ecs.missing: no source block defines it",
            ])
            #expect(p.status == .dataError)
        }
    }
}
