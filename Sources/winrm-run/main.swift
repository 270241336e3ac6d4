import AlicloudKit

let arguments = WinRMRunCommand.spec.parseOrExit()
runTool(WinRMRunCommand.spec) { try WinRMRunCommand.main(arguments) }
