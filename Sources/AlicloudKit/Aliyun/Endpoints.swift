import Foundation

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
        guard n.range(of: "^[a-z][a-z0-9-]*$", options: .regularExpression) != nil else {
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
        var t = text
        if !t.contains("://") { t = "https://" + t }
        guard let c = URLComponents(string: t), let scheme = c.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = c.host, !host.isEmpty,
            c.query == nil, c.fragment == nil, c.user == nil
        else { throw ToolError.usage("endpoint \(text): not an http(s) URL") }
        if let p = c.port, !(1...65535).contains(p) { throw ToolError.usage("endpoint \(text): bad port") }
        self.scheme = scheme
        self.host = host
        port = c.port
        path = c.path.isEmpty ? "/" : c.path
    }

    /// The `Host` header value (with a non-default port).
    public var hostHeader: String {
        guard let port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) else { return host }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// `scheme://host[:port]path`.
    public var string: String { "\(scheme)://\(hostHeader)\(path)" }
}
