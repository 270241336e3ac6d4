import Foundation
import Testing
@testable import AlicloudKit

/// HCL's native syntax and its evaluation (hclsyntax/spec.md), without the function library.
@Suite struct HCLParserTests {
    let context = HCLFunctionContext(baseDir: "/tmp", pwd: "/tmp", environment: [:], clock: RenderClock(seconds: 1_700_000_000))

    func value(_ text: String, _ names: [String: HCLValue] = [:]) throws -> HCLValue {
        let e = try HCLParser.parseExpression(text, file: "t")
        return try HCLEvaluator.evaluate(e, HCLScope(names: names, functions: context))
    }

    func attribute(_ source: String, _ name: String = "a", _ names: [String: HCLValue] = [:]) throws -> HCLValue {
        let body = try HCLParser.parse(Array(source.utf8), file: "t.pkr.hcl")
        let a = try #require(body.attribute(name))
        return try HCLEvaluator.evaluate(a.expression, HCLScope(names: names, functions: context))
    }

    func failure(_ text: String, _ names: [String: HCLValue] = [:]) -> String {
        do {
            _ = try value(text, names)
            return "no error"
        } catch let d as HCLDiagnostic {
            return d.description
        } catch {
            return "\(error)"
        }
    }

    @Test func operatorsFollowHCLPrecedence() throws {
        #expect(try value("1 + 2 * 3") == .number(7))
        #expect(try value("(1 + 2) * 3") == .number(9))
        #expect(try value("10 - 4 - 3") == .number(3))
        #expect(try value("7 % 4 + 8 / 2") == .number(7))
        #expect(try value("-2 * -3") == .number(6))
        #expect(try value("1 < 2 && 3 >= 3 || false") == .bool(true))
        #expect(try value("!true == false") == .bool(true))
        #expect(try value("\"5\" + 1") == .number(6))
        #expect(try value("1 == \"1\"") == .bool(false))
        #expect(try value("[1, \"a\"] == [1, \"a\"]") == .bool(true))
        #expect(try value("true ? \"yes\" : \"no\"") == .string("yes"))
        #expect(try value("false ? 1 : \"two\"") == .string("two"))
        #expect(try value("null == null") == .bool(true))
    }

    @Test func collectionsIndexesAndAttributes() throws {
        let names: [String: HCLValue] = ["var": .object(["disks": .tuple([.object(["size": .number(20)]), .object(["size": .number(40)])]),
                                                         "tags": .object(["app": .string("web")])])]
        #expect(try value("var.disks[1].size", names) == .number(40))
        #expect(try value("var.disks.0.size", names) == .number(20))
        #expect(try value("var.tags[\"app\"]", names) == .string("web"))
        #expect(try value("var.disks[*].size", names) == .tuple([.number(20), .number(40)]))
        #expect(try value("var.disks.*.size", names) == .tuple([.number(20), .number(40)]))
        #expect(try value("var.tags[*]", names) == .tuple([.object(["app": .string("web")])]))
        #expect(try value("{a = 1, \"b\" = 2, (\"c\") : 3}") == .object(["a": .number(1), "b": .number(2), "c": .number(3)]))
    }

    @Test func forExpressions() throws {
        #expect(try value("[for s in [\"a\", \"b\"] : \"${s}!\"]") == .tuple([.string("a!"), .string("b!")]))
        #expect(try value("[for i, s in [\"a\", \"b\"] : i if s != \"a\"]") == .tuple([.number(1)]))
        #expect(try value("{for k, v in {x = 1, y = 2} : v => k}") == .object(["1": .string("x"), "2": .string("y")]))
        #expect(try value("{for s in [\"a\", \"b\", \"a\"] : s => s...}") == .object(["a": .tuple([.string("a"), .string("a")]), "b": .tuple([.string("b")])]))
        #expect(failure("{for s in [\"a\", \"a\"] : s => s}").hasPrefix("t:1:24: duplicate object key"))
    }

    @Test func templatesWithDirectivesAndStripMarkers() throws {
        let names: [String: HCLValue] = ["xs": .tuple([.string("a"), .string("b")]), "on": .bool(true)]
        #expect(try value("\"x=${1 + 1}\"") == .string("x=2"))
        #expect(try value("\"${on}\"", names) == .bool(true))  // one interpolation keeps its type
        #expect(try value("\"%{ if on }yes%{ else }no%{ endif }\"", names) == .string("yes"))
        #expect(try value("\"%{ for x in xs }<${x}>%{ endfor }\"", names) == .string("<a><b>"))
        #expect(try value("\"a  ${~ \"b\" ~}  c\"") == .string("abc"))
        #expect(try value("\"$${literal} %%{ x }\\t\\u00e9\"") == .string("${literal} %{ x }\t\u{e9}"))
    }

