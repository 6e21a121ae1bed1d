import Crypto
import Foundation

/// A management API token as stored: never its secret, only the secret's SHA-256.
///
/// The secret a client presents is `form_<id>_<64 hex digits>`: the id finds the row, and the
/// hash of the whole secret is compared in constant time. 256 random bits from the system's CSPRNG,
/// shown once, at creation.
public struct APIToken: Sendable, Hashable {
    public enum Role: String, Sendable, CaseIterable, Codable {
        /// Everything, including tokens and approvals.
        case admin
        /// Pools, nodes, overrides and records.
        case `operator`
        /// Reads only.
        case reader
        /// Reports the health of one node (`node`), nothing else.
        case reporter
    }

    public var id: String
    public var secretHash: String
    public var role: Role
    /// Pools the token may see and change; empty: all.
    public var pools: [String]
    /// For a reporter: the node it speaks for.
    public var node: NodeKey?
    public var label: String
    public var created: Date
    public var expires: Date?
    public var revoked: Date?

    public init(
        id: String, secretHash: String, role: Role, pools: [String] = [], node: NodeKey? = nil, label: String = "",
        created: Date = Date(), expires: Date? = nil, revoked: Date? = nil
    ) {
        self.id = id
        self.secretHash = secretHash
        self.role = role
        self.pools = pools
        self.node = node
        self.label = label
        self.created = created
        self.expires = expires
        self.revoked = revoked
    }

    /// Whether the token may be used at `now`.
    public func isValid(at now: Date = Date()) -> Bool {
        revoked == nil && (expires.map { now < $0 } ?? true)
    }

    /// Whether the token may see pool `name`.
    public func covers(pool name: String) -> Bool { pools.isEmpty || pools.contains(name) }

    /// A new token and its secret (to show once).
    public static func make(
        role: Role, pools: [String] = [], node: NodeKey? = nil, label: String = "", expires: Date? = nil
    ) -> (token: APIToken, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let id = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        let random = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
        let secret = "form_\(id)_" + random.joined()
        let token = APIToken(
            id: id, secretHash: hash(secret), role: role, pools: pools, node: node, label: label, expires: expires)
        return (token, secret)
    }

    /// The id part of a presented secret, if it has the shape of one.
    public static func id(ofSecret secret: String) -> String? {
        let parts = secret.split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "form", parts[1].count == 8, parts[2].count == 64 else { return nil }
        return String(parts[1])
    }

    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `secret` is this token's, compared in time independent of where they differ.
    public func matches(secret: String) -> Bool {
        let presented = Array(Self.hash(secret).utf8), expected = Array(secretHash.utf8)
        guard presented.count == expected.count else { return false }
        return zip(presented, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
