import AlicloudKit

// Not built yet: see the issue for this tool.
runTool("img-import") { throw ToolError(.unavailable, "not implemented yet") }
