import Testing
@testable import AlicloudKit

/// Packer's and Terraform's documented examples for the collection functions.
@Suite struct HCLCollectionFunctionTests {
    static let abcd = HCLValue.tup(.str("a"), .str("b"), .str("c"), .str("d"))

    static let examples: [FunctionExample] = [
        .init("alltrue", [.tup(.str("true"), .bool(true))], .bool(true)), .init("alltrue", [.tup(.bool(true), .bool(false))], .bool(false)),
        .init("alltrue", [.tup()], .bool(true)),
        .init("anytrue", [.tup(.str("true"))], .bool(true)), .init("anytrue", [.tup(.bool(false), .bool(true))], .bool(true)),
        .init("anytrue", [.tup()], .bool(false)),
        .init("chunklist", [.tup(.str("a"), .str("b"), .str("c"), .str("d"), .str("e")), .num(2)],
              .list([.strs("a", "b"), .strs("c", "d"), .strs("e")], .list(.string))),
        .init("coalesce", [.str("a"), .str("b")], .str("a")), .init("coalesce", [.str(""), .str("b")], .str("b")),
        .init("coalesce", [.num(1), .num(2)], .num(1)), .init("coalesce", [.nullValue, .num(1), .str("hello")], .str("1")),
        .init("coalescelist", [.tup(.str("a"), .str("b")), .tup(.str("c"), .str("d"))], .tup(.str("a"), .str("b"))),
        .init("coalescelist", [.tup(), .tup(.str("c"), .str("d"))], .tup(.str("c"), .str("d"))),
        .init("compact", [.tup(.str("a"), .str(""), .str("b"), .nullValue, .str("c"))], .strs("a", "b", "c")),
        .init("concat", [.tup(.str("a"), .str("")), .tup(.str("b"), .str("c"))], .tup(.str("a"), .str(""), .str("b"), .str("c"))),
        .init("concat", [.strs("a"), .strs("b")], .strs("a", "b")),
        .init("contains", [.tup(.str("a"), .str("b"), .str("c")), .str("a")], .bool(true)),
        .init("contains", [.tup(.str("a"), .str("b"), .str("c")), .str("d")], .bool(false)),
        .init("distinct", [.tup(.str("a"), .str("b"), .str("a"), .str("c"), .str("d"), .str("b"))], .strs("a", "b", "c", "d")),
        .init("element", [.tup(.str("a"), .str("b"), .str("c")), .num(1)], .str("b")),
        .init("element", [.tup(.str("a"), .str("b"), .str("c")), .num(3)], .str("a")),
        .init("element", [.tup(.str("a"), .str("b"), .str("c")), .num(-1)], .str("c")),
        .init("flatten", [.tup(.tup(.str("a"), .str("b")), .tup(), .tup(.str("c")))], .tup(.str("a"), .str("b"), .str("c"))),
        .init("flatten", [.tup(.tup(.tup(.str("a"), .str("b")), .tup()), .tup(.str("c")))], .tup(.str("a"), .str("b"), .str("c"))),
        .init("index", [.tup(.str("a"), .str("b"), .str("c")), .str("b")], .num(1)),
        .init("index", [.strs("1", "2"), .str("2")], .num(1)),
        .init("keys", [.obj(["a": .num(1), "c": .num(2), "d": .num(3)])], .tup(.str("a"), .str("c"), .str("d"))),
        .init("keys", [.map(["b": .num(1), "a": .num(2)], .number)], .strs("a", "b")),
        .init("length", [.tup()], .num(0)), .init("length", [.tup(.str("a"), .str("b"))], .num(2)),
        .init("length", [.obj(["a": .str("b")])], .num(1)), .init("length", [.str("hello")], .num(5)),
        .init("length", [.str("👾🕹️")], .num(2)),
        .init("lookup", [.obj(["a": .str("ay"), "b": .str("bee")]), .str("a"), .str("what?")], .str("ay")),
        .init("lookup", [.obj(["a": .str("ay"), "b": .str("bee")]), .str("c"), .str("what?")], .str("what?")),
        .init("lookup", [.map(["a": .num(1)], .number), .str("c"), .str("2")], .num(2)),
        .init("merge", [.obj(["a": .str("b"), "c": .str("d")]), .obj(["e": .str("f"), "c": .str("z")])],
              .obj(["a": .str("b"), "c": .str("z"), "e": .str("f")])),
        .init("merge", [.obj(["a": .str("b")]), .obj(["a": .tup(.num(1), .num(2)), "c": .str("z")]), .nullValue, .obj(["d": .num(3)])],
              .obj(["a": .tup(.num(1), .num(2)), "c": .str("z"), "d": .num(3)])),
        .init("merge", [.map(["a": .str("x")], .string), .map(["b": .str("y")], .string)], .map(["a": .str("x"), "b": .str("y")], .string)),
        .init("merge", [.map(["a": .num(1)], .number), .map(["b": .str("y")], .string)], .map(["a": .str("1"), "b": .str("y")], .string)),
        .init("range", [.num(3)], .nums(0, 1, 2)), .init("range", [.num(1), .num(4)], .nums(1, 2, 3)),
        .init("range", [.num(1), .num(8), .num(2)], .nums(1, 3, 5, 7)), .init("range", [.num(1), .num(4), .num(0.5)], .nums(1, 1.5, 2, 2.5, 3, 3.5)),
        .init("range", [.num(4), .num(1)], .nums(4, 3, 2)), .init("range", [.num(10), .num(5), .num(-2)], .nums(10, 8, 6)),
        .init("range", [.num(0)], .list([], .number)),
        .init("reverse", [.tup(.num(1), .num(2), .num(3))], .tup(.num(3), .num(2), .num(1))),
        .init("setintersection", [.tup(.str("a"), .str("b")), .tup(.str("b"), .str("c")), .tup(.str("b"), .str("d"))], .set([.str("b")], of: .string)),
        .init("setunion", [.tup(.str("a"), .str("b")), .tup(.str("b"), .str("c")), .tup(.str("d"))],
              .set([.str("a"), .str("b"), .str("c"), .str("d")], of: .string)),
        .init("setproduct", [.tup(.str("development"), .str("staging")), .tup(.str("app1"), .str("app2"))], .list([
            .tup(.str("development"), .str("app1")), .tup(.str("development"), .str("app2")),
            .tup(.str("staging"), .str("app1")), .tup(.str("staging"), .str("app2")),
        ], .tuple([.string, .string]))),
        .init("slice", [abcd, .num(1), .num(3)], .tup(.str("b"), .str("c"))),
        .init("slice", [.strs("a", "b"), .num(0), .num(0)], .list([], .string)),
        .init("sort", [.tup(.str("e"), .str("d"), .str("a"), .str("x"))], .strs("a", "d", "e", "x")),
        .init("sort", [.tup(.num(10), .num(9))], .strs("10", "9")),
        .init("sum", [.tup(.num(10), .num(13), .num(6), .num(4.5))], .num(33.5)),
        .init("values", [.obj(["a": .num(3), "c": .num(2), "d": .num(1)])], .tup(.num(3), .num(2), .num(1))),
        .init("zipmap", [.tup(.str("a"), .str("b")), .tup(.num(1), .num(2))], .obj(["a": .num(1), "b": .num(2)])),
        .init("zipmap", [.strs("a", "b"), .nums(1, 2)], .map(["a": .num(1), "b": .num(2)], .number)),
    ]

