extension CommandSpec {
    /// ecs-sim: the local ECS/VPC/OSS emulator.
    public static let ecsSim = CommandSpec(
        tool: "ecs-sim",
        usage: "ecs-sim [--listen 127.0.0.1:PORT] [--state DIR] [--profile fast|instant|realistic] [--faults SPEC] [--seed N] [--id-seed N] | ecs-sim --dump --state DIR | ecs-sim --check-ssh-port [--ssh-port N]",
        about: """
            usage: ecs-sim [--listen 127.0.0.1:PORT] [--state DIR] [--profile fast|instant|realistic]
                           [--faults SPEC] [--seed N] [--id-seed N] [--ssh-port N]
                           [--catalog default|strict]
                   ecs-sim --dump --state DIR
                   ecs-sim --check-ssh-port [--ssh-port N]

            A local Alibaba Cloud (ECS 2014-05-26, VPC 2016-04-28, minimal STS and RAM, and OSS on
            the same port) on loopback, whose running instances are real sshd hosts. Prints
            "ecs-sim: listening on http://ADDR:PORT" when ready; that URL is both
            ALICLOUD_ENDPOINT and ALICLOUD_OSS_ENDPOINT.
            """,
        options: [
            .value("--listen", arg: "ADDR:PORT", "loopback address to serve (default 127.0.0.1:0, a free port)"),
            .value("--state", arg: "DIR", "keep resources, the request log and disks in DIR (default: a temp dir)"),
            .value("--profile", arg: "NAME", "fast (sub-second transitions, default), instant or realistic"),
            .value("--faults", arg: "SPEC", "inject errors, lost responses, latency, SSH refusals (see ecs-sim(1))"),
            .value("--seed", arg: "N", "seed of the fault generator (default 1)"),
            .value("--id-seed", arg: "N", "seed of the ID generator (default: a random one per run, printed)"),
            .value("--ssh-port", arg: "N", "port of every instance's sshd (default 22)"),
            .value("--catalog", arg: "NAME", "default: any well-formed public image ID of a known family is\nserved as that family; strict: only the listed public images"),
            .flag("--dump", help: "print the resources and request counts of --state DIR as JSON"),
            .flag("--check-ssh-port", help: "only say whether instances could have their sshd on --ssh-port\n(exit 0) or another process holds it on every address (exit 69)"),
        ],
        notes: "AccessKey: env ECS_SIM_ACCESS_KEY / ECS_SIM_SECRET_KEY, default the published test key.",
        exits: [
            ExitCode(0, "stopped by TERM, INT or HUP, --dump printed, or --check-ssh-port found the port free"), ExitCode(64, "usage"),
            ExitCode(65, "state file unreadable"), ExitCode(66, "--dump of a directory without state"),
            ExitCode(69, "address cannot be bound, or the SSH port is held on every address"), ExitCode(73, "state directory cannot be created"),
        ]
    )

    /// Every tool's spec, for the checks against the man pages.
    public static let allTools: [CommandSpec] = [
        .ecsCall, .tmplRender, .snapWait, .imgImport, .bootCommand, .httpServe, .ecsSim,
        SSHRunCommand.spec, WinRMRunCommand.spec,
    ]
}
