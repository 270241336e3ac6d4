import AlicloudKit

// Not built yet: see the issue for this tool.
runTool("ecs-sim") { throw ToolError(.unavailable, "not implemented yet") }
