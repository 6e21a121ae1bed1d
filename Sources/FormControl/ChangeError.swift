import DNSWire
import FormConfig

/// Why a change was not made. `kind` maps to an HTTP status (and a DNS RCODE for UPDATE); the
/// message says what to fix.
public struct ChangeError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The change does not make sense (a bad record, an invalid resulting configuration).
        case invalid
        /// What it names does not exist.
        case notFound
        /// It conflicts with the current state (a node that exists, a stale approval).
        case conflict
        /// It cannot be made here (no configuration file, no store for approvals).
        case unavailable
        /// The caller may not (its own change to approve).
        case forbidden
    }

    public var kind: Kind
    public var message: String
    /// The configuration errors behind an `invalid` change, by field.
    public var errors: [ConfigError]
    /// For a DNS UPDATE: the RCODE that says it (a failed prerequisite: YXDOMAIN, NXRRSET, ...).
    public var rcode: ResponseCode?

    public init(_ kind: Kind, _ message: String, errors: [ConfigError] = []) {
        self.kind = kind
        self.message = message
        self.errors = errors
    }

    public var description: String {
        errors.isEmpty ? message : message + "\n" + errors.map { "  \($0)" }.joined(separator: "\n")
    }
}
