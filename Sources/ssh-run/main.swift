import AlicloudKit

// Not built yet: see the issue for this tool.
runTool("ssh-run") { throw ToolError(.unavailable, "not implemented yet") }
