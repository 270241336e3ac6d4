import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A build's input digest (`input_digest` in the plan, tmpl-render(1) INPUT DIGEST):
/// SHA-256 over a canonical form of everything in the plan's build entry that decides its
/// image, with the bytes of every local file the build reads in place of the file's path.
/// It is computed from the build entry alone (plus the values the render's clock handed
/// out and the sensitive values), so every template front end gets the same digest for the
/// same build.
public enum InputDigest {
    /// Names the canonical form; a change to the rules below changes it (and every digest).
    public static let format = "alicloud-image-tools/input-digest/1"
    /// What replaces a clock-made value (`timestamp`, `isotime`, `strftime`, `uuid`, random
    /// remote file names) in a name or description.
    public static let placeholder = "{{volatile}}"

    /// Builder keys left out: how the toolkit signs in and connects to the instance, not
    /// what the image is (rotating a key must not rebuild every image).
    public static let credentialKeys: Set<String> = [
        "access_key", "secret_key", "security_token", "profile", "shared_credentials_file",
        "ram_role_arn", "ram_session_name", "ssh_private_key_file", "ssh_certificate_file",
        "ssh_bastion_private_key_file", "ssh_bastion_certificate_file",
    ]
    /// Builder keys that name or describe: clock-made values in them are masked.
    public static let builderLabelKeys: Set<String> = [
        "image_name", "image_description", "image_version", "image_copy_names", "instance_name", "vpc_name",
        "vswitch_name", "security_group_name", "temporary_key_pair_name", "tags", "tag", "run_tags",
    ]
    /// Keys of a disk mapping (`system_disk_mapping`, `image_disk_mappings[*]`) that name or describe.
    public static let diskLabelKeys: Set<String> = ["disk_name", "disk_description"]
    /// Provisioner keys that name remote files after the clock or a random number.
    public static let provisionerLabelKeys: Set<String> = ["remote_file", "remote_path", "remote_env_var_path"]

    /// The build entry with `input_digest` added (`entry` is a plan's `builds[N]`).
    public static func adding(to entry: JSONValue, planVersion: Int, volatile: VolatileValues, sensitive: [String]) -> JSONValue {
        guard case .object(var members) = entry else { return entry }
        members["input_digest"] = .string(digest(of: entry, planVersion: planVersion, volatile: volatile, sensitive: sensitive))
        return .object(members)
    }

    /// The digest: lowercase hex SHA-256 of the canonical form's compact, key-sorted JSON.
    public static func digest(of entry: JSONValue, planVersion: Int, volatile: VolatileValues, sensitive: [String]) -> String {
        SHA256.hash(canonicalForm(of: entry, planVersion: planVersion, volatile: volatile, sensitive: sensitive).serialized(pretty: false)).hexString
    }

    /// What the digest is taken over: the build's name, type, settings and provisioners
    /// (post-processors and the error-cleanup provisioner never change the image), with
    /// credentials left out, clock-made values masked in names and descriptions, local
    /// files as their content digests, and every string that holds a sensitive value as
    /// its SHA-256 only.
    public static func canonicalForm(of entry: JSONValue, planVersion: Int, volatile masks: VolatileValues, sensitive: [String]) -> JSONValue {
        var config: [String: JSONValue] = [:]
        let builder = AlicloudSchema.builder
        for (key, value) in entry["config"]?.objectValue ?? [:] where !credentialKeys.contains(key) {
            var v = value
            if builderLabelKeys.contains(key) { v = mask(v, masks) }
            if key == "system_disk_mapping" || key == "image_disk_mappings" { v = maskDisks(v, masks) }
            switch builder.fields[key]?.kind {
            case .localPath?, .localPathList?: v = content(v)
            default: break
            }
            config[key] = v
        }
        let provisioners = (entry["provisioners"]?.arrayValue ?? []).map { provisionerForm($0, masks) }
        let form: JSONValue = .object([
            "format": .string(format),
            "plan_version": .int(planVersion),
            "name": entry["name"] ?? .null,
            "type": entry["type"] ?? .null,
            "config": .object(config),
            "provisioners": .array(provisioners),
        ])
        // The credentials left out above must not decide what else is hidden either.
        let credentials = Set(credentialKeys.compactMap { entry["config"]?[$0]?.stringValue })
        return hidingSecrets(form, sensitive.filter { !$0.isEmpty && !credentials.contains($0) })
    }

    static func provisionerForm(_ step: JSONValue, _ masks: VolatileValues) -> JSONValue {
        guard case .object(var members) = step, let type = step["type"]?.stringValue,
              case .object(var config)? = step["config"] else { return step }
        let schema = ProvisionerSchema.provisioners[type]?.schema
        for (key, value) in config {
            if provisionerLabelKeys.contains(key) { config[key] = mask(value, masks) }
            switch schema?.fields[key]?.kind {
            case .localPath?, .localPathList?: config[key] = content(value)
            default: break
            }
        }
        if type == "ansible", let playbook = step["config"]?["playbook_file"]?.stringValue, !playbook.isEmpty {
            // Roles, group_vars and included files live beside the playbook: its directory's
            // whole tree is an input too.
            config["playbook_dir"] = content(.string(Paths.parent(playbook) + "/"))
        }
        if type == "file" {
            if config["direction"]?.stringValue == "download" {
                // A local destination: where the file lands here, not what the image is.
                if let d = config["destination"]?.stringValue { config["destination"] = .string(displayName(d)) }
            } else {
                for key in ["source", "sources"] where config[key] != nil { config[key] = content(config[key]!) }
            }
        }
        members["config"] = .object(config)
        return .object(members)
    }

