import AlicloudKit
import FoundationEssentials

/// Answers GET and HEAD with the regular files under a directory (http-serve, Packer's
/// http_directory); nothing outside the directory is reachable.
public enum StaticFiles {
    /// The response to `request` from the files under `root` (an absolute, standardized path).
    public static func answer(_ request: ServerRequest, root: String) -> ServerResponse {
        guard request.method == "GET" || request.method == "HEAD" else {
            return ServerResponse(status: 405, headers: [("Allow", "GET, HEAD")])
        }
        let decoded = request.path.percentDecoded ?? request.path
        let parts = decoded.split(separator: "/").filter { $0 != "." }
        guard !parts.contains("..") else { return ServerResponse(status: 403) }
        let file = ([root] + parts.map(String.init)).joined(separator: "/")
        guard !Paths.isDirectory(file), let data = FileManager.default.contents(atPath: file) else {
            return ServerResponse(status: 404, headers: [("Content-Type", "text/plain")], body: Array("404 page not found\n".utf8))
        }
        let body = request.method == "HEAD" ? [] : [UInt8](data)
        return ServerResponse(status: 200, headers: [("Content-Type", "application/octet-stream")], body: body)
    }
}