    static let failures: [FunctionFailure] = [
        .init("element", [.tup(), .num(0)], "cannot use element function with an empty list"),
        .init("element", [.obj(["a": .num(1)]), .num(0)], "cannot read elements from object"),
        .init("index", [.tup(.str("a")), .str("z")], "item not found"),
        .init("index", [.str("a"), .str("z")], "argument must be a list or tuple"),
        .init("range", [.num(1), .num(2), .num(0)], "step must not be zero"),
        .init("range", [.num(0), .num(2000)], "more than 1024 values were generated; either decrease the difference between start and end or use a smaller step"),
        .init("range", [], "must have one, two, or three arguments"),
        .init("slice", [.tup(.str("a")), .num(2), .num(3)], "invalid value for \"start_index\" parameter: start index must not be greater than the length of the list"),
        .init("slice", [.tup(.str("a")), .num(1), .num(0)], "invalid value for \"start_index\" parameter: start index must not be greater than end index"),
        .init("zipmap", [.tup(.str("a")), .tup(.num(1), .num(2))], "number of keys (1) does not match number of values (2)"),
        .init("sum", [.tup()], "invalid value for \"list\" parameter: cannot sum an empty list"),
        .init("sum", [.tup(.str("a"))], "invalid value for \"list\" parameter: argument must be list, set, or tuple of number values"),
        .init("coalesce", [.nullValue, .str("")], "no non-null, non-empty-string arguments"),
        .init("coalescelist", [.str("a")], "coalescelist arguments must be lists or tuples"),
        .init("keys", [.str("a")], "invalid value for \"inputMap\" parameter: must have map or object type"),
        .init("length", [.num(1)], "argument must be a string, a collection type, or a structural type"),
        .init("concat", [.str("a")], "all arguments must be lists or tuples; got string"),
        .init("reverse", [.set([.num(1)], of: .number)], "invalid value for \"list\" parameter: can only reverse list or tuple values, not set of number"),
        .init("chunklist", [.tup(.str("a")), .num(-1)], "the size argument must be positive"),
        .init("alltrue", [.tup(.str("yes"))], "invalid value for \"list\" parameter: [0]: a bool is required"),
        .init("merge", [.str("x")], "arguments must be maps or objects, got \"string\""),
        .init("lookup", [.map(["a": .num(1)], .number), .str("c"), .str("x")], "invalid value for \"default\" parameter: the default value must have the same type as the map elements"),
    ]

    @Test(arguments: examples) func documentedExamples(_ e: FunctionExample) throws { try check(e) }
    @Test(arguments: failures) func failingCalls(_ f: FunctionFailure) { check(f) }
}

/// `convert`, which the evaluator calls with a decoded type expression.
@Suite struct HCLConvertFunctionTests {
    @Test func convertsWithCtysRules() throws {
        #expect(try HCLFunctions.convert(.tup(.str("a"), .num(1)), to: .list(.string)) == .strs("a", "1"))
        #expect(try HCLFunctions.convert(.str("5"), to: .number) == .num(5))
        #expect(throws: HCLFunctionError(argument: 0, "invalid value for \"value\" parameter: a number is required")) {
            try HCLFunctions.convert(.str("five"), to: .number)
        }
    }
}