    @Test func heredocs() throws {
        let source = """
            a = <<EOF
              one ${"two"}
            three
            EOF
            b = <<-EOT
                indented
                  more
                EOT
            c = 1 # a comment
            /* a
               block comment */
            d = 2 // another

            """
        #expect(try attribute(source, "a") == .string("  one two\nthree\n"))
        #expect(try attribute(source, "b") == .string("indented\n  more\n"))
        #expect(try attribute(source, "d") == .number(2))
    }

    @Test func bodiesKeepBlocksLabelsAndRanges() throws {
        let source = """
            source "alicloud-ecs" "basic" {
              region = "cn-beijing"
              image_disk_mappings {
                disk_size = 100
              }
            }
            build { sources = ["source.alicloud-ecs.basic"] }

            """
        let body = try HCLParser.parse(Array(source.utf8), file: "t.pkr.hcl")
        #expect(body.blocks.map(\.type) == ["source", "build"])
        let s = body.blocks[0]
        #expect(s.labels == ["alicloud-ecs", "basic"])
        #expect(s.labelRanges[1].description == "t.pkr.hcl:1:23")
        #expect(s.body.attributes[0].range.description == "t.pkr.hcl:2:3")
        #expect(s.body.blocks[0].body.attributes[0].expression.range.description == "t.pkr.hcl:4:17")
        #expect(body.blocks[1].body.attribute("sources") != nil)
    }

    @Test func syntaxErrorsSayWhereAndWhat() {
        func parse(_ s: String) -> String {
            do {
                _ = try HCLParser.parse(Array(s.utf8), file: "t")
                return "no error"
            } catch { return error.description }
        }
        #expect(parse("a = \"open\n") == "t:1:10: unterminated string: a quoted string cannot span lines (use a heredoc)")
        #expect(parse("a = 1 b = 2\n") == "t:1:7: expected a newline after the definition, found \"b = 2\"")
        #expect(parse("block {\n") == "t:2:1: unclosed block: expected \"}\", found the end of the file")
        #expect(parse("a = [1, 2\n") == "t:2:1: expected \",\" or \"]\" in the tuple, found the end of the file")
        #expect(parse("a = <<EOF\nno end\n") == "t:1:5: unterminated heredoc: no line holds only \"EOF\"")
        #expect(parse("a = 1\na = 2\n") == "t:2:1: attribute \"a\" is defined twice in this body")
        #expect(parse("a = \"%{ endif }\"\n") == "t:1:6: unexpected %{ endif }: no %{ if } is open here")
        #expect(parse("a = \"\\q\"\n") == "t:1:6: invalid escape sequence \"\\q\" (valid: \\n \\r \\t \\\" \\\\ \\uNNNN \\UNNNNNNNN)")
    }

    @Test func typeErrorsUseCtyWording() {
        #expect(failure("1 + \"x\"") == "t:1:5: invalid operand: unsuitable value for right operand: a number is required")
        #expect(failure("\"x\" ? 1 : 2") == "t:1:1: incorrect condition type: the condition expression must be of type bool")
        #expect(failure("[1][3]") == "t:1:4: invalid index: the given key does not identify an element in this collection value")
        #expect(failure("{a = 1}.b") == "t:1:9: unsupported attribute: this object does not have an attribute named \"b\" (did you mean \"a\"?)")
        #expect(failure("\"x${[1]}\"") == "t:1:5: invalid template interpolation value: cannot include the given value in a string template: string required")
        #expect(failure("nope") == "t:1:1: unknown variable \"nope\": there is no variable named \"nope\"")
        #expect(failure("nofunc(1)").hasPrefix("t:1:1: call to unknown function: there is no function named \"nofunc\""))
    }

    @Test func canTryAndTemplatefile() throws {
        #expect(try value("can([1][5])") == .bool(false))
        #expect(try value("can([1][0])") == .bool(true))
        #expect(try value("try([1][5], \"fallback\")") == .string("fallback"))
        #expect(try value("convert([\"1\", 2], list(number))") == .list([.number(1), .number(2)], .number))
        #expect(try value("convert({a = 1}, map(string))") == .map(["a": .string("1")], .string))
        #expect(failure("convert(\"x\", number)") == "t:1:9: error in function call: call to function \"convert\" failed: invalid value for \"value\" parameter: a number is required")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hcltpl-\(getpid())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "%{ for p in pkgs ~}\nyum install -y ${p}\n%{ endfor ~}\n".write(toFile: dir + "/install.tpl", atomically: true, encoding: .utf8)
        let e = try HCLParser.parseExpression("templatefile(\"install.tpl\", {pkgs = [\"redis\", \"git\"]})", file: "t")
        var c = context
        c.baseDir = dir
        let got = try HCLEvaluator.evaluate(e, HCLScope(names: [:], functions: c))
        #expect(got == .string("yum install -y redis\nyum install -y git\n"))
    }
}
