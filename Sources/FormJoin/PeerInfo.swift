import DNSWire
import Foundation

/// What is known about an entry node before probing: from DNS (+ discovery TXT), a static
/// bootstrap list or the last-known-good cache. Public keys only: no private key ever appears here.
public struct PeerInfo: Codable, Hashable, Sendable {
    public var id: String
    public var ipv4: String?
    public var ipv6: String?
    public var port: UInt16
    /// WireGuard public key (base64), as innernet's server public key.
    public var publicKey: String?
    /// formnet internal API endpoint (innernet's internal endpoint), host:port inside the overlay.
    public var internalEndpoint: String?
    public var region: String?

    enum CodingKeys: String, CodingKey {
        case id, ipv4, ipv6, port, region
        case publicKey = "public_key"
        case internalEndpoint = "internal_endpoint"
    }

    public init(id: String, ipv4: String? = nil, ipv6: String? = nil, port: UInt16, publicKey: String? = nil,
                internalEndpoint: String? = nil, region: String? = nil) {
        self.id = id
        self.ipv4 = ipv4
        self.ipv6 = ipv6
        self.port = port
        self.publicKey = publicKey
        self.internalEndpoint = internalEndpoint
        self.region = region
    }

    /// External endpoints, IPv6 first (Happy Eyeballs prefers it; the prober interleaves anyway).
    public var endpoints: [Endpoint] {
        [ipv6, ipv4].compactMap { $0 }.map { Endpoint(host: $0, port: port) }
    }
}

/// Discovery metadata published in the zone (see Docs/formnet-integration.md):
/// TXT records at `_formnet.<name>`, one per entry node:
///
///     "v=formnet1 id=ams-1 ip=192.0.2.11 ip6=2001:db8::11 port=51820 pubkey=<base64> internal=10.42.0.11:51820 region=eu-west"
public enum DiscoveryRecord {
    public static func parse(_ txt: TXTRecord) -> PeerInfo? {
        // RFC 1035 character-strings of one record are concatenated (as SPF does).
        let text = String(decoding: txt.strings.joined(), as: UTF8.self)
        var fields: [String: String] = [:]
        for word in text.split(separator: " ") {
            guard let eq = word.firstIndex(of: "=") else { continue }
            fields[String(word[..<eq])] = String(word[word.index(after: eq)...])
        }
        guard fields["v"] == "formnet1", let id = fields["id"], !id.isEmpty else { return nil }
        let port = fields["port"].flatMap(UInt16.init) ?? 0
        let v4 = fields["ip"].flatMap { IPAddressText.parseIPv4($0) != nil ? $0 : nil }
        let v6 = fields["ip6"].flatMap { IPAddressText.parseIPv6($0) != nil ? IPAddressText.format(IPAddressText.parseIPv6($0)!) : nil }
        // A key that is not 32 octets of base64 is not a WireGuard public key: drop it, keep the node.
        let key = fields["pubkey"].flatMap { Data(base64Encoded: $0)?.count == 32 ? $0 : nil }
        return PeerInfo(id: id, ipv4: v4, ipv6: v6, port: port, publicKey: key, internalEndpoint: fields["internal"], region: fields["region"])
    }
}

/// A static bootstrap list (`--fallback FILE` or `$FORM_JOIN_BOOTSTRAP`), the same format as
/// `Fixtures/bootstrap.json`: `{"schema_version": 1, "peers": [PeerInfo...]}`.
public struct BootstrapList: Codable, Sendable {
    public var schemaVersion: Int
    public var peers: [PeerInfo]

    enum CodingKeys: String, CodingKey {
        case peers
        case schemaVersion = "schema_version"
    }

    public init(schemaVersion: Int = 1, peers: [PeerInfo]) {
        self.schemaVersion = schemaVersion
        self.peers = peers
    }

    public static func load(path: String) throws -> BootstrapList {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let list = try JSONDecoder().decode(BootstrapList.self, from: data)
        guard list.schemaVersion == 1 else { throw JoinError.badInput("\(path): unsupported schema_version \(list.schemaVersion)") }
        for p in list.peers where p.endpoints.isEmpty || p.port == 0 {
            throw JoinError.badInput("\(path): peer \(p.id) needs ipv4 or ipv6 and a port")
        }
        return list
    }

    /// Compiled in from Fixtures/bootstrap.json (a test keeps the two identical): the list of last
    /// resort when no file is given.
    public static let builtIn = BootstrapList(peers: [
        PeerInfo(id: "boot-ams-1", ipv4: "127.0.0.11", ipv6: nil, port: 51820,
                 publicKey: "Zm9ybWF0aW9uLWZpeHR1cmUta2V5LWFtcy0xLTAwMDA=", internalEndpoint: "10.42.0.11:51820", region: "eu-west"),
        PeerInfo(id: "boot-fra-1", ipv4: "127.0.0.13", ipv6: nil, port: 51820,
                 publicKey: "Zm9ybWF0aW9uLWZpeHR1cmUta2V5LWZyYS0xLTAwMDA=", internalEndpoint: "10.42.0.13:51820", region: "eu-central"),
        PeerInfo(id: "boot-nyc-1", ipv4: "127.0.0.14", ipv6: nil, port: 51820,
                 publicKey: "Zm9ybWF0aW9uLWZpeHR1cmUta2V5LW55Yy0xLTAwMDA=", internalEndpoint: "10.42.0.14:51820", region: "us-east"),
    ])
}

/// The last-known-good peer set, written after each successful discovery.
public struct PeerCacheFile: Codable, Sendable {
    public var schemaVersion = 1
    public var name: String
    public var savedAt: Date
    public var peers: [PeerInfo]

    enum CodingKeys: String, CodingKey {
        case name, peers
        case schemaVersion = "schema_version"
        case savedAt = "saved_at"
    }

    public init(name: String, savedAt: Date, peers: [PeerInfo]) {
        self.name = name
        self.savedAt = savedAt
        self.peers = peers
    }

    public static func load(path: String) -> PeerCacheFile? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let d = JSONDecoder()
        d.dateDecodingStrategy = .iso8601
        return try? d.decode(PeerCacheFile.self, from: data)
    }

    public func save(path: String) throws {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        // Write then rename: a crash mid-write never leaves a half cache behind.
        let tmp = path + ".tmp"
        try e.encode(self).write(to: URL(fileURLWithPath: tmp))
        _ = rename(tmp, path)
    }

    public static var defaultPath: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"] ?? ((env["HOME"] ?? "/tmp") + "/.cache")
        return base + "/form-join/peers.json"
    }
}

public enum JoinError: Error, CustomStringConvertible {
    case badInput(String)
    public var description: String {
        switch self { case .badInput(let m): return m }
    }
}
