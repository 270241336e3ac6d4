import AlicloudKit
import Foundation
import Testing
@testable import EcsSimKit

/// The emulator's own replacements for Foundation calls it once made, held to those calls.
@Suite struct FoundationParityTests {
    /// OSS lists dates as ISO8601DateFormatter wrote them (whole seconds, "Z"). That formatter
    /// first rounded to the millisecond (x.9996 s became the next second); like ISO8601FormatStyle,
    /// SimTime drops the fraction whole.
    @Test func simTimeIsoMatchesISO8601DateFormatter() {
        let f = ISO8601DateFormatter()
        for t in [0.0, 1.5, 59.999, 951_782_400, 1_700_000_000.25, 1_764_842_400.123456, 4_102_444_799] {
            #expect(SimTime.iso(t) == f.string(from: Date(timeIntervalSince1970: t)), "\(t)")
        }
        for t in [59.9996, 1_800_000_000.9999, 1_764_842_400.5] {
            #expect(SimTime.iso(t) == Date(timeIntervalSince1970: t).formatted(.iso8601), "\(t)")
        }
    }

    /// The translator's patterns read by Swift Regex as NSRegularExpression read them
    /// (case-insensitive, "." across lines), line breaks at the end included.
    @Test func winrmMatchMatchesNSRegularExpression() {
        let patterns = [
            #"^\[(System\.)?IO\.File\]::WriteAllBytes\((.+?),\s*\[(System\.)?Convert\]::FromBase64String\(\(Get-Content (-Path )?(.+?)\) -join ''\)\)$"#,
            #"^\$env:([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+)$"#,
            #"^\$([A-Za-z_][A-Za-z0-9_:]*)\s*=\s*(.+)$"#,
            #"^(\S+)\s+-(eq|ne|gt|lt|ge|le)\s+(\S+)$"#,
            #"^\[(System\.)?IO\.Path\]::GetFullPath\((.+)\)$"#,
            #"^\[(System\.)?Environment\]::ExpandEnvironmentVariables\((.+)\)$"#,
        ]
        let inputs = [
            "[IO.File]::WriteAllBytes('C:\\a.bin', [System.Convert]::FromBase64String((Get-Content -Path C:\\a.b64) -join ''))",
            "[system.io.file]::writeallbytes($p,[convert]::frombase64string((get-content $q) -join ''))\r\n",
            "$env:Path = \"C:\\x;$env:Path\"", "$ENV:x = 1\n2", "$env:x = a\u{301}", "$env:9 = 1",
            "$a = [IO.Path]::GetFullPath('.\\x')", "$LastExitCode -EQ 0\n", "$a -eq 1\r\n", "$a -ne 1\u{2028}", "$a -eq 1\n\n",
            "$a -gt 1 ", "[System.IO.Path]::GetFullPath(\n'x'\n)", "[Environment]::ExpandEnvironmentVariables('%TEMP%')\r",
            "", "\n", "$x:y=z",
        ]
        for p in patterns {
            let re = try! NSRegularExpression(pattern: p, options: [.caseInsensitive, .dotMatchesLineSeparators])
            for s in inputs {
                let expected = re.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)).map { m in
                    (0..<m.numberOfRanges).map { i in Range(m.range(at: i), in: s).map { String(s[$0]) } ?? "" }
                }
                #expect(s.winrmMatch(p) == expected, "\(p) on \(s.debugDescription)")
            }
        }
    }

    /// Block comments are dropped as the ICU pattern dropped them (shortest, across lines).
    @Test func blockCommentsDroppedAsBefore() {
        for script in ["a <# x #> b; c", "<# one\r\ntwo #>\nWrite-Host 1 <#x#>#>", "x <# open only", "<##>y", "p <# é\u{301} #> q <# r #>"] {
            let stripped = script.replacingOccurrences(of: #"<#[\s\S]*?#>"#, with: "", options: .regularExpression)
            // Stripping twice changes nothing more, so the lexer sees what Foundation left.
            #expect(PSLexer.statements(script) == PSLexer.statements(stripped), "\(script.debugDescription)")
        }
    }

    /// A statement ending in `| Out-Null` (any case, any blanks) has its output dropped.
    @Test func outNullFoundAsBefore() {
        var t = WindowsCommandTranslator(environment: [:]) { _ in nil }
        for s in ["Write-Host hi | Out-Null", "ls|out-null", "Get-Item x | OUT-NULL  ", "x |\tOut-Null\t", "x | Out-Nullx",
                  "x | Out-Null | y", "Out-Null", "x | Out-Null\n"] {
            let found = s.trimmingCharacters(in: .whitespacesAndNewlines)
                .range(of: #"\|\s*Out-Null\s*$"#, options: [.regularExpression, .caseInsensitive]) != nil
            #expect(t.psStatement(s).hasSuffix(" >/dev/null") == found, "\(s.debugDescription)")
        }
    }
}
