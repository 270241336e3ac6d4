extension CommandSpec {
    /// http-serve: a directory over HTTP on a free loopback port (Packer's http_directory).
    public static let httpServe = CommandSpec(
        tool: "http-serve",
        usage: "http-serve [--port-min N] [--port-max N] [--listen ADDR] DIRECTORY",
        about: """
            usage: http-serve [--port-min N] [--port-max N] [--listen ADDR] DIRECTORY

            Serves the files of DIRECTORY (GET and HEAD) on the first free port from a random
            start within [--port-min, --port-max], prints the port on stdout once it listens,
            and serves until INT or TERM.
            """,
        options: [
            .value("--port-min", arg: "N", "lowest port (default 8000, Packer's http_port_min)"),
            .value("--port-max", arg: "N", "highest port (default 9000, Packer's http_port_max)"),
            .value("--listen", arg: "ADDR", "a loopback address (default 127.0.0.1; QEMU's user\nnetworking reaches it as 10.0.2.2)"),
        ],
        exits: [
            ExitCode(0, "after --help"), ExitCode(64, "usage"), ExitCode(66, "no such directory"), ExitCode(69, "no free port in the range"),
            ExitCode(130, 143, "stopped by INT or TERM"),
        ]
    )
}
