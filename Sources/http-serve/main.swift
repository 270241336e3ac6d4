// http-serve: the qemu builder's two HTTP ends. Serve a directory on a free loopback port,
// for an installer in a virtual machine (Packer's http_directory); or, with --fetch,
// retrieve the ISO (iso_urls) into Packer's cache, checked against its checksum.
import AlicloudKit
import EcsSimKit
import Foundation

#if canImport(Glibc)
import Glibc
#endif

let spec = CommandSpec(
    tool: "http-serve",
    usage: "http-serve [--port-min N] [--port-max N] [--listen ADDR] DIRECTORY\n       http-serve --fetch [--check] [--checksum SUM] [--target PATH] [--extension EXT] [--log-prefix TEXT] [--progress] [--sensitive-env VAR] URL...",
    help: """
        usage: http-serve [--port-min N] [--port-max N] [--listen ADDR] DIRECTORY
               http-serve --fetch [--check] [--checksum SUM] [--target PATH] [--extension EXT]
                          [--log-prefix TEXT] [--progress] [--sensitive-env VAR] URL...

        Serves the files of DIRECTORY (GET and HEAD) on the first free port from a random
        start within [--port-min, --port-max] (default 8000-9000, Packer's http_port_min/max),
        prints the port on stdout once it listens, and serves until INT or TERM.
        --listen is a loopback address (default 127.0.0.1; QEMU's user networking reaches
        it as 10.0.2.2).

        --fetch retrieves an ISO as Packer does: each URL in order (a path, file://, http://
        or https://) until one gives a file matching --checksum (TYPE:HEX, file:LIST or none;
        default none), and prints that file's path. A local file is used in place; a download
        goes to $PACKER_CACHE_DIR (default ./packer_cache) as sha1(TYPE:HEX).EXT (sha1(URL)
        with none), or to --target, through a temporary name, and a cached file that matches
        is used without a download. Packer's log lines go to stderr, each after
        --log-prefix; --progress (or a terminal) adds a progress line.
          --check          only what needs no network: a local file and a local checksum
                           list; prints the local path, or the URL and its cache path
          --extension EXT  the cache entry's extension (default iso)
          --sensitive-env VAR  never show the values (one a line) in variable VAR; a
                           password in a URL is never shown either

        exit status: 130/143 after INT/TERM, 64 usage, 66 no such directory, 69 no free
        port in the range. --fetch: 0 retrieved, 65 checksum mismatch (or a bad checksum),
        66 no such file (or HTTP 404), 69 unreachable (or HTTP 5xx), 73 cannot write the
        cache, 75 timed out, 1 other HTTP failure.
        """,
    options: [
        .value("--port-min"), .value("--port-max"), .value("--listen"),
        .flag("--fetch"), .flag("--check"), .value("--checksum"), .value("--target"), .value("--extension"),
        .value("--log-prefix"), .flag("--progress"), .value("--sensitive-env"),
    ]
)
let args = spec.parseOrExit()

/// --fetch: the ISO's path on stdout.
func fetch() throws {
    guard !args.positionals.isEmpty else { throw ToolError.usage("--fetch: no URL given") }
    // Secrets never reach stderr: the template's sensitive values, and a password in a URL.
    if let name = args.value("--sensitive-env"), let values = ProcessInfo.processInfo.environment[name] {
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
    signal(SIGINT) { _ in _exit(130) }
    signal(SIGTERM) { _ in _exit(143) }
    while true { pause() }
}

runTool("http-serve") {
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
