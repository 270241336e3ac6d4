// http-serve: the qemu builder's two HTTP ends. Serve a directory on a free loopback port,
// for an installer in a virtual machine (Packer's http_directory); or, with --fetch,
// retrieve the ISO (iso_urls) into Packer's cache, checked against its checksum.
import AlicloudKit
import EcsSimKit
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec.httpServe
let args = spec.parseOrExit()

/// --fetch: the ISO's path on stdout.
func fetch() throws {
    guard !args.positionals.isEmpty else { throw ToolError.usage("--fetch: no URL given") }
    // Secrets never reach stderr: the template's sensitive values, and a password in a URL.
    if let name = args.value("--sensitive-env"), let values = ProcessEnvironment.value(name) {
        for value in values.split(separator: "\n") { Secrets.register(String(value)) }
    }
    for url in args.positionals { Secrets.register(URLComponents(string: url)?.password) }
    var iso = ISOFetch(urls: args.positionals, checksum: args.value("--checksum") ?? "none")
    iso.targetPath = args.value("--target").map { ISOFetch.absolute($0) }
    iso.fileExtension = (args.value("--extension") ?? "iso").lowercased()
    iso.http.timeout = nil
    iso.http.connectTimeout = 30
    iso.http.stallTimeout = 120
    iso.http.followRedirects = true
    let prefix = args.value("--log-prefix") ?? ""
    // A progress line is rewritten in place; the next log line starts below it.
    final class Terminal { var progressShown = false }
    let terminal = Terminal()
    iso.say = { line in
        if terminal.progressShown { StandardStream.err("\n"); terminal.progressShown = false }
        StandardStream.err(prefix + line + "\n")
    }
    if args.has("--check") {
        switch try iso.check() {
        case .local(let path): StandardStream.out(path + "\n")
        case .remote(let url, let target): StandardStream.out(url + "\n" + (target ?? "") + "\n")
        }
        return
    }
    if args.has("--progress") || isatty(2) != 0 {
        let started = Date()
        var last = Date.distantPast
        iso.progress = { received, total in
            let now = Date()
            guard now.timeIntervalSince(last) >= 0.5 || received == total else { return }
            last = now
            terminal.progressShown = true
            let line = DownloadProgress.line(received: received, total: total, elapsed: now.timeIntervalSince(started))
            StandardStream.err("\r\(prefix)\(line)\u{1b}[K")
        }
    }
    defer { if terminal.progressShown { StandardStream.err("\n") } }
    StandardStream.out(try iso.run() + "\n")
}

/// The directory server: the port on stdout, then serves until a signal.
func serve() throws {
    guard args.positionals.count == 1 else { throw ToolError.usage(args.positionals.isEmpty ? "no directory given" : "one directory only") }
    let root = URL(fileURLWithPath: args.positionals[0]).standardizedFileURL.path
    guard Paths.isDirectory(root) else {
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

runTool(spec) {
    if args.has("--fetch") {
        // A download cut short leaves no temporary file behind.
        signal(SIGINT) { _ in PartialFile.removeNow(); _exit(130) }
        signal(SIGTERM) { _ in PartialFile.removeNow(); _exit(143) }
        try fetch()
    } else {
        for option in ["--check", "--checksum", "--target", "--extension", "--log-prefix", "--progress", "--sensitive-env"] where args.has(option) {
            throw ToolError.usage("\(option): only with --fetch")
        }
        try serve()
    }
}
