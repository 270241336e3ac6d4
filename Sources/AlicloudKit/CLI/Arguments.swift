import FoundationEssentials

/// One option a tool accepts, declared once: its parser, its `--help` line and the check
/// against its man page all read this. `names` are spelled as the user types them
/// (`--region`, `-i`, or Packer's single-dash `-var`); the first is the canonical name.
public struct OptionSpec: Sendable {
    /// Every spelling of the option; the first one is the key in `ParsedArguments`.
    public var names: [String]
    /// Whether the option takes a value (`--opt v` or `--opt=v`).
    public var takesValue: Bool
    /// The value's placeholder in help (`URL`, `S`); empty for a flag.
    public var argument: String
    /// What the option does, for `--help`; a newline starts a continuation line.
    public var summary: String
    /// The heading the option is listed under in `--help`.
    public var section: String

    /// An option that takes a value.
    public static func value(_ names: String..., arg: String, section: String = "options", _ summary: String) -> OptionSpec {
        OptionSpec(names: names, takesValue: true, argument: arg, summary: summary, section: section)
    }
    /// A flag without a value.
    public static func flag(_ names: String..., section: String = "options", help summary: String) -> OptionSpec {
        OptionSpec(names: names, takesValue: false, argument: "", summary: summary, section: section)
    }
}

/// One documented exit status (or several with one meaning, such as 130 and 143).
public struct ExitCode: Sendable {
    /// The statuses.
    public var codes: [Int32]
    /// What they mean, as `--help` says it.
    public var meaning: String

    /// Makes an entry.
    public init(_ code: Int32, _ meaning: String) {
        codes = [code]
        self.meaning = meaning
    }

    /// Makes an entry of several statuses with one meaning.
    public init(_ codes: [Int32], _ meaning: String) {
        self.codes = codes
        self.meaning = meaning
    }

    /// The statuses every tool can end with, whatever it does: the runner's own.
    public static let common: [ExitCode] = [
        ExitCode(ExitStatus.software.rawValue, "internal error"),
        ExitCode(ExitStatus.ioError.rawValue, "standard output could not be written"),
    ]
}

/// What a tool accepts on its command line, the help it prints and the exit statuses it
/// documents: one declaration for its parser, `--help`, its runner and the man page check.
public struct CommandSpec: Sendable {
    /// The tool's name, used in messages.
    public var tool: String
    /// The one-line usage (without the leading `usage: `).
    public var usage: String
    /// The help text before the options: usage lines and what the tool does.
    public var about: String
    /// The options, in help order (`-h`/`--help` is implied).
    public var options: [OptionSpec]
    /// Help text after the options (environment, notes); may be empty.
    public var notes: String
    /// The documented exit statuses besides `ExitCode.common`.
    public var exits: [ExitCode]
    /// For a remote runner, how it passes the remote command's status through (nil for
    /// other tools). Its own failures then end with `ownFailure` unless documented.
    public var remoteStatus: String?
    /// The status a remote runner's undocumented failures end with (255, as ssh(1)).
    public var ownFailure: Int32?
    /// After this many positional arguments, the next positional ends option parsing,
    /// so a remote command keeps its own dashes (`ssh-run host ls -l`).
    public var optionsEndAfterPositionals: Int?

    /// Makes a spec.
    public init(tool: String, usage: String, about: String, options: [OptionSpec], notes: String = "",
                exits: [ExitCode], remoteStatus: String? = nil, ownFailure: Int32? = nil,
                optionsEndAfterPositionals: Int? = nil) {
        self.tool = tool
        self.usage = usage
        self.about = about
        self.options = options
        self.notes = notes
        self.exits = exits
        self.remoteStatus = remoteStatus
        self.ownFailure = ownFailure
        self.optionsEndAfterPositionals = optionsEndAfterPositionals
    }

    /// The implied help option.
    public static let helpOption = OptionSpec.flag("-h", "--help", help: "show this help")

    /// Every spelling of every option, `-h` and `--help` included.
    public var optionNames: Set<String> {
        Set((options + [Self.helpOption]).flatMap(\.names))
    }

    /// Every documented exit status, the common ones included.
    public var allExits: [ExitCode] {
        let declared = Set(exits.flatMap(\.codes))
        return exits + ExitCode.common.filter { !$0.codes.contains(where: declared.contains) }
    }

    /// Whether `status` is one this tool documents.
    public func documents(_ status: Int32) -> Bool {
        allExits.contains { $0.codes.contains(status) }
    }

    /// The status a failure ends the tool with: its own, or for a remote runner whose man
    /// page does not list it, `ownFailure` (255).
    public func exitStatus(for error: ToolError) -> Int32 {
        let status = error.status.rawValue
        guard let own = ownFailure, !documents(status) else { return status }
        return own
    }

    /// The full help text printed by `-h` / `--help`: about, the options by section, notes
    /// and the exit statuses.
    public var help: String {
        var text = about.hasSuffix("\n") ? about : about + "\n"
        let all = options + [Self.helpOption]
        let left = all.map { (o: OptionSpec) -> String in o.names.joined(separator: ", ") + (o.argument.isEmpty ? "" : " " + o.argument) }
        let column = min(26, (left.map(\.count).max() ?? 0) + 4)
        var section: String?
        for (o, l) in zip(all, left) {
            if o.section != section && !(o.names == Self.helpOption.names && section != nil) {
                text += "\n\(o.section):\n"
                section = o.section
            }
            let lines = o.summary.split(separator: "\n", omittingEmptySubsequences: false)
            var head = "  " + l
            if head.count + 1 > column {
                text += head + "\n"
                head = ""
            }
            text += head + String(repeating: " ", count: max(0, column - head.utf16.count)) + lines[0] + "\n"
            for more in lines.dropFirst() { text += String(repeating: " ", count: column) + more + "\n" }
        }
        if !notes.isEmpty { text += "\n" + (notes.hasSuffix("\n") ? notes : notes + "\n") }
        var items: [String] = []
        if let remoteStatus { items.append(remoteStatus) }
        for e in allExits { items.append(e.codes.map(String.init).joined(separator: "/") + " " + e.meaning) }
        text += "\n" + Self.wrap("exit status: " + items.joined(separator: ", ") + ".", width: 88)
        return text
    }

    /// Breaks `text` at spaces into lines of at most `width` characters.
    static func wrap(_ text: String, width: Int) -> String {
        var lines: [String] = []
        var line = ""
        for word in text.split(separator: " ") {
            if !line.isEmpty && line.count + 1 + word.count > width {
                lines.append(line)
                line = ""
            }
            line += (line.isEmpty ? "" : " ") + word
        }
        if !line.isEmpty { lines.append(line) }
        return lines.map { $0 + "\n" }.joined()
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
            StandardStream.out(help)
            exit(finalStatus(tool, ExitStatus.ok.rawValue))
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
