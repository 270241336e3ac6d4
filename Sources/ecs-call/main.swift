// ecs-call: one signed Alibaba Cloud RPC API call (ECS, VPC, RAM, STS ...), JSON on stdout.
import AlicloudKit
import FoundationEssentials

let spec = CommandSpec.ecsCall

// Arguments must be valid UTF-8: Swift would silently repair them otherwise.
for i in 1..<Int(CommandLine.argc) {
    if let raw = CommandLine.unsafeArgv[i], String(validatingCString: raw) == nil {
        spec.usageExit("argument \(i) is not valid UTF-8")
    }
}
let args = spec.parseOrExit()

runTool(spec) {
    let output = try QueryOutput(args)
    if let saved = args.value("--from-response") {
        guard args.positionals.isEmpty else { throw ToolError.usage("--from-response makes no call: no Action") }
        let bytes: [UInt8]
        if saved == "-" {
            bytes = try readAll(fd: 0)
        } else {
            guard let data = FileManager.default.contents(atPath: saved) else {
                throw ToolError(.noInput, "\(saved): cannot read the response")
            }
            bytes = [UInt8](data)
        }
        let value: JSONValue
        do { value = try JSONParser.parse(bytes) } catch { throw ToolError.data("\(saved): not JSON: \(error)") }
        StandardStream.out(try output.render(value))
        return
    }
    guard let action = args.positionals.first, !action.isEmpty else {
        throw ToolError.usage("an Action is needed (e.g. DescribeRegions)")
    }
    try RPCClient.validate(action: action)
    var params: [String: String] = [:]
    for p in args.positionals.dropFirst() {
        guard let eq = p.firstIndex(of: "="), eq != p.startIndex else {
            throw ToolError.usage("parameter \(p): expected Name=Value")
        }
        params[String(p[..<eq])] = String(p[p.index(after: eq)...])
    }
    /// The bytes of FILE, or of stdin for "-".
    func contents(_ option: String, _ file: String) throws -> [UInt8] {
        if file == "-" { return try readAll(fd: 0) }
        guard let data = FileManager.default.contents(atPath: file) else { throw ToolError(.noInput, "\(option) \(file): cannot read the file") }
        return [UInt8](data)
    }
    for file in args.all("--params-from") {
        params.merge(try RPCParameters.nulRecords(try contents("--params-from", file), source: file)) { $1 }
    }
    for file in args.all("--tags-from") {
        try RPCParameters.addTags(json: try contents("--tags-from", file), source: file, to: &params)
    }
    for spec in args.all("--param-env") {
        guard let eq = spec.firstIndex(of: "="), eq != spec.startIndex, spec.index(after: eq) != spec.endIndex else {
            throw ToolError.usage("--param-env \(spec): expected Name=VARIABLE")
        }
        let variable = String(spec[spec.index(after: eq)...])
        guard let value = ProcessEnvironment.value(variable) else {
            throw ToolError(.config, "--param-env \(spec): \(variable) is not set")
        }
        Secrets.register(value)
        Secrets.register(RPCSignature.percentEncode(value))
        params[String(spec[..<eq])] = value
    }
    let accepted = CodePatterns(args.all("--accept"))
    let signature: SignatureVersion
    switch args.value("--signature") ?? "v1" {
    case "v1", "1", "1.0": signature = .v1
    case "v3", "3", "ACS3-HMAC-SHA256": signature = .v3
    case let other: throw ToolError.usage("--signature \(other): expected v1 or v3")
    }
    let retries = try args.integer("--retries", default: 3)!
    let timeout = try args.number("--timeout", default: 60)!
    guard timeout > 0 else { throw ToolError.usage("--timeout must be more than 0") }
    let env = ProcessEnvironment.current
    let endpointText = args.value("--endpoint") ?? env["ALICLOUD_ENDPOINT"].flatMap { $0.isEmpty ? nil : $0 }
    let endpoint = try endpointText.map { try EndpointURL($0) }
    let product = try CloudProduct.named(args.value("--product") ?? "ecs", version: args.value("--api-version"))

    let settings = try CloudSettings.resolve(profile: args.value("--profile"), region: args.value("--region"), environment: env)
    var options = RPCOptions(product: product)
    options.endpoint = endpoint
    options.region = settings.region
    options.signature = signature
    options.retries = retries
    options.timeout = timeout
    options.connectTimeout = min(5, timeout)
    options.environment = env
    options.extraBusyCodes = Set(args.all("--retry-codes").flatMap { $0.split(separator: ",").map(String.init) })
    if args.has("--debug") {
        options.trace = { line in StandardStream.err("ecs-call: debug: \(line)\n") }
    }
    let client = RPCClient(credentials: settings.credentials, options: options)

    if args.has("--dry-run") {
        let prepared = try client.prepare(action, params)
        var headers: [String: JSONValue] = [:]
        for (k, v) in prepared.http.headers { headers[k] = .string(k.lowercased() == "x-acs-security-token" ? "<redacted>" : v) }
        let shown: JSONValue = [
            "method": .string(prepared.http.method),
            "url": .string(HTTPClient.redactedURL(prepared.http.url)),
            "headers": .object(headers),
            "parameters": .object(prepared.displayParameters.mapValues { .string($0) }),
            "stringToSign": .string(prepared.stringToSignForDisplay),
        ]
        StandardStream.out(Secrets.redact(shown.document))
        return
    }

    let response: JSONValue
    do {
        response = args.has("--all-pages") ? try client.callAllPages(action, params) : try client.call(action, params)
    } catch let e as APIError {
        guard accepted.matches(e.code) else { throw e.toolError }
        // An accepted error (e.g. "already gone" on a delete) is this call's answer.
        var answer: [String: JSONValue] = ["Code": .string(e.code), "Message": .string(e.message)]
        if let id = e.requestId { answer["RequestId"] = .string(id) }
        response = .object(answer)
    }
    StandardStream.out(try output.render(response))
}
