import Testing
@testable import AlicloudKit

/// The library covers Packer's function list (hcl2template/functions.go as of Packer 1.16) once each.
@Suite struct HCLFunctionCoverageTests {
    static let packerNames = [
        "abs", "abspath", "alltrue", "anytrue", "aws_secretsmanager", "aws_secretsmanager_raw", "base64decode",
        "base64encode", "base64gzip", "basename", "bcrypt", "can", "ceil", "chomp", "chunklist", "cidrhost",
        "cidrnetmask", "cidrsubnet", "cidrsubnets", "coalesce", "coalescelist", "compact", "concat", "consul_key",
        "contains", "convert", "csvdecode", "dirname", "distinct", "element", "endswith", "file", "filebase64",
        "fileexists", "fileset", "flatten", "floor", "format", "formatdate", "formatlist", "indent", "index", "join",
        "jsondecode", "jsonencode", "keys", "legacy_isotime", "legacy_strftime", "length", "log", "lookup", "lower",
        "max", "md5", "merge", "min", "parseint", "pathexpand", "pow", "range", "regex", "regex_replace", "regexall",
        "replace", "reverse", "rfc3339_parse", "rsadecrypt", "setintersection", "setproduct", "setunion", "sha1",
        "sha256", "sha512", "signum", "slice", "sort", "split", "startswith", "strcontains", "strrev", "substr",
        "sum", "textdecodebase64", "textencodebase64", "timeadd", "timestamp", "title", "trim", "trimprefix",
        "trimspace", "trimsuffix", "try", "unix_timestamp_parse", "upper", "urlencode", "uuidv4", "uuidv5", "values",
        "vault", "yamldecode", "yamlencode", "zipmap",
    ]
    /// Functions that need unevaluated expressions or the evaluator itself.
    static let evaluatorNames: Set<String> = ["can", "try", "templatefile", "convert"]

    @Test func everyPackerFunctionIsHereOrTheEvaluators() {
        let missing = Self.packerNames.filter { HCLFunctions.all[$0] == nil && !Self.evaluatorNames.contains($0) }
        #expect(missing.isEmpty, "missing: \(missing)")
        let extra = Set(HCLFunctions.all.keys).subtracting(Self.packerNames).subtracting(["env"])
        #expect(extra.isEmpty, "not Packer functions: \(extra.sorted())")
    }

    @Test func noNameIsInTwoTables() {
        var seen: [String: Int] = [:]
        for part in HCLFunctions.parts { for name in part.keys { seen[name, default: 0] += 1 } }
        #expect(seen.filter { $0.value > 1 }.isEmpty)
    }
}
