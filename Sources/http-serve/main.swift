// http-serve: serve a directory over HTTP on a free loopback port, for an installer in a
// virtual machine (Packer's http_directory).
import AlicloudKit
import EcsSimKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec.httpServe
let args = spec.parseOrExit()

runTool(spec) {
    guard args.positionals.count == 1 else { throw ToolError.usage(args.positionals.isEmpty ? "no directory given" : "one directory only") }
    let root = URL(fileURLWithPath: args.positionals[0]).standardizedFileURL.path
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw ToolError(.noInput, "\(root): no such directory")
    }
    func port(_ option: String, _ fallback: Int) throws -> Int {
        guard let text = args.value(option) else { return fallback }
        guard let n = Int(text), (1...65535).contains(n) else { throw ToolError.usage("\(option) \(text): expected a port number") }
        return n
    }
    let low = try port("--port-min", 8000), high = try port("--port-max", 9000)
    guard low <= high else { throw ToolError.usage("--port-min \(low) is above --port-max \(high)") }
    let server = HTTPServer { request in StaticFiles.answer(request, root: root) }
    let ports = Array(low...high)
    let start = Int.random(in: 0..<ports.count)
    var bound = false
    for k in 0..<ports.count {
        do {
            try server.start(address: args.value("--listen") ?? "127.0.0.1", port: UInt16(ports[(start + k) % ports.count]))
            bound = true
            break
        } catch let e as ToolError where e.status == .unavailable { continue }
    }
    guard bound else { throw ToolError(.unavailable, "no free port in \(low)-\(high)") }
    StandardStream.out("\(server.port)\n")
    // The port is the caller's only way to the server: unprinted, serving is useless (74).
    try StandardStream.checkOutput()
    signal(SIGINT) { _ in _exit(130) }
    signal(SIGTERM) { _ in _exit(143) }
    while true { pause() }
}
