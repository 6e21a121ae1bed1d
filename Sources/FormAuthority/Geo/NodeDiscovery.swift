import DNSWire
import Foundation
import NetAddress

/// A node's formnet discovery data: its WireGuard public key, join port and internal API endpoint.
/// Published as one TXT record per node at `_formnet.<pool name>` (Docs/formnet-integration.md):
///
///     "v=formnet1 id=ams-1 ip=192.0.2.11 ip6=2001:db8::11 port=51820 pubkey=<base64>
///      internal=10.42.0.11:51820 region=eu-west"   (one record; wrapped here)
public struct NodeDiscovery: Hashable, Sendable {
    /// Base64 of the 32-octet WireGuard public key.
    public var publicKey: String
    public var port: UInt16
    public var internalEndpoint: Endpoint?

    public static let defaultPort: UInt16 = 51820

    public init(publicKey: String, port: UInt16 = NodeDiscovery.defaultPort, internalEndpoint: Endpoint? = nil) {
        self.publicKey = publicKey
        self.port = port
        self.internalEndpoint = internalEndpoint
    }

    /// Whether `text` is a WireGuard public key: base64 of exactly 32 octets.
    public static func isPublicKey(_ text: String) -> Bool { Data(base64Encoded: text)?.count == 32 }

    /// Whether a value (a node id, a region) can be carried in the record, whose fields are
    /// separated by spaces: 1 to 63 letters, digits, '-', '.' or '_'.
    public static func isPublishable(_ id: String) -> Bool {
        (1...63).contains(id.utf8.count)
            && id.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D
                    || b == 0x2E || b == 0x5F
            }
    }
}

extension PoolNode {
    /// The node's `_formnet` TXT record, or nil when it has no discovery data. Character-strings
    /// hold at most 255 octets, so a longer text is split; readers concatenate them (as for SPF).
    public var discoveryRecord: TXTRecord? {
        guard let d = discovery else { return nil }
        var fields = ["v=formnet1", "id=\(id)"]
        if let ipv4 { fields.append("ip=\(IPAddressText.format(ipv4))") }
        if let ipv6 { fields.append("ip6=\(IPAddressText.format(ipv6))") }
        fields += ["port=\(d.port)", "pubkey=\(d.publicKey)"]
        if let e = d.internalEndpoint { fields.append("internal=\(e)") }
        // A region the record cannot carry is left out: it is informational.
        if let region = location.region, NodeDiscovery.isPublishable(region) { fields.append("region=\(region)") }
        let bytes = Array(fields.joined(separator: " ").utf8)
        let chunks = stride(from: 0, to: bytes.count, by: 255).map { Array(bytes[$0..<min($0 + 255, bytes.count)]) }
        return TXTRecord(strings: chunks)
    }
}
