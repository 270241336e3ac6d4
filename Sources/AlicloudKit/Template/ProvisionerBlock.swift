/// A provisioner block as written in a template, for the runners used on their own.
extension ProvisionerSpec {
    /// The plan's form (`{"type":..,"config":{..}}`, what tmpl-render writes) as it is, or a
    /// block as a template has it (`{"type":"shell","inline":[...],"pause_before":"10s"}`),
    /// made into the plan's form by tmpl-render's own rules: the same defaults, checks and
    /// durations as in a build. `only`/`except` pick builds, so a block on its own drops them.
    public init(anyForm json: JSONValue, source: String, environment: [String: String], pwd: String) throws {
        guard var block = json.objectValue, block["config"] == nil,
              !Set(block.keys).isSubset(of: ["type", "pause_before", "max_retries", "timeout"]) else {
            try self.init(json: json)
            return
        }
        block.removeValue(forKey: "only")
        block.removeValue(forKey: "except")
        // A stand-in build around the block: only the provisioner's own problems can show.
        let builder: JSONValue = [
            "type": "alicloud-ecs", "access_key": "stand-in", "secret_key": "stand-in", "region": "cn-hangzhou",
            "image_name": "stand_in", "source_image": "stand-in", "instance_type": "stand-in", "ssh_username": "root",
        ]
        let template: JSONValue = ["builders": [builder], "provisioners": [.object(block)]]
        // Read as standard input: relative paths in the block resolve against the working directory.
        let request = RenderRequest(templatePath: "-", templateBytes: Array(template.serialized(pretty: false).utf8),
                                    environment: environment, pwd: pwd, clock: try RenderClock.fromEnvironment(environment))
        let result: RenderResult
        do {
            result = try TemplateRenderer.render(request)
        } catch let problems as TemplateProblems {
            // Positions would point into the stand-in template: name the key only.
            let reasons = problems.errors.map { e -> String in
                let path = e.path.hasPrefix("provisioners[0].") ? String(e.path.dropFirst("provisioners[0].".count)) : (e.path == "provisioners[0]" ? "" : e.path)
                return (path.isEmpty ? "" : path + ": ") + e.message
            }
            throw ToolError.data("\(source): provisioner: " + reasons.joined(separator: "; "))
        }
        guard let planned = result.plan["builds"]?.arrayValue?.first?["provisioners"]?.arrayValue?.first else {
            throw ToolError.data("\(source): provisioner: not in the plan")
        }
        try self.init(json: planned)
    }
}
