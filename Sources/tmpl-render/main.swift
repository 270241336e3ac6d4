import AlicloudKit

// Not built yet: see the issue for this tool.
runTool("tmpl-render") { throw ToolError(.unavailable, "not implemented yet") }
