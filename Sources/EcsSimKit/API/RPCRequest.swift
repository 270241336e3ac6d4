import FoundationEssentials

/// The RPC products ecs-sim serves, chosen by the request's Version.
public enum Product: String, Sendable, CaseIterable {
    case ecs = "Ecs"
    case vpc = "Vpc"
    case sts = "Sts"
    case ram = "Ram"

    /// The product answering API version `version`, or nil.
    public static func forVersion(_ version: String) -> Product? {
        switch version {
        case "2014-05-26": return .ecs
        case "2016-04-28": return .vpc
        case "2015-04-01": return .sts
        case "2015-05-01": return .ram
        default: return nil
        }
    }

    /// The HostId reported in error bodies.
    var hostId: String {
        switch self {
        case .ecs: return "ecs.aliyuncs.com"
        case .vpc: return "vpc.aliyuncs.com"
        case .sts: return "sts.aliyuncs.com"
        case .ram: return "ram.aliyuncs.com"
        }
    }
}

/// Percent-decoding and the form/query syntax of RPC requests.
public enum FormCodec {
    /// Decodes `a=b&c=d` (form or query syntax, `+` is a space) into pairs, in order.
    public static func decode(_ text: String) -> [(String, String)] {
        guard !text.isEmpty else { return [] }
        var out: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            if let eq = part.firstIndex(of: "=") {
                out.append((unescape(part[..<eq]), unescape(part[part.index(after: eq)...])))
            } else {
                out.append((unescape(part), ""))
            }
        }
        return out
    }

    /// Undoes percent-encoding (`+` means a space); invalid escapes are kept as typed.
    public static func unescape<S: StringProtocol>(_ s: S) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "+") {
                bytes.append(32)
            } else if b == UInt8(ascii: "%"), it.count >= 2, let hi = hexValue(it[it.startIndex]), let lo = hexValue(it[it.startIndex + 1]) {
                bytes.append(hi << 4 | lo)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 48...57: return b - 48
        case 65...70: return b - 55
        case 97...102: return b - 87
        default: return nil
        }
    }
}

/// One RPC call as the engine sees it: its action, version, product and parameters.
public struct RPCCall: Sendable {
    /// The action name.
    public var action: String
    /// The API version.
    public var version: String
    /// The product.
    public var product: Product
    /// Every parameter (query + form body), including the signing ones.
    public var params: Params
    /// The AccessKeyId the call was signed with.
    public var accessKeyId: String

    /// Makes a call (tests build these directly).
    public init(action: String, version: String = "2014-05-26", product: Product = .ecs, params: [String: String], accessKeyId: String = "") {
        self.action = action
        self.version = version
        self.product = product
        self.params = Params(params)
        self.accessKeyId = accessKeyId
    }
}
