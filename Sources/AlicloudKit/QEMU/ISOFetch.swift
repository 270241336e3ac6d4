import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Packer's ISO retrieval (its download step, 1.6.6): each of `iso_urls` in order until one
/// gives a file that matches `iso_checksum`. A local path is used in place. An http(s) URL
/// is downloaded into Packer's cache — `$PACKER_CACHE_DIR` (default `./packer_cache`), as
/// `sha1(checksum).EXT` (`sha1(url).EXT` with checksum `none`) — or into `iso_target_path`;
/// a cache entry that matches its checksum is used without a download. A download goes to
/// a hidden temporary name in the same directory, is checked while it arrives, and is
/// renamed into place only when it matches: the cache never holds a partial or wrong file.
/// Builds that share an ISO wait for each other on `TARGET.lock`, as Packer's do.
public struct ISOFetch {
    /// `iso_urls`, in order: absolute paths, `file://` or `http(s)://` URLs.
    public var urls: [String]
    /// `TYPE:HEX`, `file:PATH` / `file:URL` (a checksum list), or `none`.
    public var checksum: String
    /// The cache directory (absolute).
    public var cacheDirectory: String
    /// `iso_target_path`: the download's path (or its directory, when it has no extension).
    public var targetPath: String?
    /// `iso_target_extension` (default iso).
    public var fileExtension = "iso"
    /// The HTTP settings of downloads (and of a checksum list fetched over HTTP).
    public var http = HTTPOptions()
    /// Packer's log lines (`Trying ...`, `... => PATH`).
    public var say: (String) -> Void = { _ in }
    /// Download progress: bytes so far and the announced total (nil when unknown).
    public var progress: ((Int64, Int64?) -> Void)?

