import AlicloudKit

let arguments = WinRMRunCommand.spec.parseOrExit()
runTool("winrm-run") { try WinRMRunCommand.main(arguments) }
