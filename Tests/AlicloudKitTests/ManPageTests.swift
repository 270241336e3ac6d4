import Foundation
import Testing
@testable import AlicloudKit

private let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// What an mdoc page documents: the options of its `.It Fl ...` items and the statuses of
/// its EXIT STATUS list.
struct ManPage {
    var options: Set<String> = []
    var exits: Set<Int32> = []
    /// Whether EXIT STATUS has an item for the remote command's status (`Ar n`, `1\(en255`).
    var passesRemoteStatus = false

    init(_ text: String) {
        var section = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix(".Sh ") { section = String(line.dropFirst(4)); continue }
            guard line.hasPrefix(".It ") else { continue }
            let words = line.split(separator: " ").map(String.init)
            if section == "EXIT STATUS" {
                if words.contains("Ar") || line.contains("\\(en") { passesRemoteStatus = true; continue }
                for w in words.dropFirst() {
                    if let n = Int32(w.trimmingCharacters(in: CharacterSet(charactersIn: ","))) { exits.insert(n) }
                }
                continue
            }
            // `Fl` prefixes a dash to each of its arguments, up to the next macro
            // (`Fl -vpc , -vswitch Ar id`); punctuation passes through.
            var inFlag = false
            for w in words.dropFirst() {
                if w.first?.isUppercase == true && w.count >= 2 && w.count <= 3 && w.dropFirst().allSatisfy(\.isLowercase) {
                    inFlag = w == "Fl"
                } else if inFlag && ![",", "|", ".", ";", ":"].contains(w) {
                    options.insert("-" + w.replacingOccurrences(of: "\\-", with: "-"))
                }
            }
        }
    }
}

@Suite struct ManPageTests {
    static let checked = CommandSpec.allTools

    static func page(_ tool: String) -> URL { repo.appendingPathComponent("man/\(tool).1") }

    @Test(arguments: checked.map(\.tool))
    func optionsMatchTheManPage(tool: String) throws {
        let spec = try #require(CommandSpec.allTools.first { $0.tool == tool })
        let man = ManPage(try String(contentsOf: Self.page(tool), encoding: .utf8))
        let declared = spec.optionNames
        #expect(declared.subtracting(man.options).sorted() == [], "\(tool): options missing from man/\(tool).1")
        #expect(man.options.subtracting(declared).sorted() == [], "\(tool): man/\(tool).1 documents options the tool does not take")
    }

    @Test(arguments: checked.map(\.tool))
    func exitStatusesMatchTheManPage(tool: String) throws {
        let spec = try #require(CommandSpec.allTools.first { $0.tool == tool })
        let man = ManPage(try String(contentsOf: Self.page(tool), encoding: .utf8))
        let declared = Set(spec.allExits.flatMap(\.codes))
        #expect(declared.subtracting(man.exits).sorted() == [], "\(tool): exit statuses missing from man/\(tool).1")
        #expect(man.exits.subtracting(declared).sorted() == [], "\(tool): man/\(tool).1 documents statuses the tool does not declare")
        #expect(man.passesRemoteStatus == (spec.remoteStatus != nil), "\(tool): the remote command's status")
    }

    /// Every tool has a man page.
    @Test func everyToolHasAManPage() {
        for spec in CommandSpec.allTools {
            #expect(FileManager.default.fileExists(atPath: Self.page(spec.tool).path), "no man/\(spec.tool).1")
        }
    }

    /// A remote runner's own failure with a status its man page does not list is 255 (as
    /// ssh's); the statuses it lists keep their meaning; other tools keep every status.
    @Test func remoteRunnersEndUndocumentedFailuresWith255() {
        let ssh = SSHRunCommand.spec, winrm = WinRMRunCommand.spec
        #expect(ssh.exitStatus(for: ToolError(.unavailable, "ssh: cannot run")) == 255)
        #expect(ssh.exitStatus(for: ToolError(.cantCreate, "dir")) == 255)
        #expect(ssh.exitStatus(for: ToolError(.noPermission, "x")) == 255)
        #expect(winrm.exitStatus(for: ToolError(.noPermission, "401")) == 77)
        for s in [ExitStatus.usage, .dataError, .noInput, .tempFail, .config, .failed] {
            #expect(ssh.exitStatus(for: ToolError(s, "x")) == s.rawValue)
            #expect(winrm.exitStatus(for: ToolError(s, "x")) == s.rawValue)
        }
        #expect(CommandSpec.ecsCall.exitStatus(for: ToolError(.unavailable, "refused")) == 69)
    }

    /// The check itself: an option or status on one side only is found.
    @Test func parserReadsItemsAndStatuses() {
        let man = ManPage("""
            .Sh OPTIONS
            .Bl -tag -width Ds
            .It Fl -region Ar region
            .It Fl i Ar keyfile , Fl \\-identity Ar keyfile
            .It Fl var Ar name=value
            .It Fl -vpc , -vswitch Ar id Fl -status Ar state
            .El
            .Sh EXIT STATUS
            .Bl -tag
            .It 0
            .It Ar n
            .It 130 , 143
            .El
            """)
        #expect(man.options == ["--region", "-i", "--identity", "-var", "--vpc", "--vswitch", "--status"])
        #expect(man.exits == [0, 130, 143])
        #expect(man.passesRemoteStatus)
    }

    /// Help lists every declared option and every exit status (one declaration feeds both).
    @Test(arguments: CommandSpec.allTools.map(\.tool))
    func helpShowsEveryOptionAndStatus(tool: String) throws {
        let spec = try #require(CommandSpec.allTools.first { $0.tool == tool })
        let help = spec.help
        for option in spec.options + [CommandSpec.helpOption] {
            let names = option.names.joined(separator: ", ")
            #expect(help.contains("  " + names + (option.argument.isEmpty ? "" : " " + option.argument)), "\(tool): \(names) not in --help")
        }
        let flat = help.replacingOccurrences(of: "\n", with: " ")
        for e in spec.allExits {
            #expect(flat.contains(e.codes.map(String.init).joined(separator: "/") + " " + e.meaning.split(separator: " ").first!), "\(tool): status \(e.codes) not in --help")
        }
    }
}
