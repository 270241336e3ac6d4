extension CommandSpec {
    /// tmpl-render: a Packer template to a resolved, validated build plan.
    public static let tmplRender = CommandSpec(
        tool: "tmpl-render",
        usage: "tmpl-render [-var name=value]... [-var-file file]... [-only a,b] [-except c] [--validate] [--query PATH [--format F]] template.json|template.pkr.hcl|template.pkr.json|dir|- | tmpl-render --plan FILE --query PATH [--format F]",
        about: """
            usage: tmpl-render [-var name=value]... [-var-file file]... [-only a,b] [-except c]
                               [--validate] [--query PATH [--format F]] TEMPLATE
                   tmpl-render --plan FILE|- [--query PATH [--format F]]

            Renders a Packer template into a resolved, validated build plan (JSON on stdout).
            TEMPLATE: a JSON template, or HCL2: a .pkr.hcl or .pkr.json file, or a directory
            of them (with its *.auto.pkrvars.hcl/.json files); - reads any of them from stdin.
            """,
        options: [
            .value("-var", "--var", arg: "name=value", "set a variable (beats var files; the last one wins)"),
            .value("-var-file", "--var-file", arg: "file", "read variables: a JSON object (or, for HCL2, a .pkrvars.hcl file); a later file wins"),
            .value("-only", "--only", arg: "a,b", "keep only these builds (names after interpolation)"),
            .value("-except", "--except", arg: "c", "drop these builds, and cut post-processor chains at these names"),
            .flag("--validate", "-validate", help: "check only: no output, the exit status says it all"),
            .value("--query", "-query", arg: "PATH", "print one value of the plan (e.g. builds[0].config.region)"),
        ] + QueryOutput.options.filter { $0.names[0] != "--query" } + [
            .value("--plan", arg: "FILE", "query an already rendered plan (- for stdin) instead of a template"),
        ],
        notes: """
            Environment: TMPL_RENDER_NOW or SOURCE_DATE_EPOCH fixes the clock (and the random
            parts of uuids) for reproducible plans. See tmpl-render(1).
            """,
        exits: [
            ExitCode(0, "ok"), ExitCode(64, "usage"), ExitCode(65, "bad template, var file or plan"),
            ExitCode(66, "template, var file or plan unreadable"),
            ExitCode(69, "a program the template needs is missing"),
            ExitCode(78, "only credentials or the region are missing"),
        ]
    )
}
