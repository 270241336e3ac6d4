import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// A disk image format ImportImage accepts.
public enum DiskFormat: String, Sendable, CaseIterable {
    /// QEMU copy-on-write v2/v3.
    case qcow2
    /// Microsoft Virtual Hard Disk (fixed or dynamic).
    case vhd
    /// A plain disk: every byte of the file is a byte of the disk.
    case raw

    /// The spelling ImportImage wants (`QCOW2`, `VHD`, `RAW`).
    public var apiName: String { rawValue.uppercased() }
}

/// What a disk file's header says about it.
public struct DiskImageInfo: Sendable, Equatable {
    /// The format.
    public var format: DiskFormat
    /// The size of the disk the guest sees, in bytes.
    public var virtualSize: Int64
    /// The file's size in bytes.
    public var fileSize: Int64
    /// A detail for messages (`qcow2 v3`, `vhd dynamic`).
    public var detail: String

    /// The virtual size in whole GiB, rounded up (at least 1).
    public var virtualSizeGiB: Int64 { max(1, (virtualSize + (1 << 30) - 1) >> 30) }
}

/// Format detection from a file's header (qcow2 magic, VHD footer) without reading the disk.
public enum DiskImage {
    /// Reads the file's header and footer and says what it is; `raw` for anything not
    /// recognised as another format. Fails (65) on formats ImportImage cannot take here
    /// (VMDK, VHDX, an ISO installer, a differencing VHD) and on a damaged header.
    public static func inspect(path: String) throws -> DiskImageInfo {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ToolError(.noInput, "\(path): \(errnoText())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ToolError(.noInput, "\(path): \(errnoText())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ToolError(.noInput, "\(path): not a regular file") }
        let size = Int64(st.st_size)
        return try inspect(name: path, size: size) { offset, count in
            var buf = [UInt8](repeating: 0, count: count)
            let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, count, off_t(offset)) }
            if n < 0 { throw ToolError(.noInput, "\(path): \(errnoText())") }
            return Array(buf[0..<n])
        }
    }

    /// The same for bytes stored some other way (an emulated OSS object kept as its parts):
    /// `read(offset, count)` returns up to `count` bytes at `offset`, with `0 <= offset < size`.
    public static func inspect(name: String, size: Int64, read: (Int64, Int) throws -> [UInt8]) throws -> DiskImageInfo {
        guard size > 0 else { throw ToolError.data("\(name): empty file") }
        func at(_ offset: Int64, _ count: Int) throws -> [UInt8] {
            guard offset >= 0, offset < size else { return [] }
            return try read(offset, count)
        }
        let head = try at(0, 512)
        let footer = size >= 512 ? try at(size - 512, 512) : []
        return try classify(head: head, footer: footer, fileSize: size, path: name, iso: try at(0x8001, 5))
    }

    /// The detection itself, on bytes already read (tests feed it directly).
    public static func classify(head: [UInt8], footer: [UInt8], fileSize: Int64, path: String, iso: [UInt8] = []) throws -> DiskImageInfo {
        if head.starts(with: [0x51, 0x46, 0x49, 0xfb]) {  // "QFI\xfb"
            guard head.count >= 32 else { throw ToolError.data("\(path): truncated qcow2 header") }
            let version = be32(head, 4)
            guard version == 2 || version == 3 else { throw ToolError.data("\(path): qcow2 version \(version) is not supported (2 or 3)") }
            let virtual = Int64(bitPattern: be64(head, 24))
            guard virtual > 0 else { throw ToolError.data("\(path): qcow2 header gives a virtual size of \(virtual)") }
            if be32(head, 32) != 0 { throw ToolError.data("\(path): encrypted qcow2 images cannot be imported") }
            return DiskImageInfo(format: .qcow2, virtualSize: virtual, fileSize: fileSize, detail: "qcow2 v\(version)")
        }
        if head.starts(with: Array("vhdxfile".utf8)) { throw ToolError.data("\(path): a VHDX image; convert it to VHD or qcow2 first") }
        if head.starts(with: Array("KDMV".utf8)) || head.starts(with: Array("# Disk DescriptorFile".utf8)) {
            throw ToolError.data("\(path): a VMDK image; convert it with qemu-img to qcow2 first")
        }
        if iso == Array("CD001".utf8) { throw ToolError.data("\(path): an ISO 9660 image (an installer), not a disk") }
        // A VHD ends with a 512-byte footer ("conectix"); a dynamic VHD also starts with a copy.
        for candidate in [footer, head] where candidate.starts(with: Array("conectix".utf8)) && candidate.count >= 512 {
            let f = candidate
            var sum: UInt32 = 0
            for (i, b) in f.enumerated() where !(64..<68).contains(i) { sum &+= UInt32(b) }
            if ~sum != be32(f, 64) { throw ToolError.data("\(path): VHD footer checksum does not match (damaged file?)") }
            let current = Int64(bitPattern: be64(f, 48))
            let type = be32(f, 60)
            switch type {
            case 2:
                guard current + 512 <= fileSize else {
                    throw ToolError.data("\(path): fixed VHD says \(current) bytes but the file has \(fileSize)")
                }
                return DiskImageInfo(format: .vhd, virtualSize: current, fileSize: fileSize, detail: "vhd fixed")
            case 3:
                return DiskImageInfo(format: .vhd, virtualSize: current, fileSize: fileSize, detail: "vhd dynamic")
            case 4: throw ToolError.data("\(path): a differencing VHD cannot be imported (merge it first)")
            default: throw ToolError.data("\(path): VHD disk type \(type) is not supported")
            }
        }
        return DiskImageInfo(format: .raw, virtualSize: fileSize, fileSize: fileSize, detail: "raw")
    }

    static func be32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) }
    }

    static func be64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(b[at + $1]) }
    }
}
