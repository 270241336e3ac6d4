// What the toolkit used from the whole of Foundation, on FoundationEssentials, Dispatch and
// Glibc alone: a program that imports Foundation links ICU and its data (58 MB), one that
// imports FoundationEssentials does not (14 MB stripped). Each piece here behaves as the
// Foundation call it replaces did for the toolkit's uses; ShimTests holds them to Foundation.
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

// MARK: strings

extension Unicode.Scalar {
    /// In Foundation's `CharacterSet.whitespaces`: tab and the space separators (Zs).
    public var isBlank: Bool { value == 9 || properties.generalCategory == .spaceSeparator }

    /// In `CharacterSet.whitespacesAndNewlines`: blanks, U+000A–U+000D, U+0085, U+2028, U+2029.
    public var isBlankOrNewline: Bool {
        isBlank || (0x0A...0x0D).contains(value) || value == 0x85 || value == 0x2028 || value == 0x2029
    }
}

extension StringProtocol {
    /// The string without leading and trailing scalars for which `drop` holds.
    public func trimming(where drop: (Unicode.Scalar) -> Bool) -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !drop($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !drop($0) })!
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: scalars[first...last])
        return String(kept)
    }

    /// Without leading and trailing tabs and spaces (`trimmingCharacters(in: .whitespaces)`).
    public func trimmingBlanks() -> String { trimming(where: \.isBlank) }

    /// Without leading and trailing white space and line ends (`.whitespacesAndNewlines`).
    public func trimmingSpace() -> String { trimming(where: \.isBlankOrNewline) }

    /// Every occurrence of `target` replaced, compared byte for byte in UTF-8 (a "\n" is
    /// found inside "\r\n", as `replacingOccurrences(of:with:)` finds it).
    public func replacingText(_ target: some StringProtocol, with replacement: some StringProtocol) -> String {
        let bytes = Array(utf8), needle = Array(target.utf8)
        guard !needle.isEmpty, bytes.count >= needle.count else { return String(self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == needle[0], i + needle.count <= bytes.count, bytes[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Whether `target` occurs, compared byte for byte in UTF-8.
    public func containsText(_ target: some StringProtocol) -> Bool { rangeOfText(target) != nil }

    /// The first occurrence of `target`, compared byte for byte in UTF-8 (nil when absent
    /// or when `target` is empty, as `range(of:)`).
    public func rangeOfText(_ target: some StringProtocol) -> Range<String.Index>? {
        let needle = Array(target.utf8)
        guard !needle.isEmpty else { return nil }
        let bytes = utf8
        var start = bytes.startIndex
        while start != bytes.endIndex {
            if bytes[start...].starts(with: needle) { return start..<bytes.index(start, offsetBy: needle.count) }
            start = bytes.index(after: start)
        }
        return nil
    }

    /// `%XX` escapes decoded; nil when one is malformed or the result is not UTF-8
    /// (`removingPercentEncoding`).
    public var percentDecoded: String? {
        var out: [UInt8] = []
        var it = utf8.makeIterator()
        while let b = it.next() {
            guard b == UInt8(ascii: "%") else { out.append(b); continue }
            guard let h = it.next().flatMap(hexValue), let l = it.next().flatMap(hexValue) else { return nil }
            out.append(h << 4 | l)
        }
        return String(validating: out, as: UTF8.self)
    }
}

private func hexValue(_ b: UInt8) -> UInt8? {
    switch b {
    case 48...57: return b - 48
    case 65...70: return b - 55
    case 97...102: return b - 87
    default: return nil
    }
}

/// `String(format:)` for the C conversions the toolkit prints (`%d`, `%02d`, `%.1f`, `%llX`...),
/// formatted by the C library in the C locale as Foundation did.
public func cFormat(_ format: String, _ arguments: CVarArg...) -> String {
    var size = 256
    while true {
        var buffer = [CChar](repeating: 0, count: size)
        let n = Int(withVaList(arguments) { vsnprintf(&buffer, size, format, $0) })
        if n < 0 { return format }
        if n < size { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        size = n + 1
    }
}

/// The C library's message for an errno value.
public func errnoText(_ code: Int32 = errno) -> String { String(decoding: strerrorBytes(code), as: UTF8.self) }

private func strerrorBytes(_ code: Int32) -> [UInt8] {
    guard let p = strerror(code) else { return Array("errno \(code)".utf8) }
    return Array(UnsafeBufferPointer(start: UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self), count: strlen(p)))
}

// MARK: paths (NSString's path methods on plain strings)

public enum Paths {
    /// The last component: "/a/b/" → "b", "/" → "/", "" → "".
    public static func last(_ path: String) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        if let p = parts.last { return String(p) }
        return path.hasPrefix("/") ? "/" : ""
    }

    /// Without its last component: "/a/b" → "/a", "/a" → "/", "a" → "", "/" → "/".
    public static func parent(_ path: String) -> String {
        var parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let absolute = path.hasPrefix("/")
        guard !parts.isEmpty else { return absolute ? "/" : "" }
        parts.removeLast()
        let joined = parts.joined(separator: "/")
        return absolute ? "/" + joined : joined
    }

    /// `base` and `name` joined by one slash ("a/" + "b" → "a/b", "" + "b" → "b").
    public static func join(_ base: String, _ name: String) -> String {
        if base.isEmpty { return name }
        if name.isEmpty { return base }
        let b = base.hasSuffix("/") && base != "/" ? String(base.dropLast()) : base
        let n = name.hasPrefix("/") ? String(name.drop(while: { $0 == "/" })) : name
        return b == "/" ? "/" + n : b + "/" + n
    }

    /// The extension of the last component without its dot ("a/b.tar.gz" → "gz"), or "".
    public static func ext(_ path: String) -> String {
        let name = last(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return String(name[name.index(after: dot)...])
    }

    /// The user's home directory: $HOME, else the password database's entry.
    public static func home() -> String {
        if let h = getenv("HOME"), h.pointee != 0 { return String(cString: h) }
        if let pw = getpwuid(getuid()), let dir = pw.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    /// The directory for temporary files, with a trailing slash: $TMPDIR or /tmp/
    /// (`NSTemporaryDirectory()`).
    public static func temporary() -> String {
        var t = "/tmp"
        if let v = getenv("TMPDIR"), v.pointee != 0 { t = String(cString: v) }
        return t.hasSuffix("/") ? t : t + "/"
    }

    /// Whether `path` names a directory (following symbolic links).
    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

// MARK: threads and locks

/// A mutual-exclusion lock (what NSLock was used for).
public final class Lock: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)

    public init() { pthread_mutex_init(mutex, nil) }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }

    /// `body` run with the lock held.
    public func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock()
        defer { unlock() }
        return try body()
    }
}

/// A lock with a condition variable (what NSCondition was used for).
public final class Condition: @unchecked Sendable {
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    public init() {
        pthread_mutex_init(mutex, nil)
        var attr = pthread_condattr_t()
        pthread_condattr_init(&attr)
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC)
        pthread_cond_init(cond, &attr)
        pthread_condattr_destroy(&attr)
    }

    deinit {
        pthread_cond_destroy(cond)
        pthread_mutex_destroy(mutex)
        cond.deallocate()
        mutex.deallocate()
    }

    public func lock() { pthread_mutex_lock(mutex) }
    public func unlock() { pthread_mutex_unlock(mutex) }
    public func signal() { pthread_cond_signal(cond) }
    public func broadcast() { pthread_cond_broadcast(cond) }

    /// Waits, the lock held, until signalled (or woken spuriously: callers loop on their predicate).
    public func wait() { pthread_cond_wait(cond, mutex) }

    /// Waits at most `seconds`; false when the time ran out.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let total = Double(now.tv_sec) + Double(now.tv_nsec) / 1e9 + max(0, seconds)
        var deadline = timespec(tv_sec: Int(total), tv_nsec: Int((total - Double(Int(total))) * 1e9))
        return pthread_cond_timedwait(cond, mutex, &deadline) == 0
    }
}

