import Foundation
import Testing
@testable import AlicloudKit

@Suite struct DiskImageTests {
    func qcow2Header(version: UInt32 = 3, size: UInt64, encrypted: UInt32 = 0) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: 512)
        h[0..<4] = [0x51, 0x46, 0x49, 0xfb]
        for i in 0..<4 { h[4 + i] = UInt8(truncatingIfNeeded: version >> (24 - 8 * i)) }
        for i in 0..<8 { h[24 + i] = UInt8(truncatingIfNeeded: size >> (56 - 8 * i)) }
        for i in 0..<4 { h[32 + i] = UInt8(truncatingIfNeeded: encrypted >> (24 - 8 * i)) }
        return h
    }

    /// A VHD footer as qemu-img writes it (disk type 2 fixed, 3 dynamic, 4 differencing).
    static func vhdFooter(size: UInt64, type: UInt32, breakChecksum: Bool = false) -> [UInt8] {
        var f = [UInt8](repeating: 0, count: 512)
        f[0..<8] = ArraySlice("conectix".utf8)
        for i in 0..<8 { f[40 + i] = UInt8(truncatingIfNeeded: size >> (56 - 8 * i)) }
        for i in 0..<8 { f[48 + i] = UInt8(truncatingIfNeeded: size >> (56 - 8 * i)) }
        for i in 0..<4 { f[60 + i] = UInt8(truncatingIfNeeded: type >> (24 - 8 * i)) }
        var sum: UInt32 = 0
        for b in f { sum &+= UInt32(b) }
        let check = breakChecksum ? ~sum &+ 1 : ~sum
        for i in 0..<4 { f[64 + i] = UInt8(truncatingIfNeeded: check >> (24 - 8 * i)) }
        return f
    }

    @Test func qcow2() throws {
        let info = try DiskImage.classify(head: qcow2Header(size: 20 << 30), footer: [], fileSize: 200_000, path: "d")
        #expect(info.format == .qcow2 && info.virtualSize == 20 << 30 && info.virtualSizeGiB == 20 && info.detail == "qcow2 v3")
        #expect(throws: ToolError.self) { try DiskImage.classify(head: qcow2Header(version: 9, size: 1), footer: [], fileSize: 512, path: "d") }
        #expect(throws: ToolError.self) { try DiskImage.classify(head: qcow2Header(size: 1 << 30, encrypted: 1), footer: [], fileSize: 512, path: "d") }
        #expect(throws: ToolError.self) { try DiskImage.classify(head: Array(qcow2Header(size: 1).prefix(16)), footer: [], fileSize: 16, path: "d") }
    }

    @Test func vhd() throws {
        let fixed = try DiskImage.classify(head: [UInt8](repeating: 0, count: 512), footer: Self.vhdFooter(size: 1 << 20, type: 2),
                                           fileSize: (1 << 20) + 512, path: "d")
        #expect(fixed.format == .vhd && fixed.virtualSize == 1 << 20 && fixed.detail == "vhd fixed")
        let dynamic = try DiskImage.classify(head: Self.vhdFooter(size: 3 << 30, type: 3), footer: Self.vhdFooter(size: 3 << 30, type: 3),
                                             fileSize: 70_000, path: "d")
        #expect(dynamic.format == .vhd && dynamic.virtualSizeGiB == 3 && dynamic.detail == "vhd dynamic")
        #expect(throws: ToolError.self) {
            try DiskImage.classify(head: [], footer: Self.vhdFooter(size: 1 << 20, type: 2, breakChecksum: true), fileSize: (1 << 20) + 512, path: "d")
        }
        #expect(throws: ToolError.self) { try DiskImage.classify(head: [], footer: Self.vhdFooter(size: 1 << 20, type: 4), fileSize: 4096, path: "d") }
        // A fixed VHD whose footer claims more than the file holds is damaged.
        #expect(throws: ToolError.self) { try DiskImage.classify(head: [], footer: Self.vhdFooter(size: 1 << 30, type: 2), fileSize: 4096, path: "d") }
    }

    @Test func rawAndRefusals() throws {
        var mbr = [UInt8](repeating: 0, count: 512)
        mbr[510] = 0x55
        mbr[511] = 0xaa
        let raw = try DiskImage.classify(head: mbr, footer: mbr, fileSize: 3 << 30, path: "d")
        #expect(raw.format == .raw && raw.virtualSize == 3 << 30)
        #expect(throws: ToolError.self) { try DiskImage.classify(head: Array("KDMV".utf8) + [0, 0], footer: [], fileSize: 6, path: "d") }
        #expect(throws: ToolError.self) { try DiskImage.classify(head: Array("vhdxfile".utf8), footer: [], fileSize: 8, path: "d") }
        #expect(throws: ToolError.self) { try DiskImage.classify(head: mbr, footer: mbr, fileSize: 1 << 20, path: "d", iso: Array("CD001".utf8)) }
    }

    @Test func inspectsFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("diskimage-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let q = dir.appendingPathComponent("a.qcow2")
        try Data(qcow2Header(version: 2, size: 8 << 30) + [UInt8](repeating: 1, count: 4096)).write(to: q)
        #expect(try DiskImage.inspect(path: q.path).format == .qcow2)
        let v = dir.appendingPathComponent("a.vhd")
        try Data([UInt8](repeating: 7, count: 4096) + Self.vhdFooter(size: 4096, type: 2)).write(to: v)
        #expect(try DiskImage.inspect(path: v.path) == DiskImageInfo(format: .vhd, virtualSize: 4096, fileSize: 4608, detail: "vhd fixed"))
        let e = dir.appendingPathComponent("empty.raw")
        try Data().write(to: e)
        #expect(throws: ToolError.self) { try DiskImage.inspect(path: e.path) }
        do {
            _ = try DiskImage.inspect(path: dir.appendingPathComponent("missing").path)
            Issue.record("a missing file was accepted")
        } catch let error as ToolError {
            #expect(error.status == .noInput)
        }
        do {
            _ = try DiskImage.inspect(path: dir.path)
            Issue.record("a directory was accepted")
        } catch let error as ToolError {
            #expect(error.status == .noInput)
        }
    }
}
