import DNSWire
import Foundation

/// `update_keys[]`: a TSIG key (RFC 8945, hmac-sha256) that may sign RFC 2136 UPDATEs, and what
/// it may change, as Knot's update-owner rules: names (exact, or `*.suffix` for names below a
/// suffix) and record types. Deny by default: a key changes nothing its rules do not name.
public struct UpdateKey: Sendable, Equatable {
    /// The key's name, as nsupdate's `-y hmac-sha256:NAME:SECRET` gives it.
    public var name: DNSName = .root
    public var algorithm = "hmac-sha256"
    /// The shared secret (decoded from base64; 16 bytes at least).
    public var secret: [UInt8] = []
    /// Names it may change: `host.zone.` exactly, or `*.zone.` for every name below `zone.`.
    public var names: [String] = []
    /// Types it may change (SOA and NS are never among them unless named).
    public var types: [RecordType] = [.a, .aaaa, .txt]

    public init() {}

    /// Whether this key may change `type` records of `owner`.
    public func allows(_ owner: DNSName, _ type: RecordType) -> Bool {
        guard types.contains(type) || type == .any && !types.isEmpty else { return false }
        return names.contains { pattern in
            if pattern.hasPrefix("*."), let suffix = try? DNSName(parsing: String(pattern.dropFirst(2)), origin: .root)
            {
                return owner != suffix && owner.isSubdomain(of: suffix)
            }
            return (try? DNSName(parsing: pattern, origin: .root)) == owner
        }
    }
}
