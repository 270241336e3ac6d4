import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif
import Dispatch

/// How a file goes to OSS.
public struct UploadSettings: Sendable {
    /// Part size in bytes (raised to fit 10,000 parts; at least 100 KiB).
    public var partSize: Int64 = 64 << 20
    /// Parts in flight at once.
    public var parallel = 4
    /// Where resumable-upload state files live (nil: no resume).
    public var stateDirectory: URL?

    /// Defaults: 64 MiB parts, 4 in flight, no state.
    public init(partSize: Int64 = 64 << 20, parallel: Int = 4, stateDirectory: URL? = nil) {
        self.partSize = partSize
        self.parallel = parallel
        self.stateDirectory = stateDirectory
    }
}

/// The outcome of an upload.
public struct UploadResult: Sendable, Equatable {
    /// The whole object's CRC-64 (checked against OSS's).
    public var crc64: UInt64
    /// Bytes in the object.
    public var size: Int64
    /// Parts in the object (1 for a single PutObject).
    public var parts: Int
    /// Parts found already uploaded by an earlier run and kept.
    public var resumedParts: Int
    /// The multipart upload id (nil for a single PutObject).
    public var uploadId: String?
}

/// What one upload of a file to `oss://bucket/key` remembers between runs, so the same
/// command continues an interrupted upload. Keyed by file path, size, mtime, bucket and key.
struct UploadState: Codable, Equatable {
    var path: String
    var size: Int64
    var mtime: Int64
    var bucket: String
    var key: String
    var uploadId: String
    var partSize: Int64
}

/// Uploads one local file to OSS: a PutObject for one part, otherwise a parallel multipart
/// upload in constant memory (each part is hashed in 1 MiB chunks, then streamed from the
/// file by libcurl), resumable through a small state file plus ListParts, with the whole
/// object's CRC-64 combined from the parts and checked against OSS's.
public final class DiskUpload: @unchecked Sendable {
    let client: OSSClient
    let bucket: String
    let key: String
    let path: String
    let settings: UploadSettings
    /// Bytes confirmed so far and the total; called from worker threads.
    public var progress: ((Int64, Int64) -> Void)?
    /// Notes for people (resume found, parts skipped).
    public var note: ((String) -> Void)?

