import FoundationEssentials

/// An RPC-style product: its API version and regional endpoint rule (ref §3).
public struct CloudProduct: Sendable, Equatable {
    /// The short name (`ecs`, `vpc`, ...).
    public var name: String
    /// The API version (`2014-05-26` for ECS).
    public var version: String

    /// The products with a known API version.
    public static let versions: [String: String] = [
        "ecs": "2014-05-26", "vpc": "2016-04-28", "ram": "2015-05-01", "sts": "2015-04-01",
        "slb": "2014-05-15", "kms": "2016-01-20", "resourcemanager": "2020-03-31",
        "cms": "2019-01-01", "actiontrail": "2020-07-06", "alidns": "2015-01-09",
    ]

    /// A product by name; an unknown product needs an explicit version.
    public static func named(_ name: String, version: String? = nil) throws -> CloudProduct {
        let n = name.lowercased()
        // Checked by hand: an ICU regex costs milliseconds of start-up per process.
        guard let f = n.unicodeScalars.first, ("a"..."z").contains(f),
            n.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" })
        else {
            throw ToolError.usage("--product \(name): not a product name")
        }
        guard let v = version ?? versions[n] else {
            throw ToolError.usage("--product \(name): unknown API version; give --api-version")
        }
        return CloudProduct(name: n, version: v)
    }

    /// The HTTPS endpoint for a region: `ecs.<region>.aliyuncs.com`; VPC in cn-hangzhou
    /// and RAM/STS globally use the central host.
    public func endpoint(region: String?) -> String {
        let host: String
        switch (name, region) {
        case (_, nil), ("ram", _), ("sts", _), ("resourcemanager", _), ("alidns", _):
            host = "\(name).aliyuncs.com"
        case ("vpc", "cn-hangzhou"?):
            host = "vpc.aliyuncs.com"
        case (_, let r?):
            host = "\(name).\(r).aliyuncs.com"
        }
        return "https://\(host)"
    }
}

/// A checked endpoint URL: `http(s)://host[:port][/path]`.
public struct EndpointURL: Sendable, Equatable {
    /// `http` or `https`.
    public var scheme: String
    /// The host name or address.
    public var host: String
    /// An explicit port, if any.
    public var port: Int?
    /// The path, `/` by default.
    public var path: String

    /// Parses an endpoint; anything that is not an http(s) URL is a usage error (64).
    /// A bare host name means HTTPS.
    public init(_ text: String) throws {
        // Parsed by hand (URLComponents pulls in ICU's IDNA at start-up).
        let bad = ToolError.usage("endpoint \(text): not an http(s) URL")
        var rest = Substring(text)
        var scheme = "https"
        if let r = rest.firstRange(of: "://") {
            scheme = rest[..<r.lowerBound].lowercased()
            rest = rest[r.upperBound...]
        }
        guard scheme == "http" || scheme == "https" else { throw bad }
        let authority = rest.prefix { $0 != "/" }
        let path = rest.dropFirst(authority.count)
        guard !authority.isEmpty, !text.contains("?"), !text.contains("#"), !authority.contains("@"),
            !text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value >= 0x7f })
        else { throw bad }
        var host = Substring(authority)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { throw bad }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad }
                portText = after.dropFirst()
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { throw bad }
        } else {
            if let colon = host.lastIndex(of: ":") {
                portText = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            guard !host.isEmpty, host.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "." || $0 == "_") })
            else { throw bad }
        }
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw ToolError.usage("endpoint \(text): bad port") }
            port = p
        } else {
            port = nil
        }
        self.scheme = scheme
        self.host = String(host)
        self.path = path.isEmpty ? "/" : String(path)
    }

    /// The `Host` header value (with a non-default port).
    public var hostHeader: String {
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `scheme://host[:port]path`.
    public var string: String { "\(scheme)://\(hostHeader)\(path)" }
}
