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
