import AlicloudKit
import Glibc

// ssh runs this same program as SSH_ASKPASS for password logins.
if let status = SSHClient.answerAskpass() { exit(status) }
let arguments = SSHRunCommand.spec.parseOrExit()
runTool("ssh-run") { try SSHRunCommand.main(arguments) }
