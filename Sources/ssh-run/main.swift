import AlicloudKit
import Glibc

// ssh runs this same program as SSH_ASKPASS for password logins.
if let status = SSHClient.answerAskpass() { exit(status) }
let arguments = SSHRunCommand.spec.parseOrExit()
runTool(SSHRunCommand.spec) { try SSHRunCommand.main(arguments) }
