import FoundationEssentials

/// Packer's `file` provisioner: files and directories up or down, with its trailing-slash
/// rules (a destination ending in `/` gets the source's name appended; a directory source
/// ending in `/` copies its contents, without the slash the directory itself).
public struct FileProvisioner: Sendable {
    /// upload or download.
    public enum Direction: String, Sendable { case upload, download }

    /// The sources, in order (`sources`, then `source`).
    public var sources: [String]
    /// The destination.
    public var destination: String
    /// Which way.
    public var direction: Direction

    /// Reads the `config` of a plan entry (Packer's messages).
    public init(config: [String: JSONValue]) throws {
        let c = ConfigReader(config: config, owner: "file")
        var srcs = try c.strings("sources")
        // A plan's `sources` already holds `source` (tmpl-render joins them): copy it once.
        if let one = try c.string("source"), !one.isEmpty, !srcs.contains(one) { srcs.append(one) }
        guard !srcs.isEmpty else { throw ToolError.data("file: Source must be specified.") }
        guard let dst = try c.string("destination"), !dst.isEmpty else { throw ToolError.data("file: Destination must be specified.") }
        let dir = try c.string("direction") ?? "upload"
        guard let d = Direction(rawValue: dir.isEmpty ? "upload" : dir) else {
            throw ToolError.data("file: Direction must be one of: download, upload.")
        }
        sources = srcs
        destination = dst
        direction = d
    }

    /// Makes one directly (the `--upload` / `--download` options).
    public init(sources: [String], destination: String, direction: Direction) {
        self.sources = sources
        self.destination = destination
        self.direction = direction
    }

    /// The final name of the last path component (`a/b/` → `b`).
    static func baseName(_ path: String) -> String {
        var p = path
        while p.count > 1 && p.hasSuffix("/") { p.removeLast() }
        return Paths.last(p)
    }

    /// Where a single file lands: `dst/` + name, or `dst` itself.
    public static func fileTarget(source: String, destination: String) -> String {
        destination.hasSuffix("/") ? destination + baseName(source) : destination
    }

    /// Copies every source.
    public func run(on transport: ProvisionTransport, output: ProvisionOutput) throws {
        for src in sources {
            switch direction {
            case .upload:
                output.say("Uploading \(src) => \(destination)")
                guard FileManager.default.fileExists(atPath: src) else {
                    throw ToolError(.noInput, "file: Bad source '\(src)': no such file or directory")
                }
                do {
                    if Paths.isDirectory(src) {
                        try transport.upload(tree: src, contentsOnly: src.hasSuffix("/"), into: destination)
                    } else {
                        try transport.upload(file: src, to: Self.fileTarget(source: src, destination: destination))
                    }
                } catch let e as TransportError {
                    throw ToolError(.remoteRunner, "uploading \(src): \(e.message)")
                }
            case .download:
                output.say("Downloading \(src) => \(destination)")
                do {
                    if try src.hasSuffix("/") || transport.isDirectory(src) {
                        try transport.download(tree: src, contentsOnly: src.hasSuffix("/"), into: destination)
                    } else {
                        let local = Self.fileTarget(source: src, destination: destination)
                        let parent = Paths.parent(local)
                        if !parent.isEmpty {
                            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                        }
                        try transport.download(file: src, to: local)
                    }
                } catch let e as TransportError {
                    throw ToolError(.remoteRunner, "downloading \(src): \(e.message)")
                }
            }
        }
    }
}