    /// Replaces every clock-made value in the strings of `value` by the placeholder.
    static func mask(_ value: JSONValue, _ masks: VolatileValues) -> JSONValue {
        switch value {
        case .string(let s): return .string(masks.masked(s))
        case .array(let items): return .array(items.map { mask($0, masks) })
        case .object(let members): return .object(members.mapValues { mask($0, masks) })
        default: return value
        }
    }

    static func maskDisks(_ value: JSONValue, _ masks: VolatileValues) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map { maskDisks($0, masks) })
        case .object(var members):
            for key in diskLabelKeys where members[key] != nil { members[key] = mask(members[key]!, masks) }
            return .object(members)
        default: return value
        }
    }

    /// A local path (or list of them) as what it holds: the name it is known by and the
    /// SHA-256 of its bytes, or of a directory's whole tree. Absolute paths differ between
    /// machines and checkouts; the content does not.
    static func content(_ value: JSONValue) -> JSONValue {
        switch value {
        case .string(let path) where !path.isEmpty: return fileForm(path)
        case .array(let items): return .array(items.map(content))
        default: return value
        }
    }

    static func displayName(_ path: String) -> String {
        let name = Paths.last(path)
        return path.hasSuffix("/") && name != "/" ? name + "/" : name
    }

    static func fileForm(_ path: String) -> JSONValue {
        var form: [String: JSONValue] = ["name": .string(displayName(path))]
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        switch entryKind(trimmed) {
        case .file: form["sha256"] = .string((try? SHA256.hash(contentsOf: trimmed).hexString) ?? "unreadable")
        case .directory: form["tree"] = .array(tree(trimmed))
        case .link(let target): form["symlink"] = .string(target)
        case .missing: form["missing"] = .bool(true)
        }
        return .object(form)
    }

    enum EntryKind { case file, directory, link(String), missing }

    /// What a path is, following a symbolic link given as the path itself (Packer reads
    /// through it), but not the links inside a directory tree.
    static func entryKind(_ path: String, follow: Bool = true) -> EntryKind {
        var st = stat()
        let rc = follow ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else { return .missing }
        switch st.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFLNK: return .link((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "")
        default: return .file
        }
    }

    /// A directory's entries, depth first in byte order of their relative paths: each with
    /// its path and its content digest (files), "dir" or its link target.
    static func tree(_ root: String) -> [JSONValue] {
        var out: [JSONValue] = []
        func walk(_ dir: String, _ prefix: String) {
            let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
                .sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            for name in names {
                let full = dir + "/" + name
                let rel = prefix + name
                switch entryKind(full, follow: false) {
                case .file:
                    out.append(["path": .string(rel), "sha256": .string((try? SHA256.hash(contentsOf: full).hexString) ?? "unreadable")])
                case .directory:
                    out.append(["path": .string(rel + "/")])
                    walk(full, rel + "/")
                case .link(let target): out.append(["path": .string(rel), "symlink": .string(target)])
                case .missing: break
                }
            }
        }
        walk(root, "")
        return out
    }

    /// Every string holding a sensitive value becomes `{"sensitive_sha256": ...}`.
    static func hidingSecrets(_ value: JSONValue, _ secrets: [String]) -> JSONValue {
        guard !secrets.isEmpty else { return value }
        switch value {
        case .string(let s) where secrets.contains(where: { s.contains($0) }):
            return .object(["sensitive_sha256": .string(SHA256.hash(s).hexString)])
        case .array(let items): return .array(items.map { hidingSecrets($0, secrets) })
        case .object(let members): return .object(members.mapValues { hidingSecrets($0, secrets) })
        default: return value
        }
    }
}

/// The values the render's clock made (`RenderClock.issued`), ready to be masked in any
/// number of strings: one pass over a string per distinct value length, longest first,
/// instead of a search per value (a template of 1,000 builds issues 1,000 of them).
public struct VolatileValues: Sendable {
    let byLength: [(length: Int, values: Set<[UInt8]>)]

    /// The non-empty `values`.
    public init(_ values: [String]) {
        var groups: [Int: Set<[UInt8]>] = [:]
        for v in values where !v.isEmpty { groups[v.utf8.count, default: []].insert(Array(v.utf8)) }
        byLength = groups.keys.sorted(by: >).map { ($0, groups[$0]!) }
    }

    /// `s` with every occurrence of a value replaced by `InputDigest.placeholder`, scanning
    /// left to right and trying the longest values first at each place. UTF-8 is
    /// self-synchronising, so a byte match always starts and ends on characters.
    public func masked(_ s: String) -> String {
        guard let shortest = byLength.last?.length else { return s }
        let bytes = Array(s.utf8)
        guard bytes.count >= shortest else { return s }
        var out: [UInt8] = []
        var i = 0
        var changed = false
        scan: while i < bytes.count {
            for (length, values) in byLength where i + length <= bytes.count && values.contains(Array(bytes[i..<(i + length)])) {
                out.append(contentsOf: InputDigest.placeholder.utf8)
                i += length
                changed = true
                continue scan
            }
            out.append(bytes[i])
            i += 1
        }
        return changed ? String(decoding: out, as: UTF8.self) : s
    }
}