    /// Makes a retrieval; the cache directory is `$PACKER_CACHE_DIR` or `./packer_cache`,
    /// made absolute against the working directory.
    public init(urls: [String], checksum: String, environment: [String: String] = ProcessEnvironment.current) {
        self.urls = urls
        self.checksum = checksum
        let dir = environment["PACKER_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "packer_cache"
        cacheDirectory = ISOFetch.absolute(dir)
    }

    /// What a check before the build found: a local file that matches its checksum, or the
    /// URL that will be downloaded at build time and its cache path (nil when the checksum
    /// list is remote, so the name is not known yet).
    public enum Found: Equatable, Sendable {
        /// A local file, checked.
        case local(String)
        /// A URL to download at build time, and where it goes.
        case remote(url: String, target: String?)
    }

    // MARK: - the checksum

    /// The checksum to check against (nil for `none`). A `file:` checksum names a list (a
    /// path, or an http(s) URL fetched here), searched for the first ISO URL's file.
    public func resolveChecksum() throws -> ISOChecksum? {
        if checksum == "none" { return nil }
        guard checksum.lowercased().hasPrefix("file:") else {
            guard let parsed = ISOChecksum(checksum) else { throw ToolError.data("iso_checksum \"\(checksum)\": expected TYPE:HEX, file:LIST or none") }
            return parsed
        }
        let list = String(checksum.dropFirst(5))
        let text: String
        let listPath: String
        if ISOFetch.isRemote(list) {
            let response = try HTTPClient(options: http).send(HTTPRequest(method: "GET", url: list))
            guard response.isSuccess else { throw ISOFetch.statusError(list, response.status) }
            text = response.bodyText
            listPath = ISOFetch.urlPath(list)
        } else {
            listPath = ISOFetch.localPath(list)
            guard let data = FileManager.default.contents(atPath: listPath) else { throw ToolError(.noInput, "\(listPath): no such checksum file") }
            text = String(decoding: data, as: UTF8.self)
        }
        let first = urls.first ?? ""
        let isoPath = ISOFetch.isRemote(first) ? ISOFetch.urlPath(first) : ISOFetch.localPath(first)
        guard let found = ChecksumList.find(in: text, isoPath: isoPath, listPath: listPath) else {
            throw ToolError.data("\(list) lists no checksum for \(Paths.last(isoPath))")
        }
        return found
    }

    /// Where a download of `url` goes: `iso_target_path`, or the cache entry Packer names
    /// `sha1(checksum text or, for none, the URL).EXT`.
    public func target(for url: String, checksum: ISOChecksum?) -> String {
        let key = checksum?.text ?? url
        let name = SHA1.hash(key).hexString + (fileExtension.isEmpty ? "" : "." + fileExtension)
        guard let targetPath, !targetPath.isEmpty else { return Paths.join(cacheDirectory, name) }
        if !Paths.ext(targetPath).isEmpty { return targetPath }
        return Paths.join(targetPath, name)
    }

    /// The URL as Packer prints it once the checksum rides along as a query.
    func shown(_ url: String, _ checksum: ISOChecksum?) -> String {
        guard let checksum else { return url }
        return url + (url.contains("?") ? "&" : "?") + "checksum=" + checksum.text.replacingText(":", with: "%3A")
    }

    // MARK: - the retrieval

    /// Checks what needs no network, before anything starts: a local ISO is there and
    /// matches (a local checksum list is read); a remote URL is left for the build.
    public func check() throws -> Found {
        let remoteList = checksum.lowercased().hasPrefix("file:") && ISOFetch.isRemote(String(checksum.dropFirst(5)))
        let sum = remoteList ? nil : try resolveChecksum()
        var errors: [ToolError] = []
        for url in urls {
            do {
                if ISOFetch.isRemote(url) { return .remote(url: url, target: remoteList ? nil : target(for: url, checksum: sum)) }
                return .local(try useLocal(url, sum))
            } catch let e as ToolError { errors.append(e) }
        }
        throw ISOFetch.combined(errors)
    }

    /// Retrieves the ISO: the path of a file that matches the checksum.
    public func run() throws -> String {
        let sum = try resolveChecksum()
        var errors: [ToolError] = []
        for url in urls {
            say("Trying \(url)")
            let shownURL = shown(url, sum)
            say("Trying \(shownURL)")
            do {
                let path = ISOFetch.isRemote(url) ? try download(url, sum) : try useLocal(url, sum)
                say("\(shownURL) => \(path)")
                return path
            } catch let e as ToolError {
                errors.append(e)
                say("Download failed \(e.message)")
            }
        }
        throw ISOFetch.combined(errors)
    }

    /// A local ISO, used in place once it matches.
    func useLocal(_ url: String, _ sum: ISOChecksum?) throws -> String {
        let path = ISOFetch.localPath(url)
        guard !ISOFetch.hasScheme(url) || url.hasPrefix("file://") else {
            throw ToolError.data("\(url): unsupported URL scheme (http, https, file:// or a path)")
        }
        guard FileManager.default.fileExists(atPath: path), !Paths.isDirectory(path) else {
            throw ToolError(.noInput, "\(path): no such file")
        }
        if let sum {
            let got = try sum.digest(ofFile: path)
            guard got == sum.value else { throw ToolError.data("\(path): \(sum.mismatch(got))") }
        }
        return path
    }

    /// An http(s) ISO: the cache entry when it matches, else a verified download.
    func download(_ url: String, _ sum: ISOChecksum?) throws -> String {
        let target = target(for: url, checksum: sum)
        let dir = Paths.parent(target)
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw ToolError(.cantCreate, "\(dir): cannot create the cache directory")
        }
        let lock = open(target + ".lock", O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard lock >= 0 else { throw ToolError(.cantCreate, "\(target).lock: \(errnoText())") }
        defer { close(lock) }
        while flock(lock, LOCK_EX) != 0 {
            guard errno == EINTR else { throw ToolError(.cantCreate, "\(target).lock: \(errnoText())") }
        }
        if let sum, FileManager.default.fileExists(atPath: target) {
            if (try? sum.digest(ofFile: target)) == sum.value { return target }
            say("Checksum did not match, removing \(target)")
            unlink(target)
        }

        var template = Array("\(dir)/.\(Paths.last(target)).XXXXXX".utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard fd >= 0 else { throw ToolError(.cantCreate, "\(dir): cannot create a temporary file: \(errnoText())") }
        let partial = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        PartialFile.register(partial)
        var finished = false
        defer {
            if !finished { unlink(partial) }
            PartialFile.clear()
        }
        let mask = umask(0)
        umask(mask)
        fchmod(fd, 0o666 & ~mask)

        var hasher = sum?.makeHasher()
        var received: Int64 = 0
        let report = progress
        let response: HTTPResponse
        do {
            defer { close(fd) }
            response = try HTTPClient(options: http).download(HTTPRequest(method: "GET", url: url)) { piece, announced in
                try writeAll(fd: fd, piece, context: partial)
                hasher?.update(piece)
                received += Int64(piece.count)
                report?(received, announced)
            }
            guard response.isSuccess else { throw ISOFetch.statusError(url, response.status) }
            guard fsync(fd) == 0 else { throw ToolError(.cantCreate, "\(partial): \(errnoText())") }
        } catch let e as ToolError { throw ISOFetch.prefixed(e, url) }
        if let sum, let got = hasher?.finalize(), got != sum.value {
            say("Checksum did not match, removing \(target)")
            throw ToolError.data("\(HTTPClient.redactedURL(url)): \(sum.mismatch(got))")
        }
        guard rename(partial, target) == 0 else { throw ToolError(.cantCreate, "\(target): \(errnoText())") }
        finished = true
        return target
    }

    // MARK: - helpers

    /// A transport error names its URL already (HTTPClient); others get it here.
    static func prefixed(_ e: ToolError, _ url: String) -> ToolError {
        let shown = HTTPClient.redactedURL(url)
        return e.message.hasPrefix(shown) ? e : e.context(shown)
    }

    /// An HTTP status that is not a file: 404/410 missing (66), 5xx unavailable (69).
    static func statusError(_ url: String, _ status: Int) -> ToolError {
        let shown = HTTPClient.redactedURL(url)
        let reasons = [401: " Unauthorized", 403: " Forbidden", 404: " Not Found", 410: " Gone", 500: " Internal Server Error",
                       502: " Bad Gateway", 503: " Service Unavailable", 504: " Gateway Timeout"]
        let reason = reasons[status] ?? ""
        switch status {
        case 404, 410: return ToolError(.noInput, "\(shown): HTTP \(status)\(reason)")
        case 500...599: return ToolError(.unavailable, "\(shown): HTTP \(status)\(reason)")
        default: return ToolError.failed("\(shown): HTTP \(status)\(reason)")
        }
    }

    /// Every URL's failure in one error: 65 when a file did not match its checksum,
    /// else the last URL's status.
    static func combined(_ errors: [ToolError]) -> ToolError {
        guard let last = errors.last else { return ToolError.usage("no iso_urls given") }
        let status = errors.contains { $0.status == .dataError } ? ExitStatus.dataError : last.status
        return ToolError(status, errors.map(\.message).joined(separator: "; "))
    }

    static func hasScheme(_ url: String) -> Bool { url.contains("://") }

    static func isRemote(_ url: String) -> Bool {
        let lower = url.lowercased()
        return lower.hasPrefix("http://") || lower.hasPrefix("https://")
    }

    static func localPath(_ url: String) -> String {
        absolute(url.hasPrefix("file://") ? String(url.dropFirst(7)) : url)
    }

    /// The path of a URL (without query or fragment), percent-decoded.
    static func urlPath(_ url: String) -> String {
        guard let components = URLComponents(string: url) else { return url }
        return components.path
    }

    /// A path made absolute against the working directory, ".", ".." and symbolic links
    /// resolved (`Paths.standardized`).
    public static func absolute(_ path: String) -> String {
        Paths.standardized(path)
    }
}

/// The temporary file of a download in progress, so a signal handler can remove it.
public enum PartialFile {
    nonisolated(unsafe) private static var current: UnsafeMutablePointer<CChar>?

    /// Names the file being written.
    public static func register(_ path: String) {
        let old = current
        current = strdup(path)
        free(old)
    }

    /// Forgets it (renamed into place or removed).
    public static func clear() {
        let old = current
        current = nil
        free(old)
    }

    /// Removes it; safe in a signal handler (one unlink).
    public static func removeNow() {
        if let p = current { unlink(p) }
    }
}

/// The one-line progress of a download, for a terminal: `12.5 MiB / 640.0 MiB (1%) 3.2 MiB/s`.
public enum DownloadProgress {
    /// The line for `received` bytes of `total` (nil: unknown) after `elapsed` seconds.
    public static func line(received: Int64, total: Int64?, elapsed: Double) -> String {
        var text = size(received)
        if let total, total > 0 {
            text += " / \(size(total)) (\(min(100, received * 100 / total))%)"
        }
        if elapsed > 0 { text += " \(size(Int64(Double(received) / elapsed)))/s" }
        return text
    }

    /// Bytes in binary units with one decimal: `0 B`, `1.5 KiB`, `640.0 MiB`.
    public static func size(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        if bytes < 1024 { return "\(bytes) B" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10) \(units[unit])"
    }
}