    /// Prepares an upload of `path` to `oss://bucket/key`.
    public init(client: OSSClient, bucket: String, key: String, path: String, settings: UploadSettings) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.path = path
        self.settings = settings
    }

    var object: String { "oss://\(bucket)/\(key)" }

    /// The part size used for a file of `size` bytes.
    public static func effectivePartSize(_ requested: Int64, fileSize: Int64) -> Int64 {
        let minimum: Int64 = 100 << 10
        let forCount = (fileSize + 9999) / 10000
        return max(minimum, requested, forCount)
    }

    func fileIdentity() throws -> (size: Int64, mtime: Int64) {
        var st = stat()
        guard stat(path, &st) == 0 else { throw ToolError(.noInput, "\(path): \(errnoText())") }
        return (Int64(st.st_size), Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec))
    }

    func stateFile(size: Int64, mtime: Int64) -> URL? {
        guard let dir = settings.stateDirectory else { return nil }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let id = SHA256.hash("\(absolute)\n\(size)\n\(mtime)\n\(bucket)\n\(key)").hexString.prefix(32)
        return dir.appendingPathComponent("upload-\(id).json")
    }

    func loadState(_ url: URL?) -> UploadState? {
        guard let url, let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(UploadState.self, from: data)
    }

    func saveState(_ state: UploadState, to url: URL?) throws {
        guard let url else { return }
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
            try writeFile(url.path, JSONEncoder().encode(state), mode: 0o600)
        } catch let error as ToolError {
            throw error
        } catch {
            throw ToolError(.cantCreate, "\(url.path): \(errorText(error))")
        }
    }

    /// MD5 and CRC-64 of a file range, read in 1 MiB chunks.
    static func digest(path: String, offset: Int64, length: Int64) throws -> (md5: [UInt8], crc: UInt64) {
        var md5 = MD5()
        var crc = CRC64ECMA()
        var seen: Int64 = 0
        try FileChunks.read(path, offset: offset, length: length) {
            md5.update($0)
            crc.update($0)
            seen += Int64($0.count)
        }
        guard seen == length else { throw ToolError(.noInput, "\(path): shorter than expected (changed during the upload?)") }
        return (md5.finalize(), crc.value)
    }

    /// Uploads the file, continuing an earlier interrupted run of the same upload.
    public func run() throws -> UploadResult {
        let (size, mtime) = try fileIdentity()
        let partSize = DiskUpload.effectivePartSize(settings.partSize, fileSize: size)
        if size <= partSize { return try putWhole(size: size) }
        let stateURL = stateFile(size: size, mtime: mtime)
        var uploadId: String?
        var existing: [Int: OSSPart] = [:]
        if let state = loadState(stateURL), state.partSize == partSize {
            if let parts = try client.listParts(bucket: bucket, key: key, uploadId: state.uploadId) {
                uploadId = state.uploadId
                for p in parts { existing[p.number] = p }
                note?("\(object): resuming upload \(state.uploadId) (\(parts.count) parts already uploaded)")
            } else {
                note?("\(object): the earlier upload \(state.uploadId) is gone; starting again")
            }
        }
        if uploadId == nil {
            let id = try client.initiateMultipartUpload(bucket: bucket, key: key)
            try saveState(UploadState(path: path, size: size, mtime: mtime, bucket: bucket, key: key, uploadId: id, partSize: partSize),
                          to: stateURL)
            uploadId = id
        }
        let id = uploadId!
        let count = Int((size + partSize - 1) / partSize)
        let parts = try uploadParts(uploadId: id, size: size, partSize: partSize, count: count, existing: existing)
        var whole = CRC64ECMA().value
        for p in parts { whole = CRC64ECMA.combine(whole, p.crc64 ?? 0, length2: UInt64(p.size)) }
        let reported = try client.completeMultipartUpload(bucket: bucket, key: key, uploadId: id, parts: parts)
        if let url = stateURL { try? FileManager.default.removeItem(at: url) }
        if let reported, reported != whole {
            try? client.deleteObject(bucket: bucket, key: key)
            throw ToolError.failed("\(object): CRC-64 mismatch after upload (local \(whole), oss \(reported)); the object was deleted")
        }
        let resumed = parts.filter { existing[$0.number] != nil && existing[$0.number]!.etag.uppercased() == $0.etag.uppercased() }.count
        return UploadResult(crc64: whole, size: size, parts: count, resumedParts: resumed, uploadId: id)
    }

    private func putWhole(size: Int64) throws -> UploadResult {
        let (md5, crc) = try DiskUpload.digest(path: path, offset: 0, length: size)
        let (etag, reported) = try client.putObject(bucket: bucket, key: key, body: .file(path: path, offset: 0, length: size),
                                                    contentMD5: md5.base64String)
        if etag.lowercased() != md5.hexString {
            throw ToolError.failed("\(object): ETag \(etag) does not match the file's MD5 \(md5.hexString)")
        }
        if let reported, reported != crc {
            try? client.deleteObject(bucket: bucket, key: key)
            throw ToolError.failed("\(object): CRC-64 mismatch after upload (local \(crc), oss \(reported)); the object was deleted")
        }
        progress?(size, size)
        return UploadResult(crc64: crc, size: size, parts: 1, resumedParts: 0, uploadId: nil)
    }

    /// Runs `parallel` workers over the part numbers; the first error stops the rest.
    private func uploadParts(uploadId: String, size: Int64, partSize: Int64, count: Int,
                             existing: [Int: OSSPart]) throws -> [OSSPart] {
        let board = PartBoard(count: count)
        let workers = max(1, min(settings.parallel, count))
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            startThread(stackSize: 1 << 20) { [self] in
                defer { group.leave() }
                while let n = board.take() {
                    let offset = Int64(n - 1) * partSize
                    let length = min(partSize, size - offset)
                    do {
                        let part = try uploadPart(uploadId: uploadId, number: n, offset: offset, length: length, existing: existing[n])
                        let confirmed = board.finish(part)
                        progress?(confirmed, size)
                    } catch {
                        board.fail(error)
                        return
                    }
                }
            }
        }
        group.wait()
        return try board.result()
    }

    private func uploadPart(uploadId: String, number: Int, offset: Int64, length: Int64, existing: OSSPart?) throws -> OSSPart {
        let (md5, crc) = try DiskUpload.digest(path: path, offset: offset, length: length)
        if let existing, existing.size == length, existing.etag.lowercased() == md5.hexString {
            return OSSPart(number: number, etag: existing.etag, size: length, crc64: crc)
        }
        var attempt = 0
        while true {
            attempt += 1
            do {
                let (etag, reported) = try client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, number: number,
                                                             body: .file(path: path, offset: offset, length: length),
                                                             contentMD5: md5.base64String)
                if etag.lowercased() != md5.hexString {
                    throw ToolError.failed("\(object): part \(number): ETag \(etag) does not match its MD5 \(md5.hexString)")
                }
                if let reported, reported != crc {
                    throw ToolError.failed("\(object): part \(number): CRC-64 mismatch (local \(crc), oss \(reported))")
                }
                return OSSPart(number: number, etag: etag, size: length, crc64: crc)
            } catch let error as OSSError where error.code == "InvalidDigest" && attempt < 2 {
                continue  // the bytes changed on the way: send the part once more
            } catch let error as OSSError {
                throw error.toolError("\(object): part \(number)")
            }
        }
    }

    /// Aborts the upload an earlier run of the same command left (state file), if any;
    /// returns its id.
    public func abort() throws -> String? {
        let (size, mtime) = try fileIdentity()
        let url = stateFile(size: size, mtime: mtime)
        guard let state = loadState(url) else { return nil }
        try client.abortMultipartUpload(bucket: bucket, key: key, uploadId: state.uploadId)
        if let url { try? FileManager.default.removeItem(at: url) }
        return state.uploadId
    }
}

/// The shared work list of the part workers.
final class PartBoard: @unchecked Sendable {
    private let lock = Lock()
    private var next = 1
    private let count: Int
    private var done: [OSSPart?]
    private var failure: Error?
    private var confirmed: Int64 = 0

    init(count: Int) {
        self.count = count
        done = Array(repeating: nil, count: count + 1)
    }

    /// The next part number to send, or nil when all are taken or one failed.
    func take() -> Int? {
        lock.lock()
        defer { lock.unlock() }
        guard failure == nil, next <= count else { return nil }
        next += 1
        return next - 1
    }

    /// Records a finished part; returns the bytes confirmed so far.
    func finish(_ part: OSSPart) -> Int64 {
        lock.lock()
        defer { lock.unlock() }
        done[part.number] = part
        confirmed += part.size
        return confirmed
    }

    /// Records the first failure.
    func fail(_ error: Error) {
        lock.lock()
        if failure == nil { failure = error }
        lock.unlock()
    }

    /// Every part in order, or the first failure.
    func result() throws -> [OSSPart] {
        lock.lock()
        defer { lock.unlock() }
        if let failure { throw failure }
        return done.compactMap { $0 }
    }
}
