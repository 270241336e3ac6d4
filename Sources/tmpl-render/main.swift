import AlicloudKit
import FoundationEssentials

let spec = CommandSpec.tmplRender

let arguments = spec.parseOrExit()

runTool(spec) {
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
    let environment = ProcessEnvironment.current
    let clock = try RenderClock.fromEnvironment(environment)
    var request = RenderRequest(templatePath: arguments.positionals[0], environment: environment,
                                pwd: FileManager.default.currentDirectoryPath, clock: clock)
    if request.templatePath == "-" {
        request.templateBytes = try readAll(fd: 0)
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
        arguments.all(option).flatMap { $0.split(separator: ",").map { String($0).trimmingBlanks() } }.filter { !$0.isEmpty }
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
