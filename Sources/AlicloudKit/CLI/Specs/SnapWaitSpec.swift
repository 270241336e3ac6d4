extension CommandSpec {
    /// snap-wait: poll a resource until it reaches its state.
    public static let snapWait = CommandSpec(
        tool: "snap-wait",
        usage: "snap-wait [--region R] [--timeout S] (--image m-... | --snapshot s-...[,s-...] | --instance i-... --status S | --vpc|--vswitch|--eip ID --status S)",
        about: """
            usage: snap-wait [options] TARGET

            Polls until the target reaches its state, then prints its description (JSON, sorted
            keys) on stdout. Polling is adaptive: every 0.5 s at first, then half the time waited
            so far, at most every 10 s, so a short wait ends within a second of readiness and a
            long one costs few calls; where the API estimates the time left (RemainTime of
            snapshots) the next poll is made then (at most 60 s later). Throttling slows polling
            down; it does not end the wait.
            """,
        options: [
            .value("--image", arg: "m-...", section: "targets", "until Available at 100% (fails on CreateFailed, UnAvailable)"),
            .value("--snapshot", arg: "s-...[,s-...]", section: "targets", "until every snapshot is accomplished at 100% (fails on failed)"),
            .value("--instance", arg: "i-...", section: "targets", "until --status (Running, Stopped, ... or Deleted: gone)"),
            .value("--vpc", arg: "ID", section: "targets", "until --status (Available)"),
            .value("--vswitch", arg: "ID", section: "targets", "until --status (Available)"),
            .value("--eip", arg: "ALLOCATION-ID", section: "targets", "until --status (Available, InUse)"),
            .value("--status", arg: "S", "the state to wait for (instance, vpc, vswitch, eip)"),
            .value("--region", arg: "R", "region (env ALICLOUD_REGION)"),
            .value("--timeout", arg: "S", "give up after S seconds, exit 75 (default 3600)"),
            .value("--delay", arg: "S", "first poll after S seconds, not at once (default 0): for a\nresource just asked to change, which cannot be ready yet"),
            .value("--endpoint", arg: "URL", "API endpoint (env ALICLOUD_ENDPOINT)"),
            .value("--profile", arg: "NAME", "profile in ~/.aliyun/config.json"),
        ] + QueryOutput.options,
        notes: "A progress line (state, percent, elapsed) is shown when stderr is a terminal.",
        exits: [
            ExitCode(0, "reached"), ExitCode(1, "failed state or not found"), ExitCode(64, "usage"),
            ExitCode(65, "malformed API answer"), ExitCode(69, "unreachable"), ExitCode(75, "timed out"),
            ExitCode(77, "credentials rejected"), ExitCode(78, "no credentials or region"),
            ExitCode([130, 143], "interrupted"),
        ]
    )
}
