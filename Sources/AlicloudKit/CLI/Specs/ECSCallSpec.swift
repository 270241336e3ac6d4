extension CommandSpec {
    /// ecs-call: one signed Alibaba Cloud RPC API call, JSON on stdout.
    public static let ecsCall = CommandSpec(
        tool: "ecs-call",
        usage: "ecs-call [options] Action [Name=Value ...] | ecs-call --from-response FILE --query PATH",
        about: """
            usage: ecs-call [options] Action [Name=Value ...]
                   ecs-call --from-response FILE|- [--query PATH [--format F]]

            Makes one signed RPC-style Alibaba Cloud API call and prints the response JSON
            (sorted keys) on stdout. Credentials come from the environment (ALICLOUD_ACCESS_KEY,
            ALICLOUD_SECRET_KEY, ALICLOUD_SECURITY_TOKEN, or the ALIBABA_CLOUD_* names) or the
            aliyun CLI profile file ~/.aliyun/config.json; never from the command line.
            """,
        options: [
            .value("--product", arg: "NAME", "ecs (default), vpc, ram, sts, ...: API version and endpoint"),
            .value("--api-version", arg: "V", "override the product's API version"),
            .value("--endpoint", arg: "URL", "send to URL (env ALICLOUD_ENDPOINT), e.g. http://127.0.0.1:8080"),
            .value("--region", arg: "R", "region; sent as RegionId unless given (env ALICLOUD_REGION)"),
            .value("--profile", arg: "NAME", "profile in ~/.aliyun/config.json (env ALICLOUD_PROFILE)"),
        ] + QueryOutput.options + [
            .value("--param-env", arg: "N=VAR", "send parameter N with the value of environment variable VAR\n(for secrets such as an instance Password: never in argv)"),
            .value("--params-from", arg: "F", "also send the Name=Value records of F (or - for stdin), each\nended by a NUL byte: values may hold newlines and tabs"),
            .value("--tags-from", arg: "F", "also send the tags of F (a JSON object of strings) as\nTag.N.Key/Tag.N.Value, numbered after any Tag.N given"),
            .value("--accept", arg: "CODES", "treat these error codes as success (comma list; a leading or\ntrailing * matches any text: '*.NotFound'); prints the error"),
            .value("--retry-codes", arg: "CODES", "also retry these error codes as busy (same syntax)"),
            .value("--from-response", arg: "F", "make no call: read a saved response (F or - for stdin) and\nprint it through --query/--format"),
            .flag("--all-pages", help: "follow NextToken or PageNumber and merge the lists"),
            .value("--retries", arg: "N", "retries on throttling, 5xx, network and busy errors (default 3)"),
            .value("--timeout", arg: "S", "give up after S seconds in total (default 60)"),
            .value("--signature", arg: "v1|v3", "signature version 1.0 HMAC-SHA1 (default) or ACS3-HMAC-SHA256"),
            .flag("--dry-run", help: "print the request that would be sent; send nothing"),
            .flag("--debug", help: "trace the string-to-sign and the HTTP exchange on stderr"),
        ],
        exits: [
            ExitCode(0, "ok"), ExitCode(1, "API error"), ExitCode(64, "usage"), ExitCode(65, "bad response"),
            ExitCode(66, "a --params-from, --tags-from or --from-response file unreadable"),
            ExitCode(69, "unreachable"), ExitCode(75, "throttled or timed out after retries"),
            ExitCode(77, "credentials rejected"), ExitCode(78, "no credentials, or a --param-env variable unset"),
        ]
    )
}
