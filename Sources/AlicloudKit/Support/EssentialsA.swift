// Replacements for Foundation calls that Essentials.swift does not cover, used by the
// template engine (partition A of issue 16). EssentialsShimATests holds them to Foundation.
import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Conversion between UTF-8 and a legacy character set through the C library's iconv:
/// FoundationEssentials converts only the Unicode forms, US-ASCII and ISO-8859-1 (the
/// other `String.Encoding`s need ICU, which it does not link).
public enum Iconv {
    /// `bytes` in `charset` (an iconv name such as "CP1252"), or nil when a scalar has no
    /// byte sequence there or the character set is unknown.
    public static func encode(_ text: String, to charset: String) -> [UInt8]? {
        convert(Array(text.utf8), from: "UTF-8", to: charset)
    }

    /// The text of `bytes` in `charset`, or nil when they are not valid there.
    public static func decode(_ bytes: [UInt8], from charset: String) -> String? {
        convert(bytes, from: charset, to: "UTF-8").map { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes converted; nil on an invalid or unconvertible sequence (iconv's EILSEQ or
    /// a truncated one, EINVAL) or an unknown character set.
    static func convert(_ input: [UInt8], from source: String, to target: String) -> [UInt8]? {
        let cd = iconv_open(target, source)
        if cd == iconv_t(bitPattern: -1) { return nil }
        defer { iconv_close(cd) }
        var inBytes = input.map { CChar(bitPattern: $0) }
        var out: [UInt8] = []
        var buffer = [CChar](repeating: 0, count: 4096)
        return inBytes.withUnsafeMutableBufferPointer { inBuffer -> [UInt8]? in
            var inPointer: UnsafeMutablePointer<CChar>? = inBuffer.baseAddress
            var inLeft = inBuffer.count
            while true {
                let (result, produced) = buffer.withUnsafeMutableBufferPointer { outBuffer -> (Int, Int) in
                    var outPointer: UnsafeMutablePointer<CChar>? = outBuffer.baseAddress
                    var outLeft = outBuffer.count
                    // After the input, a call with none flushes any pending shift state.
                    let r = inLeft > 0 ? iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft)
                                       : iconv(cd, nil, nil, &outPointer, &outLeft)
                    return (r, outBuffer.count - outLeft)
                }
                out.append(contentsOf: buffer[0..<produced].map { UInt8(bitPattern: $0) })
                if result == -1 {
                    if errno == E2BIG { continue }
                    return nil
                }
                if inLeft == 0 {
                    // The flush call has run when nothing was produced by it.
                    if produced == 0 { return out }
                }
            }
        }
    }
}
