import FoundationEssentials

/// One provisioner of the plan: `{"type":..., "pause_before":s, "max_retries":n,
/// "timeout":s, "config":{...}}` with Packer's keys, defaults applied, durations in seconds.
public struct ProvisionerSpec: Sendable {
    /// `shell`, `file`, ...
    public var type: String
    /// Seconds to wait before starting.
    public var pauseBefore: Double
    /// How many times a failed provisioner is run again.
    public var maxRetries: Int
    /// Seconds the whole provisioner may take (0: no limit).
    public var timeout: Double
    /// The provisioner's own keys.
    public var config: [String: JSONValue]

    /// Reads a plan provisioner object.
    public init(json: JSONValue) throws {
        guard let obj = json.objectValue else { throw ToolError.data("provisioner: expected an object, got \(json.typeName)") }
        guard let type = obj["type"]?.stringValue, !type.isEmpty else { throw ToolError.data("provisioner: missing \"type\"") }
        self.type = type
        pauseBefore = try Self.seconds(obj["pause_before"], "pause_before")
        timeout = try Self.seconds(obj["timeout"], "timeout")
        let retries = try Self.seconds(obj["max_retries"], "max_retries")
        guard retries == retries.rounded() else { throw ToolError.data("provisioner: max_retries must be an integer") }
        maxRetries = Int(retries)
        if let c = obj["config"], !c.isNull {
            guard let cfg = c.objectValue else { throw ToolError.data("provisioner: \"config\" must be an object") }
            config = cfg
        } else {
            config = [:]
        }
    }

    static func seconds(_ v: JSONValue?, _ key: String) throws -> Double {
        guard let v, !v.isNull else { return 0 }
        if let d = v.doubleValue, d >= 0, d.isFinite { return d }
        if let s = v.stringValue, let d = Double(s), d >= 0 { return d }
        throw ToolError.data("provisioner: \(key) must be a non-negative number of seconds, got \(v.rawText)")
    }
}

/// Typed reads of a provisioner's config keys, with lowercase `key: problem` errors.
struct ConfigReader {
    let config: [String: JSONValue]
    let owner: String

    func string(_ key: String) throws -> String? {
        guard let v = config[key], !v.isNull else { return nil }
        guard let s = v.stringValue else { throw ToolError.data("\(owner): \(key) must be a string, got \(v.typeName)") }
        return s
    }
    func strings(_ key: String) throws -> [String] {
        guard let v = config[key], !v.isNull else { return [] }
        if let s = v.stringValue { return [s] }
        guard let a = v.arrayValue else { throw ToolError.data("\(owner): \(key) must be an array of strings") }
        return try a.map { item in
            guard let s = item.stringValue else { throw ToolError.data("\(owner): \(key) must be an array of strings") }
            return s
        }
    }
    func bool(_ key: String) throws -> Bool {
        guard let v = config[key], !v.isNull else { return false }
        if let b = v.boolValue { return b }
        if let s = v.stringValue, let b = ["true": true, "false": false, "1": true, "0": false][s.lowercased()] { return b }
        throw ToolError.data("\(owner): \(key) must be a boolean, got \(v.rawText)")
    }
    func seconds(_ key: String, default d: Double) throws -> Double {
        guard let v = config[key], !v.isNull else { return d }
        return try ProvisionerSpec.seconds(v, key)
    }
    func ints(_ key: String) throws -> [Int]? {
        guard let v = config[key], !v.isNull else { return nil }
        guard let a = v.arrayValue else { throw ToolError.data("\(owner): \(key) must be an array of integers") }
        return try a.map { item in
            guard let n = item.intValue ?? item.stringValue.flatMap({ Int($0) }) else {
                throw ToolError.data("\(owner): \(key) must be an array of integers")
            }
            return n
        }
    }
}

/// What a remote command run by a provisioner ended with.
public enum RemoteOutcome: Equatable, Sendable {
    /// The command's exit status.
    case exited(Int32)
    /// The connection went away (or the remote command died without a status).
    case disconnected(String)
}

