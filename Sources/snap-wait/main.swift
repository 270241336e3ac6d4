// snap-wait: poll an image, snapshots, an instance, a VPC, VSwitch or EIP until it reaches
// its state; the final description as JSON on stdout.
import AlicloudKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec.snapWait
let args = spec.parseOrExit()

// Ctrl-C ends the wait at once: nothing is held that needs cleaning up.
signal(SIGINT) { _ in _exit(130) }
signal(SIGTERM) { _ in _exit(143) }

runTool(spec) {
    guard args.positionals.isEmpty else { throw ToolError.usage("unexpected argument \(args.positionals[0])") }
    let status = args.value("--status")
    var targets: [WaitTarget] = []
    func needStatus(_ option: String) throws -> String {
        guard let s = status, !s.isEmpty else { throw ToolError.usage("\(option) needs --status") }
        return s
    }
    if let id = args.value("--image") { targets.append(.image(id)) }
    if let ids = args.value("--snapshot") {
        let list = ids.split(separator: ",").map(String.init).filter { !$0.isEmpty }
        guard !list.isEmpty else { throw ToolError.usage("--snapshot: no snapshot id") }
        targets.append(.snapshots(list))
    }
    if let id = args.value("--instance") { targets.append(.instance(id, status: try needStatus("--instance"))) }
    if let id = args.value("--vpc") { targets.append(.vpc(id, status: try needStatus("--vpc"))) }
    if let id = args.value("--vswitch") { targets.append(.vswitch(id, status: try needStatus("--vswitch"))) }
    if let id = args.value("--eip") { targets.append(.eip(id, status: try needStatus("--eip"))) }
    guard targets.count == 1, let target = targets.first else {
        throw ToolError.usage(targets.isEmpty ? "nothing to wait for" : "give only one target")
    }
    if status != nil, case .image = target { throw ToolError.usage("--status does not apply to --image") }
    if status != nil, case .snapshots = target { throw ToolError.usage("--status does not apply to --snapshot") }
    let timeout = try args.number("--timeout", default: 3600)!
    let delay = try args.number("--delay", default: 0)!
    let output = try QueryOutput(args)

    var clients: [String: RPCClient] = [:]
    func client(_ product: String) throws -> RPCClient {
        if let c = clients[product] { return c }
        let c = try RPCClient.fromEnvironment(product: product, profile: args.value("--profile"),
                                              region: args.value("--region"), endpoint: args.value("--endpoint"))
        clients[product] = c
        return c
    }
    let region = try client("ecs").options.region ?? ""
    guard !region.isEmpty else { throw ToolError(.config, "no region: give --region or set ALICLOUD_REGION") }
    let tty = isatty(2) == 1
    let waiter = Waiter(target: target, region: region, timeout: timeout, schedule: PollSchedule(delay: delay), describe: { product, action, params in
        do {
            return try client(product).call(action, params)
        } catch let e as APIError {
            throw e.toolError
        }
    }, progress: tty ? { line in StandardStream.err("\r\u{1B}[K\(line)") } : nil)
    let result: (value: JSONValue, polls: Int)
    do {
        result = try waiter.run()
        if tty { StandardStream.err("\r\u{1B}[K") }
    } catch {
        if tty { StandardStream.err("\n") }
        throw error
    }
    StandardStream.out(try output.render(result.value))
}