/// Sleeps for `seconds` (resumed after signals until the time has passed).
public func sleepSeconds(_ seconds: Double) {
    guard seconds > 0 else { return }
    var t = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
    var left = timespec()
    while nanosleep(&t, &left) != 0 && errno == EINTR { t = left }
}

private final class ThreadBody {
    let run: () -> Void
    init(_ run: @escaping () -> Void) { self.run = run }
}

/// Runs `body` on a new detached thread.
public func startThread(stackSize: Int = 0, _ body: @escaping @Sendable () -> Void) {
    // Allocated, not a local: the C struct's zero initializer is not visible from Glibc alone.
    let attr = UnsafeMutablePointer<pthread_attr_t>.allocate(capacity: 1)
    pthread_attr_init(attr)
    defer {
        pthread_attr_destroy(attr)
        attr.deallocate()
    }
    pthread_attr_setdetachstate(attr, Int32(PTHREAD_CREATE_DETACHED))
    if stackSize > 0 { pthread_attr_setstacksize(attr, stackSize) }
    let box = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
    var thread: pthread_t = 0
    let rc = pthread_create(&thread, attr, { raw in
        let body = Unmanaged<ThreadBody>.fromOpaque(raw!).takeRetainedValue()
        body.run()
        return nil
    }, box)
    if rc != 0 {
        Unmanaged<ThreadBody>.fromOpaque(box).release()
        fatalError("cannot start a thread: \(errnoText(rc))")
    }
}

// MARK: reading whole files and streams

