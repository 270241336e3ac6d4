#if canImport(Glibc)
import Glibc
#endif
import AlicloudKit
import Dispatch
import EcsSimKit
import FoundationEssentials

let spec = CommandSpec.ecsSim

let args = spec.parseOrExit()

runTool(spec) {
    guard args.positionals.isEmpty else { throw ToolError.usage("unexpected argument \(args.positionals[0])") }
    var config = EngineConfig()
    if let name = args.value("--profile") {
        guard let p = LatencyProfile.named(name) else { throw ToolError.usage("--profile: unknown profile \(name) (fast, realistic)") }
        config.profile = p
    }
    if let f = args.value("--faults") {
        do { config.faults = try FaultPlan(spec: f) } catch let e as FaultSpecError { throw ToolError.usage(e.message) }
    }
    if let s = args.value("--seed") {
        guard let n = UInt64(s) else { throw ToolError.usage("--seed: not a non-negative integer: \(s)") }
        config.seed = n
    }
    if let s = args.value("--id-seed") {
        guard let n = UInt64(s) else { throw ToolError.usage("--id-seed: not a non-negative integer: \(s)") }
        config.idSeed = n
    }
    switch args.value("--catalog") ?? "default" {
    case "default": config.strictCatalog = false
    case "strict": config.strictCatalog = true
    case let other: throw ToolError.usage("--catalog: unknown catalog \(other) (default, strict)")
    }
    config.sshPort = try args.integer("--ssh-port", default: 22)!
    guard (1...65535).contains(config.sshPort) else { throw ToolError.usage("--ssh-port: out of range: \(config.sshPort)") }

    if args.has("--dump") {
        guard let dir = args.value("--state") else { throw ToolError.usage("--dump needs --state DIR") }
        let url = URL(fileURLWithPath: dir)
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("state.json").path) else {
            throw ToolError(.noInput, "\(dir): no state.json")
        }
        config.stateDirectory = url
        let engine = try Engine(config: config, host: NullHost(),
                                objectStore: try? OSSService(root: url.appendingPathComponent("oss"), credentials: [:]))
        let counts = RequestLog.counts(path: url.appendingPathComponent("requests.jsonl").path)
        StandardStream.out(engine.dump(requestCounts: counts).document)
        return
    }

    let portTaken = Engine.portTakenOnEveryAddress(config.sshPort)
    if args.has("--check-ssh-port") && !portTaken { return }
    if portTaken {
        throw ToolError(.unavailable, "--ssh-port \(config.sshPort): another process listens on port \(config.sshPort) of every address "
            + "(the machine's own sshd?), so no instance could have its sshd there: give --ssh-port N (and ssh_port N in the template), "
            + "or make that process listen on 127.0.0.1 alone (sshd: ListenAddress 127.0.0.1)")
    }

    let listen = args.value("--listen") ?? "127.0.0.1:0"
    guard let colon = listen.lastIndex(of: ":"), let port = UInt16(listen[listen.index(after: colon)...]) else {
        throw ToolError.usage("--listen: expected ADDR:PORT, got \(listen)")
    }
    let address = String(listen[..<colon])

    let temporaryState: URL?
    let stateDir: URL
    if let dir = args.value("--state") {
        stateDir = URL(fileURLWithPath: dir)
        temporaryState = nil
    } else {
        stateDir = FileManager.default.temporaryDirectory.appendingPathComponent("ecs-sim-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        temporaryState = stateDir
    }
    do {
        try FileManager.default.createDirectory(at: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
        throw ToolError(.cantCreate, "\(stateDir.path): \(errorText(error))")
    }
    config.stateDirectory = stateDir
    let host = try makeHost(stateDir: stateDir)
    let credentials = AccessKeys.fromEnvironment()
    // OSS shares the port: requests for an OSS host name or signed with OSS's schemes go to
    // the object store, whose buckets ImportImage reads.
    let objectStore = try OSSService(root: stateDir.appendingPathComponent("oss"), credentials: credentials.keys)
    let engine = try Engine(config: config, host: host, objectStore: objectStore)
    for secret in credentials.keys.values where secret != AccessKeys.defaultSecret { Secrets.register(secret) }
    let log = try RequestLog(path: stateDir.appendingPathComponent("requests.jsonl").path)
    let gateway = Gateway(engine: engine, credentials: credentials, log: log)
    let server = HTTPServer(objectStore: objectStore) { gateway.handle($0) }
    try server.start(address: address, port: port)
    engine.resumeHosts()

    let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ecs-sim.clock"))
    timer.schedule(deadline: .now() + 0.05, repeating: config.profile.name == "realistic" ? 0.5 : 0.05)
    // Sendable, so not the main actor's: the clock's queue is not the main queue.
    timer.setEventHandler { @Sendable in engine.tick() }
    timer.resume()

    let stop: @Sendable (Int32) -> Void = { sig in
        server.stop()
        engine.shutdown()
        if let t = temporaryState { try? FileManager.default.removeItem(at: t) }
        exit(0)
    }
    var sources: [DispatchSourceSignal] = []
    // A hangup when started with SIGHUP ignored (`nohup make demo`) leaves it serving.
    for sig in SignalForwarding.forwarded {
        signal(sig, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .main)
        s.setEventHandler { stop(sig) }
        s.resume()
        sources.append(s)
    }

    for (id, secret) in credentials.keys {
        let shown = secret == AccessKeys.defaultSecret ? secret : "(from ECS_SIM_SECRET_KEY)"
        StandardStream.out("ecs-sim: access key id \(id) secret \(shown)\n")
    }
    StandardStream.out("ecs-sim: state \(stateDir.path) profile \(config.profile.name)\n")
    StandardStream.out("ecs-sim: id seed \(engine.idSeed) (--id-seed replays the IDs)\n")
    StandardStream.out("ecs-sim: oss endpoint http://\(server.address):\(server.port) (ALICLOUD_OSS_ENDPOINT)\n")
    StandardStream.out("ecs-sim: listening on http://\(server.address):\(server.port)\n")
    if StandardStream.outputError != nil {
        // No one can learn the address: stop at once (exit 74) rather than serve unseen.
        server.stop()
        engine.shutdown()
        if let t = temporaryState { try? FileManager.default.removeItem(at: t) }
        try StandardStream.checkOutput()
    }
    withExtendedLifetime(sources) { dispatchMain() }
}

/// The instance host: real disk trees and sshds when the host layer is built in.
func makeHost(stateDir: URL) throws -> InstanceHosting {
    if !LocalHost.canRunSSH {
        StandardStream.err("ecs-sim: not running as root: instances get disks but no sshd\n")
    }
    return try LocalHost(root: stateDir.appendingPathComponent("host"))
}
