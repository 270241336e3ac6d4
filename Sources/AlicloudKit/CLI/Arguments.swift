/// One option a tool accepts. `names` are spelled as the user types them (`--region`,
/// `-i`, or Packer's single-dash `-var`); the first is the canonical name.
public struct OptionSpec: Sendable {
    /// Every spelling of the option; the first one is the key in `ParsedArguments`.
    public var names: [String]
    /// Whether the option takes a value (`--opt v` or `--opt=v`).
    public var takesValue: Bool

    /// An option that takes a value.
    public static func value(_ names: String...) -> OptionSpec { OptionSpec(names: names, takesValue: true) }
    /// A flag without a value.
    public static func flag(_ names: String...) -> OptionSpec { OptionSpec(names: names, takesValue: false) }
}

/// What a tool accepts on its command line and the help it prints.
public struct CommandSpec: Sendable {
    /// The tool's name, used in messages.
    public var tool: String
    /// The one-line usage (without the leading `usage: `).
    public var usage: String
    /// The full help text printed by `-h` / `--help`.
    public var help: String
    /// The options.
    public var options: [OptionSpec]
    /// After this many positional arguments, the next positional ends option parsing,
    /// so a remote command keeps its own dashes (`ssh-run host ls -l`).
    public var optionsEndAfterPositionals: Int?

    /// Makes a spec.
    public init(tool: String, usage: String, help: String, options: [OptionSpec], optionsEndAfterPositionals: Int? = nil) {
        self.tool = tool
        self.usage = usage
        self.help = help
        self.options = options
        self.optionsEndAfterPositionals = optionsEndAfterPositionals
    }
}

/// The parsed command line: option values by canonical name, in order, and positionals.
public struct ParsedArguments: Sendable {
    /// Every value given for each value option, in command-line order.
    public var values: [String: [String]] = [:]
    /// The flags that were given (with how many times).
    public var flags: [String: Int] = [:]
    /// The positional arguments, in order.
    public var positionals: [String] = []
    /// Every value option as given, by canonical name, in command-line order across options
    /// (`-var` and `-var-file` interleave: a later one wins).
    public var ordered: [(name: String, value: String)] = []

    /// The last value given for an option, or nil.
    public func value(_ name: String) -> String? { values[name]?.last }
    /// Every value given for a repeatable option.
    public func all(_ name: String) -> [String] { values[name] ?? [] }
    /// The values of any of these options, in the order they were given.
    public func inOrder(_ names: String...) -> [(name: String, value: String)] {
        ordered.filter { names.contains($0.name) }
    }
    /// Whether a flag was given.
    public func has(_ name: String) -> Bool { (flags[name] ?? 0) > 0 || values[name] != nil }

    /// The value of a numeric option, or `defaultValue`; a non-number is a usage error.
    public func number(_ name: String, default defaultValue: Double? = nil) throws -> Double? {
        guard let raw = value(name) else { return defaultValue }
        guard let v = Double(raw), v.isFinite, v >= 0 else {
            throw ToolError.usage("\(name): not a non-negative number: \(raw)")
        }
        return v
    }

    /// The value of an integer option, or `defaultValue`; a non-integer is a usage error.
    public func integer(_ name: String, default defaultValue: Int? = nil) throws -> Int? {
        guard let raw = value(name) else { return defaultValue }
        guard let v = Int(raw), v >= 0 else {
            throw ToolError.usage("\(name): not a non-negative integer: \(raw)")
        }
        return v
    }
}

/// Why parsing stopped without a usable result.
public enum ArgumentOutcome: Error, Sendable {
    /// `-h` or `--help` was given.
    case help
}

extension CommandSpec {
    /// Parses `arguments` (without the program name). Throws `ArgumentOutcome.help` for
    /// `-h`/`--help` and a usage `ToolError` for misuse.
    public func parse(_ arguments: [String]) throws -> ParsedArguments {
        var result = ParsedArguments()
        var index = 0
        var optionsDone = false
        func lookup(_ name: String) -> OptionSpec? { options.first { $0.names.contains(name) } }

        while index < arguments.count {
            let arg = arguments[index]
            index += 1
            if optionsDone || arg == "-" || !arg.hasPrefix("-") {
                result.positionals.append(arg)
                if !optionsDone, let limit = optionsEndAfterPositionals, result.positionals.count > limit {
                    optionsDone = true
                }
                continue
            }
            if arg == "--" {
                optionsDone = true
                continue
            }
            if arg == "-h" || arg == "--help" {
                if lookup(arg) == nil { throw ArgumentOutcome.help }
            }
            var name = arg
            var inlineValue: String?
            if let eq = arg.firstIndex(of: "="), lookup(arg) == nil {
                name = String(arg[..<eq])
                inlineValue = String(arg[arg.index(after: eq)...])
            }
            guard let option = lookup(name) else {
                throw ToolError.usage("unknown option \(name)")
            }
            let key = option.names[0]
            if option.takesValue {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < arguments.count else {
                        throw ToolError.usage("option \(name) needs a value")
                    }
                    value = arguments[index]
                    index += 1
                }
                result.values[key, default: []].append(value)
                result.ordered.append((key, value))
            } else {
                if inlineValue != nil { throw ToolError.usage("option \(name) takes no value") }
                result.flags[key, default: 0] += 1
            }
        }
        return result
    }

    /// Parses the process's arguments; prints help (stdout, exit 0) or a usage error
    /// (stderr, exit 64) itself.
    public func parseOrExit(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> ParsedArguments {
        do {
            return try parse(arguments)
        } catch ArgumentOutcome.help {
            StandardStream.out(help.hasSuffix("\n") ? help : help + "\n")
            exit(ExitStatus.ok.rawValue)
        } catch let error as ToolError {
            usageExit(error.message)
        } catch {
            usageExit("\(error)")
        }
    }

    /// Prints `tool: message` and the usage line to stderr and exits 64.
    public func usageExit(_ message: String) -> Never {
        StandardStream.err("\(tool): \(message)\nusage: \(usage)\n")
        exit(ExitStatus.usage.rawValue)
    }
}

#if canImport(Glibc)
import Glibc
#endif
