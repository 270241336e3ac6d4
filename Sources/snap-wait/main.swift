// snap-wait: poll an image, snapshots, an instance, a VPC, VSwitch or EIP until it reaches
// its state; the final description as JSON on stdout.
import AlicloudKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec(
    tool: "snap-wait",
    usage: "snap-wait [--region R] [--timeout S] (--image m-... | --snapshot s-...[,s-...] | --instance i-... --status S | --vpc|--vswitch|--eip ID --status S)",
    help: """
        usage: snap-wait [options] TARGET

        Polls until the target reaches its state, then prints its description (JSON, sorted
        keys) on stdout. Polling is adaptive: every 0.5 s at first, then half the time waited
        so far, at most every 10 s, so a short wait ends within a second of readiness and a
        long one costs few calls; where the API estimates the time left (RemainTime of
        snapshots) the next poll is made then (at most 60 s later). Throttling slows polling
        down; it does not end the wait.

        targets:
          --image m-...            until Available at 100% (fails on CreateFailed, UnAvailable)
          --snapshot s-...[,s-...] until every snapshot is accomplished at 100% (fails on failed)
          --instance i-...         until --status (Running, Stopped, ... or Deleted: gone)
          --vpc ID, --vswitch ID   until --status (Available)
          --eip ALLOCATION-ID      until --status (Available, InUse)

        options:
          --status S           the state to wait for (instance, vpc, vswitch, eip)
          --region R           region (env ALICLOUD_REGION)
          --timeout S          give up after S seconds, exit 75 (default 3600)
          --delay S            first poll after S seconds, not at once (default 0): for a
                               resource just asked to change, which cannot be ready yet
          --endpoint URL       API endpoint (env ALICLOUD_ENDPOINT)
          --profile NAME       profile in ~/.aliyun/config.json
          --query PATH         print only these values of the result
          --format F           raw, json, sh, count, pairs or params (with --query)
          -h, --help           show this help

        A progress line (state, percent, elapsed) is shown when stderr is a terminal.
        exit status: 0 reached, 1 failed state or not found, 64 usage, 69 unreachable,
        75 timed out, 77 credentials rejected, 78 no credentials, 130 interrupted.
        """,
    options: [
        .value("--image"), .value("--snapshot"), .value("--instance"), .value("--vpc"), .value("--vswitch"),
        .value("--eip"), .value("--status"), .value("--region"), .value("--timeout"), .value("--delay"), .value("--endpoint"),
        .value("--profile"),
    ] + QueryOutput.options
)
let args = spec.parseOrExit()

// Ctrl-C ends the wait at once: nothing is held that needs cleaning up.
signal(SIGINT) { _ in _exit(130) }
signal(SIGTERM) { _ in _exit(143) }

runTool("snap-wait") {
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
