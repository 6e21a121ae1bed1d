import DNSWire
import FormConfig
import FormStore

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
        /// The fleet's shared store cannot be reached: changes wait until it returns (answers go
        /// on from the last state).
        case storeUnreachable
        /// This authority's own store cannot be written (a full disk, a read-only state_dir): the
        /// change is not made, so nothing serves that a restart would lose (answers go on).
        case storeUnwritable
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

    /// A store's refusal: another authority got there first (conflict), the fleet's store cannot
    /// be reached, or the store cannot be written.
    public init(storing error: StoreError, serving version: Int?) {
        let serving = version.map { "version \($0)" } ?? "the last state"
        if !error.isConflict, !error.isUnreachable {
            self.init(
                .storeUnwritable,
                "the store cannot be written, so the change was not made (still answering from \(serving)); "
                    + "free space or make state_dir writable, then make it again: \(error.message)")
        } else if error.isConflict {
            self.init(
                .conflict,
                "\(error.message): make the change again once this authority serves the newer version "
                    + "(GET /v1/config says which serves; it follows within a few seconds, or says in its log why not)")
        } else {
            self.init(
                .storeUnreachable,
                "the fleet's store cannot be reached, so changes are refused until it returns (still answering "
                    + "from \(serving)): \(error.message)")
        }
    }

    public var description: String {
        errors.isEmpty ? message : message + "\n" + errors.map { "  \($0)" }.joined(separator: "\n")
    }
}
