extension CommandSpec {
    /// http-serve: the qemu builder's two HTTP ends: a directory on a free loopback port
    /// (Packer's http_directory), or with --fetch the ISO retrieved into Packer's cache.
    public static let httpServe = CommandSpec(
        tool: "http-serve",
        usage: "http-serve [--port-min N] [--port-max N] [--listen ADDR] DIRECTORY\n       http-serve --fetch [--check] [--checksum SUM] [--target PATH] [--extension EXT] [--log-prefix TEXT] [--progress] [--sensitive-env VAR] URL...",
        about: """
            usage: http-serve [--port-min N] [--port-max N] [--listen ADDR] DIRECTORY
                   http-serve --fetch [--check] [--checksum SUM] [--target PATH] [--extension EXT]
                              [--log-prefix TEXT] [--progress] [--sensitive-env VAR] URL...

            Serves the files of DIRECTORY (GET and HEAD) on the first free port from a random
            start within [--port-min, --port-max], prints the port on stdout once it listens,
            and serves until INT or TERM.

            --fetch retrieves an ISO as Packer does: each URL in order (a path, file://, http://
            or https://) until one gives a file matching --checksum (TYPE:HEX, file:LIST or none;
            default none), and prints that file's path. A local file is used in place; a download
            goes to $PACKER_CACHE_DIR (default ./packer_cache) as sha1(TYPE:HEX).EXT (sha1(URL)
            with none), or to --target, through a temporary name, and a cached file that matches
            is used without a download. Packer's log lines go to stderr, each after
            --log-prefix; --progress (or a terminal) adds a progress line.
            """,
        options: [
            .value("--port-min", arg: "N", section: "serve", "lowest port (default 8000, Packer's http_port_min)"),
            .value("--port-max", arg: "N", section: "serve", "highest port (default 9000, Packer's http_port_max)"),
            .value("--listen", arg: "ADDR", section: "serve", "a loopback address (default 127.0.0.1; QEMU's user\nnetworking reaches it as 10.0.2.2)"),
            .flag("--fetch", section: "fetch", help: "retrieve the ISO at URL... instead of serving"),
            .flag("--check", section: "fetch", help: "only what needs no network: a local file and a local checksum\nlist; prints the local path, or the URL and its cache path"),
            .value("--checksum", arg: "SUM", section: "fetch", "TYPE:HEX, a bare hex value, file:LIST or none (default none)"),
            .value("--target", arg: "PATH", section: "fetch", "download to PATH instead of the cache (iso_target_path)"),
            .value("--extension", arg: "EXT", section: "fetch", "the cache entry's extension (default iso)"),
            .value("--log-prefix", arg: "TEXT", section: "fetch", "put TEXT before each of Packer's lines on stderr"),
            .flag("--progress", section: "fetch", help: "show a progress line (the default on a terminal)"),
            .value("--sensitive-env", arg: "VAR", section: "fetch", "never show the values (one a line) in variable VAR; a\npassword in a URL is never shown either"),
        ],
        exits: [
            ExitCode(0, "fetched (or after --help)"), ExitCode(1, "other HTTP failure"), ExitCode(64, "usage"),
            ExitCode(65, "checksum mismatch or a bad checksum"), ExitCode(66, "no such directory or file (or HTTP 404)"),
            ExitCode(69, "no free port in the range, or unreachable (or HTTP 5xx)"),
            ExitCode(73, "cannot write the cache"), ExitCode(75, "download timed out"),
            ExitCode([130, 143], "stopped by INT or TERM"),
        ]
    )
}
