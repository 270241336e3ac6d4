// A stand-alone OSS endpoint on 127.0.0.1 for the oss2 fidelity test and the bench, until
// ecs-sim serves OSS itself: OSSService behind OSSHTTPServer. Built by Tests/oss/build-serve.
// usage: oss-serve ROOT [PORT]   (prints the port, serves until killed)
import EcsSimKit
import Foundation

let args = CommandLine.arguments
guard args.count >= 2 else {
    FileHandle.standardError.write(Data("usage: oss-serve ROOT [PORT]\n".utf8))
    exit(64)
}
let env = ProcessInfo.processInfo.environment
let ak = env["ECS_SIM_ACCESS_KEY"] ?? "LTAI5tSimAccessKeyId01"
let sk = env["ECS_SIM_SECRET_KEY"] ?? "SimSecretKey0123456789abcdefXYZ"
let service = try OSSService(root: URL(fileURLWithPath: args[1]), credentials: [ak: sk])
let server = OSSHTTPServer(service: service)
try server.start(port: args.count > 2 ? UInt16(args[2]) ?? 0 : 0)
print(server.port)
fflush(stdout)
while true { sleep(3600) }
