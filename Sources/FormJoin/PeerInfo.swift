import DNSWire
import Foundation
import NetAddress

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

    /// Every field is written, empty ones as null (Docs/formnet-integration.md shows them so).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(ipv4, forKey: .ipv4)
        try c.encode(ipv6, forKey: .ipv6)
        try c.encode(port, forKey: .port)
        try c.encode(publicKey, forKey: .publicKey)
        try c.encode(internalEndpoint, forKey: .internalEndpoint)
        try c.encode(region, forKey: .region)
    }

    public init(
        id: String, ipv4: String? = nil, ipv6: String? = nil, port: UInt16, publicKey: String? = nil,
        internalEndpoint: String? = nil, region: String? = nil
    ) {
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
///     "v=formnet1 id=ams-1 ip=192.0.2.11 ip6=2001:db8::11 port=51820 pubkey=<base64>
///      internal=10.42.0.11:51820 region=eu-west"   (one string; wrapped here)
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
        let v6 = fields["ip6"].flatMap {
            IPAddressText.parseIPv6($0) != nil ? IPAddressText.format(IPAddressText.parseIPv6($0)!) : nil
        }
        // A key that is not 32 octets of base64 is not a WireGuard public key: drop it, keep the node.
        let key = fields["pubkey"].flatMap { Data(base64Encoded: $0)?.count == 32 ? $0 : nil }
        return PeerInfo(
            id: id, ipv4: v4, ipv6: v6, port: port, publicKey: key, internalEndpoint: fields["internal"],
            region: fields["region"])
    }
}
