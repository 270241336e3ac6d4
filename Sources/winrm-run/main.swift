import AlicloudKit

// Not built yet: see the issue for this tool.
runTool("winrm-run") { throw ToolError(.unavailable, "not implemented yet") }
