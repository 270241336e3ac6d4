import AlicloudKit

// Not built yet: see the issue for this tool.
runTool("snap-wait") { throw ToolError(.unavailable, "not implemented yet") }