/// Everything readable from `fd` until end of file.
public func readAll(fd: Int32) throws -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 {
            if errno == EINTR { continue }
            throw ToolError(.ioError, "read: \(errnoText())")
        }
        if n == 0 { return out }
        out.append(contentsOf: buffer[0..<n])
    }
}

// MARK: writing whole files

/// Writes all of `bytes` to `fd`, again after a short write or EINTR; a failure is
/// `context: strerror`.
public func writeAll(fd: Int32, _ bytes: UnsafeRawBufferPointer, context: String) throws {
    var offset = 0
    while offset < bytes.count {
        let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
        if n < 0 {
            if errno == EINTR { continue }
            throw ToolError(.cantCreate, "\(context): \(errnoText())")
        }
        offset += n
    }
}

/// Writes `bytes` to `path` with permissions `mode` (exactly, whatever the umask), replacing
/// the file in one step: they go to a new file beside it (O_EXCL, so never through a link
/// someone planted) that is then renamed over it. The one way the tools write a whole file
/// (it replaced `Data.write`, `String.write` and `FileManager.createFile` + rename).
public func writeFile(_ path: String, _ bytes: some Collection<UInt8>, mode: mode_t = 0o644) throws {
    let slash = path.lastIndex(of: "/")
    let dir = slash.map { String(path[...$0]) } ?? ""
    let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
    let temp = "\(dir).\(name).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
    guard fd >= 0 else { throw ToolError(.cantCreate, "\(path): cannot write: \(errnoText())") }
    do {
        if fchmod(fd, mode) != 0 { throw ToolError(.cantCreate, "\(path): cannot write: \(errnoText())") }
        try Array(bytes).withUnsafeBytes { try writeAll(fd: fd, $0, context: "\(path): cannot write") }
    } catch {
        close(fd)
        unlink(temp)
        throw error
    }
    if close(fd) != 0 || rename(temp, path) != 0 {
        let failure = errno
        unlink(temp)
        throw ToolError(.cantCreate, "\(path): cannot write: \(errnoText(failure))")
    }
}

// MARK: the environment

/// The process environment. `ProcessInfo.environment` in FoundationEssentials finds each
/// entry's `=` by Character, which was ecs-call's largest start-up cost after the dynamic
/// loader (1.3 M of its 22 M instructions; issue 16); this reads `environ` by byte. Like
/// `getenv`, the first of two entries with one name wins; an entry without `=` is skipped.
public enum ProcessEnvironment {
    /// Every variable, read now (a later `setenv` is seen by the next read).
    public static var current: [String: String] {
        var result: [String: String] = [:]
        // environ is NULL after clearenv(), though Glibc's module types it non-optional.
        guard UInt(bitPattern: environ) != 0 else { return result }
        var entry = environ
        while let pointer = entry.pointee {
            let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: strlen(pointer))
            if let eq = bytes.firstIndex(of: UInt8(ascii: "=")) {
                let name = String(decoding: bytes[..<eq], as: UTF8.self)
                if result[name] == nil { result[name] = String(decoding: bytes[(eq + 1)...], as: UTF8.self) }
            }
            entry += 1
        }
        return result
    }

    /// One variable's value, or nil when it is not set.
    public static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }
}

// MARK: dates

public enum HTTPDate {
    private static let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// RFC 1123 in GMT: "Sun, 06 Nov 1994 08:49:37 GMT".
    public static func format(_ date: Date) -> String {
        var t = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&t, &tm)
        return days[Int(tm.tm_wday)] + cFormat(", %02d ", tm.tm_mday) + months[Int(tm.tm_mon)]
            + cFormat(" %04d %02d:%02d:%02d GMT", tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec)
    }

    /// Reads the RFC 1123 form (the one HTTP and OSS send); nil for anything else.
    public static func parse(_ text: String) -> Date? {
        let f = text.split(separator: " ")
        guard f.count == 6, f[5] == "GMT", f[0].hasSuffix(","), days.contains(String(f[0].dropLast())),
              let day = Int(f[1]), let month = months.firstIndex(of: String(f[2])), let year = Int(f[3]) else { return nil }
        let hms = f[4].split(separator: ":").compactMap { Int($0) }
        guard hms.count == 3, (1...31).contains(day), (0...23).contains(hms[0]), (0...59).contains(hms[1]), (0...60).contains(hms[2]) else {
            return nil
        }
        var tm = tm()
        tm.tm_year = Int32(year - 1900)
        tm.tm_mon = Int32(month)
        tm.tm_mday = Int32(day)
        tm.tm_hour = Int32(hms[0])
        tm.tm_min = Int32(hms[1])
        tm.tm_sec = Int32(hms[2])
        return Date(timeIntervalSince1970: TimeInterval(timegm(&tm)))
    }
}
