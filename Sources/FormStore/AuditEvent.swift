import Foundation

/// One change or denied attempt, as the audit log records it. Untrusted text (paths, bodies) is
/// stored as given; it is escaped when printed, never here.
public struct AuditEvent: Sendable, Hashable, Codable {
    public var time: Date
    /// Who: a token ID, "file" for a configuration file, "anonymous" for no credentials.
    public var actor: String
    public var role: String
    public var remote: String
    public var requestID: String
    /// What, e.g. "POST /v1/pools/entry/nodes/n1/override" or "config.reload".
    public var action: String
    public var target: String
    /// Before and after, as text (a diff or the two values).
    public var change: String
    /// "ok", or the status and reason of a refusal.
    public var outcome: String

    public init(
        time: Date = Date(), actor: String, role: String = "", remote: String = "", requestID: String = "",
        action: String, target: String = "", change: String = "", outcome: String
    ) {
        self.time = time
        self.actor = actor
        self.role = role
        self.remote = remote
        self.requestID = requestID
        self.action = action
        self.target = target
        self.change = change
        self.outcome = outcome
    }
}

/// An event as stored: its place in the chain and the hashes that link it.
public struct AuditEntry: Sendable, Hashable {
    public var sequence: Int
    public var event: AuditEvent
    /// Hex SHA-256 of the previous entry ("" for the first).
    public var previousHash: String
    /// Hex SHA-256 over `previousHash` and this entry's fields (`AuditChain.hash`).
    public var hash: String
}