/// The operations a provisioner needs from a connection (ssh now, WinRM later).
public protocol ProvisionTransport {
    /// Writes `bytes` to `path` on the host with `mode`. Throws on failure; a connection
    /// failure throws `TransportError.connection` so callers may retry.
    func upload(bytes: [UInt8], to path: String, mode: Int) throws
    /// Copies a local file to `path` on the host (keeping its permission bits).
    func upload(file: String, to path: String) throws
    /// Copies a local directory (or only its contents) into `directory` on the host.
    func upload(tree: String, contentsOnly: Bool, into directory: String) throws
    /// Copies a remote file to a local path.
    func download(file: String, to local: String) throws
    /// Copies a remote directory (or only its contents) into a local directory.
    func download(tree: String, contentsOnly: Bool, into local: String) throws
    /// Whether `path` is a directory on the host.
    func isDirectory(_ path: String) throws -> Bool
    /// Runs a command, streaming its output to `output`; nil timeout waits forever.
    func execute(_ command: String, output: ProvisionOutput, timeout: Double?) throws -> RemoteOutcome
}

/// A transfer or command that failed because the connection failed (retryable).
public struct TransportError: Error, Sendable {
    /// What went wrong, lowercase.
    public var message: String
    /// Makes one.
    public init(_ message: String) { self.message = message }
}

/// Where a provisioner's remote output and status lines go: raw, or as Packer prints
/// them (`    <name>: <line>` for stdout, `==> <name>: <line>` for stderr and status).
public struct ProvisionOutput: Sendable {
    /// The build name used as prefix; nil streams remote output unchanged and stays quiet.
    public var prefix: String?
    /// Remote text is dropped (housekeeping commands).
    public var discard = false

    /// Makes one.
    public init(prefix: String?) { self.prefix = prefix }

    /// A status line (`==> name: text`), only when a prefix is set.
    public func say(_ text: String) {
        guard let prefix else { return }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            StandardStream.err(Self.trimmed("==> \(prefix): \(line)") + "\n")
        }
    }

    /// Formats one remote stdout line.
    public func stdoutLine(_ bytes: [UInt8]) -> [UInt8] {
        guard let prefix else { return Self.hidingSecrets(bytes) + [10] }
        return Array(Self.trimmed("    \(prefix): " + Self.sensitive(String(decoding: bytes, as: UTF8.self))).utf8) + [10]
    }

    /// Formats one remote stderr line.
    public func stderrLine(_ bytes: [UInt8]) -> [UInt8] {
        guard let prefix else { return Self.hidingSecrets(bytes) + [10] }
        return Array(Self.trimmed("==> \(prefix): " + Self.sensitive(String(decoding: bytes, as: UTF8.self))).utf8) + [10]
    }

    /// A remote line with every registered secret (passwords, sensitive variables) shown as
    /// Packer shows sensitive values: `<sensitive>`.
    static func sensitive(_ line: String) -> String {
        Secrets.redact(line).replacingText("<redacted>", with: "<sensitive>")
    }

    /// Raw bytes, unchanged unless they are text that holds a secret.
    static func hidingSecrets(_ bytes: [UInt8]) -> [UInt8] {
        guard let text = String(bytes: bytes, encoding: .utf8) else { return bytes }
        let shown = sensitive(text)
        return shown == text ? bytes : Array(shown.utf8)
    }

    /// Packer trims trailing whitespace (and a CR) from every UI line.
    static func trimmed(_ s: String) -> String {
        var scalars = s.unicodeScalars
        while let last = scalars.last, last == " " || last == "\t" || last == "\r" { scalars.removeLast() }
        return String(scalars)
    }
}

