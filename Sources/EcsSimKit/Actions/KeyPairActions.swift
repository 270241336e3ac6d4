import FoundationEssentials
import AlicloudKit

extension Engine {
    /// Runs ssh-keygen with `args`; returns its stdout.
    static func sshKeygen(_ args: [String]) throws -> String {
        let result: HostProcessResult
        do { result = try HostProcess.run(["/usr/bin/ssh-keygen"] + args) } catch {
            throw CloudError("InternalError", "ssh-keygen could not run: \(error)", status: 500)
        }
        guard result.status == 0 else { throw CloudError("InternalError", "ssh-keygen failed.", status: 500) }
        return String(decoding: result.stdout, as: UTF8.self)
    }

    /// A fresh directory for key material, removed by the caller.
    static func scratchDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ecs-sim-key-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return dir
    }

    /// The MD5 fingerprint of an OpenSSH public key line (colon-separated hex), or nil when invalid.
    static func fingerprint(publicKey: String) -> String? {
        guard let dir = try? scratchDirectory() else { return nil }
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("k.pub")
        guard (try? writeFile(file.path, Array(publicKey.utf8), mode: 0o600)) != nil,
              let out = try? sshKeygen(["-l", "-E", "md5", "-f", file.path]) else { return nil }
        let fields = out.split(separator: " ")
        guard fields.count >= 2, fields[1].hasPrefix("MD5:") else { return nil }
        return String(fields[1].dropFirst(4))
    }

    func keyPairKey(_ region: String, _ name: String) -> String { region + "/" + name }

    /// A key pair's public key as the platform writes it into a Linux guest's authorized_keys:
    /// key type and key, then the key pair's name as the comment (the line Packer's
    /// ssh_clear_authorized_keys removes), whatever comment an imported key had.
    static func authorizedKeyLine(_ publicKey: String, keyPairName: String?) -> String {
        let fields = publicKey.split(separator: " ")
        guard let name = keyPairName, fields.count >= 2,
              fields[0].hasPrefix("ssh-") || fields[0].hasPrefix("ecdsa-") || fields[0].hasPrefix("sk-") else { return publicKey }
        return "\(fields[0]) \(fields[1]) \(name)"
    }

    static func validKeyPairName(_ name: String) -> Bool {
        guard (2...128).contains(name.count), let first = name.first, first.isLetter, !name.hasPrefix("http://"), !name.hasPrefix("https://") else { return false }
        return name.allSatisfy { $0.isLetter || $0.isNumber || "._:-".contains($0) }
    }

    func createKeyPair(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let name = try c.params.required("KeyPairName")
        guard Engine.validKeyPairName(name) else { throw CloudError.invalid("KeyPairName", code: "InvalidKeyPairName.Malformed") }
        guard state.keyPairs[keyPairKey(r, name)] == nil else {
            throw CloudError("KeyPair.AlreadyExist", "The key pair already exists.", status: 400)
        }
        let tags = try c.params.tags()
        let dir = try Engine.scratchDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("k")
        // Packer reads PrivateKeyBody as a PEM RSA key, as the real API returns it.
        _ = try Engine.sshKeygen(["-q", "-t", "rsa", "-b", "2048", "-m", "PEM", "-N", "", "-C", name, "-f", file.path])
        let privateKey = try String(contentsOf: file, encoding: .utf8)
        let publicKey = try String(contentsOf: dir.appendingPathComponent("k.pub"), encoding: .utf8).trimmingSpace()
        let fp = Engine.fingerprint(publicKey: publicKey) ?? ""
        let kp = KeyPair(name: name, id: newId("kp", region: r), region: r, fingerprint: fp, publicKey: publicKey, created: now, tags: tags,
                         resourceGroupId: c.params["ResourceGroupId"] ?? "")
        state.keyPairs[keyPairKey(r, name)] = kp
        return ["KeyPairId": js(kp.id), "KeyPairName": js(name), "KeyPairFingerPrint": js(fp), "PrivateKeyBody": js(privateKey)]
    }

    func importKeyPair(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        let name = try c.params.required("KeyPairName")
        let body = try c.params.required("PublicKeyBody").trimmingSpace()
        guard Engine.validKeyPairName(name) else { throw CloudError.invalid("KeyPairName", code: "InvalidKeyPairName.Malformed") }
        guard state.keyPairs[keyPairKey(r, name)] == nil else {
            throw CloudError("KeyPair.AlreadyExist", "The key pair already exists.", status: 400)
        }
        guard !body.contains("\n"), let fp = Engine.fingerprint(publicKey: body) else {
            throw CloudError("InvalidKeyPair.FormatError", "The specified public key is not valid.", status: 400)
        }
        let kp = KeyPair(name: name, id: newId("kp", region: r), region: r, fingerprint: fp, publicKey: body, created: now, tags: try c.params.tags(),
                         resourceGroupId: c.params["ResourceGroupId"] ?? "")
        state.keyPairs[keyPairKey(r, name)] = kp
        return ["KeyPairId": js(kp.id), "KeyPairName": js(name), "KeyPairFingerPrint": js(fp)]
    }

    func attachKeyPair(_ c: ActionContext, attach: Bool) throws -> JSONValue {
        let r = try region(c)
        let name = try c.params.required("KeyPairName")
        guard let ids = try c.params.jsonArray("InstanceIds"), !ids.isEmpty else { throw CloudError.missing("InstanceIds") }
        guard ids.count <= 50 else { throw CloudError.invalid("InstanceIds", "At most 50 instances.") }
        guard let kp = state.keyPairs[keyPairKey(r, name)] else {
            throw CloudError("InvalidKeyPairName.NotFound", "The specified KeyPairName does not exist in our records.", status: 404)
        }
        // The whole call is refused when it names a Windows instance (Packer checks this code).
        if ids.contains(where: { state.instances[$0].map { $0.region == r && $0.osType == "windows" } ?? false }) {
            throw CloudError("DependencyViolation.WindowsInstance", "The instance creating by window system image can not attach key pair.", status: 403)
        }
        var results: [JSONValue] = []
        var failed = 0
        for id in ids {
            var code = "200", message = "successful", ok = true
            if var inst = state.instances[id], inst.region == r {
                if attach {
                    inst.keyPairName = kp.name
                    inst.authorizedKey = kp.publicKey
                    state.instances[id] = inst
                    if inst.status == "Running" { startHostSSH(id) }
                } else if inst.keyPairName == kp.name {
                    inst.keyPairName = nil
                    inst.authorizedKey = nil
                    state.instances[id] = inst
                    if inst.status == "Running" { startHostSSH(id) }
                }
            } else {
                code = "InvalidInstanceId.NotFound"; message = "The specified InstanceId does not exist."; ok = false
            }
            if !ok { failed += 1 }
            results.append(["InstanceId": js(id), "Success": js(ok ? "true" : "false"), "Code": js(code), "Message": js(message)])
        }
        return ["TotalCount": js(String(ids.count)), "FailCount": js(String(failed)), "KeyPairName": js(name), "Results": wrap("Result", results)]
    }

    func deleteKeyPairs(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        guard let names = try c.params.jsonArray("KeyPairNames"), !names.isEmpty else { throw CloudError.missing("KeyPairNames") }
        guard names.count <= 100 else { throw CloudError.invalid("KeyPairNames", "At most 100 key pairs.") }
        for name in names where !name.isEmpty {
            // Deleting a key pair leaves the instances' authorized key in place, as on the real cloud.
            state.keyPairs[keyPairKey(r, name)] = nil
        }
        return [:]
    }

    func describeKeyPairs(_ c: ActionContext) throws -> JSONValue {
        let r = try region(c)
        var items = state.keyPairs.values.filter { $0.region == r }.sorted { ($0.created, $0.name) < ($1.created, $1.name) }
        if let name = c.params["KeyPairName"] {
            // The real filter is a fuzzy match with `*`.
            if name.contains("*") {
                let parts = name.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
                items = items.filter { kp in Engine.wildcard(kp.name, parts) }
            } else {
                items = items.filter { $0.name == name }
            }
        }
        if let fp = c.params["KeyPairFingerPrint"] { items = items.filter { $0.fingerprint == fp } }
        let filterTags = try c.params.tags()
        if !filterTags.isEmpty { items = items.filter { $0.tags.matches(filterTags) } }
        let (slice, meta) = try page(items, c, maxSize: 50)
        var out = meta
        out["KeyPairs"] = wrap("KeyPair", slice.map {
            ["KeyPairName": js($0.name), "KeyPairFingerPrint": js($0.fingerprint), "CreationTime": js(SimTime.iso($0.created)),
             "ResourceGroupId": js($0.resourceGroupId), "Tags": tagsJSON($0.tags, c)]
        })
        return .object(out)
    }

    static func wildcard(_ s: String, _ parts: [String]) -> Bool {
        var rest = Substring(s)
        for (i, part) in parts.enumerated() {
            if part.isEmpty { continue }
            if i == 0 {
                guard rest.hasPrefix(part) else { return false }
                rest = rest.dropFirst(part.count)
            } else if let r = rest.rangeOfText(part) {
                rest = rest[r.upperBound...]
            } else {
                return false
            }
        }
        return parts.last?.isEmpty ?? true || s.hasSuffix(parts.last!)
    }
}
