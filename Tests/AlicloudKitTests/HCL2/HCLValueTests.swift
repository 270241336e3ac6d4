import Testing
@testable import AlicloudKit

/// go-cty's conversion rules, as Packer's HCL2 variables and functions rely on them.
@Suite struct HCLValueTests {
    @Test func primitivesConvertThroughStrings() throws {
        #expect(try HCLValue.string("1.5").converted(to: .number) == .number(1.5))
        #expect(try HCLValue.number(3).converted(to: .string) == .string("3"))
        #expect(try HCLValue.string("true").converted(to: .bool) == .bool(true))
        #expect(try HCLValue.bool(false).converted(to: .string) == .string("false"))
        #expect(throws: HCLConversionError("a number is required")) { try HCLValue.string("x").converted(to: .number) }
        #expect(throws: HCLConversionError("a bool is required")) { try HCLValue.string("yes").converted(to: .bool) }
    }

    /// cty writes a number as plain decimal digits (never an exponent), infinities as +Inf
    /// and -Inf; Packer 1.6.6 gives these for "x${...}".
    @Test func numbersBecomeStringsAsCtyWritesThem() throws {
        let cases: [(Double, String)] = [
            (3, "3"), (-0.25, "-0.25"), (123.456, "123.456"), (0.1 + 0.2, "0.30000000000000004"),
            (1e18, "1000000000000000000"), (1e21, "1000000000000000000000"), (-2.5e20, "-250000000000000000000"),
            (1e-7, "0.0000001"), (-1.5e-7, "-0.00000015"), (1.25e-5, "0.0000125"), (2e-300, "0." + String(repeating: "0", count: 299) + "2"),
            (.infinity, "+Inf"), (-.infinity, "-Inf"),
        ]
        for (d, text) in cases {
            #expect(HCLValue.numberText(d) == text)
            #expect(try HCLValue.number(d).converted(to: .string) == .string(text))
        }
        let e = try HCLParser.parseExpression("\"x${1/0} ${-1/0} ${1e21} ${0.0000001}\"", file: "t")
        #expect(try HCLEvaluator.evaluate(e, HCLScope(names: [:], functions: functionContext())) == .string("x+Inf -Inf 1000000000000000000000 0.0000001"))
        // Only what has no number at all (NaN) is an error.
        for (text, message) in [("0/0", "t:1:1: operation failed: error during division: can't divide zero by zero or infinity by infinity"),
                                ("1/0 - 1/0", "t:1:1: operation failed: error during subtraction: can't subtract infinity from itself")] {
            #expect(throws: (any Error).self) { try HCLEvaluator.evaluate(try HCLParser.parseExpression(text, file: "t"), HCLScope(names: [:], functions: functionContext())) }
            do { _ = try HCLEvaluator.evaluate(try HCLParser.parseExpression(text, file: "t"), HCLScope(names: [:], functions: functionContext())) } catch {
                #expect("\(error)" == message)
            }
        }
    }

    /// optional(type) and optional(type, default) around an object attribute's type: a value
    /// may leave the attribute out (or null), which then takes its default, or null.
    @Test func optionalAttributesTakeTheirDefaults() throws {
        func constraint(_ text: String) throws -> HCLTypeConstraint {
            try PackerHCLLoader.typeConstraint(try HCLParser.parseExpression(text, file: "t"), defaults: HCLScope(names: [:], functions: functionContext()))
        }
        let disk = try constraint("object({ size = optional(number, 40), category = optional(string), name = string })")
        #expect(disk.type == .object(["size": .number, "category": .string, "name": .string]))
        #expect(try disk.converted(.obj(["name": .str("d")])) == .obj(["size": .num(40), "category": .null(.string), "name": .str("d")]))
        #expect(try disk.converted(.obj(["name": .str("d"), "size": .str("80"), "category": .nullValue])) == .obj(["size": .num(80), "category": .null(.string), "name": .str("d")]))
        #expect(try disk.converted(.obj(["name": .str("d"), "size": .nullValue])) == .obj(["size": .num(40), "category": .null(.string), "name": .str("d")]))
        #expect(throws: HCLConversionError("attribute \"name\" is required")) { try disk.converted(.obj(["size": .num(1)])) }
        #expect(throws: HCLConversionError(path: ".size", "a number is required")) { try disk.converted(.obj(["name": .str("d"), "size": .str("big")])) }
        // Inside collections, and nested: each element is filled; a default is converted to the attribute's type.
        let disks = try constraint("list(object({ size = optional(number, \"20\"), tags = optional(map(string), {}), opts = optional(object({ fast = optional(bool, true) }), {}) }))")
        #expect(try disks.converted(.tup(.obj([:]), .obj(["size": .num(5), "opts": .obj([:])]))) == .list([
            .obj(["size": .num(20), "tags": .map([:], .string), "opts": .obj(["fast": .bool(true)])]),
            .obj(["size": .num(5), "tags": .map([:], .string), "opts": .obj(["fast": .bool(true)])]),
        ], .object(["size": .number, "tags": .map(.string), "opts": .object(["fast": .bool])])))
        let byName = try constraint("map(object({ n = optional(number, 1) }))")
        #expect(try byName.converted(.obj(["a": .obj([:])])) == .map(["a": .obj(["n": .num(1)])], .object(["n": .number])))
        // Without defaults (convert's type), optional(type) still lets the attribute be left out.
        let plain = try PackerHCLLoader.typeConstraint(try HCLParser.parseExpression("object({ a = optional(string) })", file: "t"))
        #expect(try plain.converted(.obj([:])) == .obj(["a": .null(.string)]))
    }

    @Test func tuplesBecomeListsAndSets() throws {
        let t = HCLValue.tuple([.string("b"), .number(1), .string("b")])
        #expect(try t.converted(to: .list(.string)) == .list([.string("b"), .string("1"), .string("b")], .string))
        #expect(try t.converted(to: .set(.string)) == .set([.string("1"), .string("b")], .string))
        #expect(try t.converted(to: .list(.dynamic)) == .list([.string("b"), .string("1"), .string("b")], .string))
        #expect(throws: HCLConversionError(path: "[0]", "a number is required")) { try t.converted(to: .list(.number)) }
    }

    @Test func objectsTakeObjectAndMapTypes() throws {
        let o = HCLValue.object(["a": .number(1), "b": .string("x"), "extra": .bool(true)])
        let typed = try o.converted(to: .object(["a": .string, "b": .string]))
        #expect(typed == .object(["a": .string("1"), "b": .string("x")]))
        #expect(throws: HCLConversionError("attribute \"c\" is required")) { try o.converted(to: .object(["c": .string])) }
        #expect(try o.converted(to: .map(.string)).type == .map(.string))
        #expect(throws: HCLConversionError("all elements must have the same type")) {
            try HCLValue.tuple([.string("a"), .tuple([])]).converted(to: .list(.dynamic))
        }
    }

    @Test func nullsAndJSON() throws {
        #expect(try HCLValue.nullValue.converted(to: .list(.string)) == .null(.list(.string)))
        let v = HCLValue(json: .object(["n": .number("2"), "l": .array([.string("x")])]))
        #expect(v.json == .object(["n": .number("2"), "l": .array([.string("x")])]))
        #expect(HCLType.object(["b": .list(.string), "a": .number]).description == "object({a=number,b=list(string)})")
        #expect(HCLType.list(.string).friendlyName == "list of string")
    }
}
