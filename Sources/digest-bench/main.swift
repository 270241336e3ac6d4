// Measures the toolkit's own digests on a file: `digest-bench FILE [sha256|sha1|md5|crc64 ...]`.
// Prints `name MB/s digest` per algorithm (used by bench/digest.sh; not installed).
import AlicloudKit
import Dispatch
import FoundationEssentials

func measure(_ name: String, _ path: String) throws -> (Double, String) {
    let start = DispatchTime.now().uptimeNanoseconds
    var bytes = 0
    let digest: String
    switch name {
    case "sha256":
        var h = SHA256()
        try FileChunks.read(path) { h.update($0); bytes += $0.count }
        digest = h.finalize().hexString
    case "sha1":
        var h = SHA1()
        try FileChunks.read(path) { h.update($0); bytes += $0.count }
        digest = h.finalize().hexString
    case "md5":
        var h = MD5()
        try FileChunks.read(path) { h.update($0); bytes += $0.count }
        digest = h.finalize().hexString
    case "crc64":
        var c = CRC64ECMA()
        try FileChunks.read(path) { c.update($0); bytes += $0.count }
        digest = String(c.value)
    default:
        throw ToolError.usage("unknown digest \(name)")
    }
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return (Double(bytes) / 1e6 / seconds, digest)
}

runTool("digest-bench") {
    let args = Array(CommandLine.arguments.dropFirst())
    guard let path = args.first else { throw ToolError.usage("usage: digest-bench FILE [sha256|sha1|md5|crc64 ...]") }
    let names = args.count > 1 ? Array(args.dropFirst()) : ["sha256", "sha1", "md5", "crc64"]
    for name in names {
        let (rate, digest) = try measure(name, path)
        StandardStream.out("\(name) \(cFormat("%.0f", rate)) \(digest)\n")
    }
}
