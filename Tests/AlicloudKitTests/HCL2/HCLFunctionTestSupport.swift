import Foundation
import Testing
@testable import AlicloudKit

/// One documented example: a call and the value it returns.
struct FunctionExample: Sendable, CustomTestStringConvertible {
    var name: String
    var args: [HCLValue]
    var expected: HCLValue
    var testDescription: String { "\(name)(\(args.map(\.debugText).joined(separator: ", "))) = \(expected.debugText)" }
    init(_ name: String, _ args: [HCLValue], _ expected: HCLValue) {
        self.name = name
        self.args = args
        self.expected = expected
    }
}

/// One failing call and the exact message it gives.
struct FunctionFailure: Sendable, CustomTestStringConvertible {
    var name: String
    var args: [HCLValue]
    var message: String
    var testDescription: String { "\(name)(\(args.map(\.debugText).joined(separator: ", "))) fails" }
    init(_ name: String, _ args: [HCLValue], _ message: String) {
        self.name = name
        self.args = args
        self.message = message
    }
}

/// Shorthands for values in the example tables.
extension HCLValue {
    static func str(_ text: String) -> HCLValue { .string(text) }
    static func num(_ d: Double) -> HCLValue { .number(d) }
    /// A tuple, as `[...]` in HCL.
    static func tup(_ items: HCLValue...) -> HCLValue { .tuple(items) }
    /// A list of strings.
    static func strs(_ items: String...) -> HCLValue { .list(items.map(HCLValue.string), .string) }
    /// A list of numbers.
    static func nums(_ items: Double...) -> HCLValue { .list(items.map(HCLValue.number), .number) }
    /// An object, as `{...}` in HCL.
    static func obj(_ pairs: KeyValuePairs<String, HCLValue>) -> HCLValue {
        .object(Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) }))
    }
}

/// A context with a fixed clock (2026-12-04T05:06:07Z) and a scratch base directory.
func functionContext(baseDir: String = "/nonexistent", environment: [String: String] = [:], envAllowed: Bool = false) -> HCLFunctionContext {
    HCLFunctionContext(baseDir: baseDir, pwd: "/work", environment: environment,
                       clock: RenderClock(seconds: 1_796_360_767, seed: 42), envAllowed: envAllowed)
}

/// Runs an example table row.
func check(_ e: FunctionExample, _ context: HCLFunctionContext = functionContext()) throws {
    #expect(try HCLFunctions.call(e.name, e.args, context) == e.expected)
}

/// Runs a failure table row.
func check(_ f: FunctionFailure, _ context: HCLFunctionContext = functionContext()) {
    #expect(throws: HCLFunctionError.self) { try HCLFunctions.call(f.name, f.args, context) }
    do {
        _ = try HCLFunctions.call(f.name, f.args, context)
    } catch {
        #expect(error.message == f.message)
    }
}