/// Formats seconds as Go's time.Duration prints them (`1s`, `1m0s`, `1h2m3s`, `500ms`).
public func goDuration(_ seconds: Double) -> String {
    if seconds == 0 { return "0s" }
    if seconds < 1 {
        let ms = seconds * 1000
        return ms == ms.rounded() ? "\(Int(ms))ms" : "\(ms)ms"
    }
    let whole = Int(seconds)
    let frac = seconds - Double(whole)
    let h = whole / 3600, m = (whole % 3600) / 60
    var s = "\(whole % 60)"
    if frac > 0 {
        var f = cFormat("%.9f", frac).dropFirst(1)  // ".5000..."
        while f.hasSuffix("0") { f = f.dropLast() }
        s += f
    }
    if h > 0 { return "\(h)h\(m)m\(s)s" }
    if m > 0 { return "\(m)m\(s)s" }
    return "\(s)s"
}

/// Runs a provisioner with Packer's common keys: pause_before, timeout, max_retries.
public struct ProvisionerRun {
    /// The plan entry.
    public var spec: ProvisionerSpec
    /// Build name and builder type, exported as PACKER_BUILD_NAME / PACKER_BUILDER_TYPE.
    public var buildName: String
    /// Builder type.
    public var builderType: String
    /// Output formatting.
    public var output: ProvisionOutput
    /// The connection an `ansible` provisioner hands to ansible-playbook (nil: not offered).
    public var ansibleConnection: AnsibleConnection?

    /// Makes a run.
    public init(spec: ProvisionerSpec, buildName: String, builderType: String, output: ProvisionOutput) {
        self.spec = spec
        self.buildName = buildName
        self.builderType = builderType
        self.output = output
    }

    /// Runs the provisioner to completion; failures are ToolErrors (1 failed, 75 timeout,
    /// 255 connection), signals ExitRequest.
    public func run(on transport: ProvisionTransport?) throws {
        if spec.pauseBefore > 0 {
            output.say("Pausing \(goDuration(spec.pauseBefore)) before the next provisioner...")
            try SignalForwarding.sleep(spec.pauseBefore)
        }
        // Packer 1.6.6 ignores `timeout` when `pause_before` is set (an if/else in core.go);
        // honouring both only makes a template stricter, never breaks it.
        let deadline: Double? = spec.timeout > 0 ? monotonicSeconds() + spec.timeout : nil
        if spec.timeout > 0 { output.say("Setting a \(goDuration(spec.timeout)) timeout for the next provisioner...") }
        var triesLeft = spec.maxRetries
        while true {
            do {
                try runOnce(on: transport, deadline: deadline)
                return
            } catch let error as ToolError {
                if error.status == .tempFail, deadline != nil, monotonicSeconds() >= deadline! {
                    output.say("Cancelling provisioner after a timeout...")
                    throw error
                }
                guard triesLeft > 0 else {
                    if spec.maxRetries > 0 { output.say("retry limit reached.") }
                    throw error
                }
                output.say("Provisioner failed with \"\(error.message)\", retrying with \(triesLeft) trie(s) left")
                triesLeft -= 1
                try SignalForwarding.sleep(min(2, Double(spec.maxRetries - triesLeft)))
            }
        }
    }

    func runOnce(on transport: ProvisionTransport?, deadline: Double?) throws {
        if spec.type == "ansible" {
            guard let ansibleConnection else { throw ToolError.data("provisioner type \"ansible\" needs a connection to hand to ansible-playbook") }
            let ansible = try AnsibleProvisioner(config: spec.config, buildName: buildName, builderType: builderType)
            try ansible.run(connection: ansibleConnection, output: output, deadline: deadline)
            return
        }
        guard let transport else { throw ToolError.data("provisioner type \"\(spec.type)\" is not run by this tool") }
        switch spec.type {
        case "shell":
            let shell = try ShellProvisioner(config: spec.config, buildName: buildName, builderType: builderType)
            try shell.run(on: transport, output: output, deadline: deadline)
        case "file":
            let file = try FileProvisioner(config: spec.config)
            try file.run(on: transport, output: output)
        default:
            throw ToolError.data("provisioner type \"\(spec.type)\" is not run by this tool (shell, file and ansible are)")
        }
    }
}
