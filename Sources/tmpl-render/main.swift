import AlicloudKit
import Foundation

let spec = CommandSpec(
    tool: "tmpl-render",
    usage: "tmpl-render [-var name=value]... [-var-file file]... [-only a,b] [-except c] [--validate] [--query PATH [--format F]] template.json|template.pkr.hcl|template.pkr.json|dir|- | tmpl-render --plan FILE --query PATH [--format F]",
    help: """
        usage: tmpl-render [-var name=value]... [-var-file file]... [-only a,b] [-except c]
                           [--validate] [--query PATH] TEMPLATE

        Renders a Packer template into a resolved, validated build plan (JSON on stdout).
        TEMPLATE: a JSON template, or HCL2: a .pkr.hcl or .pkr.json file, or a directory
        of them (with its *.auto.pkrvars.hcl/.json files); - reads any of them from stdin.

          -var name=value   set a variable
          -var-file file    read variables: a JSON object (or, for HCL2, a .pkrvars.hcl file);
                            -var and -var-file apply in the order given: the last one wins
          -only a,b         keep only these builds (names after interpolation)
          -except c         drop these builds, and cut post-processor chains at these names
          --validate        check only: no output, the exit status says it all
          --query PATH      print one value of the plan (e.g. builds[0].config.region)
          --format F        with --query: raw (default), json, sh, count, pairs or params
          --sh-prefix P     with --format sh: prefix of the variable names
          --plan FILE       query an already rendered plan (- for stdin) instead of a template

        Environment: TMPL_RENDER_NOW or SOURCE_DATE_EPOCH fixes the clock (and the random
        parts of uuids) for reproducible plans. See tmpl-render(1).
        """,
    options: [
        .value("-var", "--var"), .value("-var-file", "--var-file"), .value("-only", "--only"),
        .value("-except", "--except"), .flag("--validate", "-validate"), .value("--query", "-query"),
        .value("--format"), .value("--sh-prefix"), .value("--plan"),
    ]
)

let arguments = spec.parseOrExit()

runTool("tmpl-render") {
    let output = try QueryOutput(arguments)
    if let planFile = arguments.value("--plan") {
        // The orchestrator reads the plan it rendered once, never the template again.
        guard arguments.positionals.isEmpty else { spec.usageExit("--plan takes no template") }
        let plan = try RenderedPlan.read(planFile)
        StandardStream.out(try output.render(plan))
        return
    }
    guard arguments.positionals.count == 1 else {
        spec.usageExit(arguments.positionals.isEmpty ? "no template given" : "one template only, got \(arguments.positionals.count)")
    }
    let environment = ProcessInfo.processInfo.environment
    let clock = try RenderClock.fromEnvironment(environment)
    var request = RenderRequest(templatePath: arguments.positionals[0], environment: environment,
                                pwd: FileManager.default.currentDirectoryPath, clock: clock)
    if request.templatePath == "-" {
        request.templateBytes = [UInt8](FileHandle.standardInput.readDataToEndOfFile())
    }
    for (option, text) in arguments.inOrder("-var", "-var-file") {
        guard option == "-var" else {
            request.variableInputs.append(.file(text))
            continue
        }
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
            spec.usageExit("-var \(text): expected name=value")
        }
        request.variableInputs.append(.assignment(name: String(text[..<eq]), value: String(text[text.index(after: eq)...])))
    }
    func names(_ option: String) -> [String] {
        arguments.all(option).flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
    }
    request.only = names("-only")
    request.except = names("-except")

    let result: RenderResult
    do {
        result = try TemplateRenderer.render(request)
    } catch let problems as TemplateProblems {
        StandardStream.err(problems.report(tool: "tmpl-render", file: request.templatePath == "-" ? "<stdin>" : request.templatePath))
        throw ExitRequest(problems.status.rawValue)
    }
    for w in result.warnings { StandardStream.err("tmpl-render: warning: \(w.formatted)\n") }
    if arguments.has("--validate") { return }
    StandardStream.out(try output.render(result.plan))
}
