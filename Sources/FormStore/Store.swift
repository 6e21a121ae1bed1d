import FormAuthority
import Foundation

/// What form-dns persists. Every call is synchronous and short (one transaction); callers off the
/// hot path only (the API, reloads, health transitions), never the query path.
public protocol Store: Sendable {
    /// The newest configuration version, if any.
    func latestConfigVersion() throws(StoreError) -> ConfigVersion?
    /// Versions newest first, without their text.
    func configVersions(limit: Int) throws(StoreError) -> [ConfigVersion.Summary]
    func configVersion(id: Int) throws(StoreError) -> ConfigVersion?
    /// The newest version `author` made (the configuration file's last state is author "file").
    func latestConfigVersion(author: String) throws(StoreError) -> ConfigVersion?
    /// Stores `text` as the next version and returns it.
    func addConfigVersion(text: String, author: String, message: String) throws(StoreError) -> ConfigVersion

    /// Appends an event to the audit chain (hashing it onto the previous entry) and returns it.
    func appendAudit(_ event: AuditEvent) throws(StoreError) -> AuditEntry
    /// Entries in order, from sequence number `after + 1`, at most `limit`.
    func auditEntries(after: Int, limit: Int) throws(StoreError) -> [AuditEntry]

    /// Stores a new API token (its secret's hash only).
    func addToken(_ token: APIToken) throws(StoreError)
    /// Every token, newest first (revoked and expired ones included, marked as such).
    func tokens() throws(StoreError) -> [APIToken]
    func token(id: String) throws(StoreError) -> APIToken?
    /// Marks a token revoked; false if there is no such token.
    func revokeToken(id: String) throws(StoreError) -> Bool

    /// Stores a change waiting for approval.
    func addPendingChange(_ change: PendingChange) throws(StoreError)
    /// Changes newest first, at most `limit`.
    func pendingChanges(limit: Int) throws(StoreError) -> [PendingChange]
    func pendingChange(id: String) throws(StoreError) -> PendingChange?
    /// Records the decision on a change that is still pending; false if it no longer is (so two
    /// approvals racing cannot both apply it).
    func decidePendingChange(id: String, status: PendingChange.Status, by: String?) throws(StoreError) -> Bool

    /// Sets (or clears, with nil) the operator override of a node.
    func saveOverride(_ override: HealthOverride?, for node: NodeKey) throws(StoreError)
    func overrides() throws(StoreError) -> [NodeKey: HealthOverride]
    /// Records a node's checked state (healthy, degraded, unhealthy) as last known.
    /// Adds to the event history; returns the event as stored (with its id).
    @discardableResult
    func appendEvent(_ event: DNSEvent) throws(StoreError) -> DNSEvent
    /// The newest `query.limit` events matching `query`, oldest first.
    func events(_ query: DNSEventQuery) throws(StoreError) -> [DNSEvent]
    /// Drops events older than `before` (the retention setting); returns how many.
    @discardableResult
    func pruneEvents(before: Date) throws(StoreError) -> Int

    func saveHealthState(_ state: HealthState, for node: NodeKey) throws(StoreError)
    /// Several nodes' checked states, and events, at once (one transaction where the store has
    /// them): what a storm of transitions costs. Returns the events as stored, in order.
    @discardableResult
    func save(states: [NodeKey: HealthState], events: [DNSEvent]) throws(StoreError) -> [DNSEvent]
    func healthStates() throws(StoreError) -> [NodeKey: HealthState]

    // MARK: - Several authorities on one store (PostgreSQL); SQLite has one writer and the defaults.

    /// Why the last write failed, while writes keep failing (a full disk, a read-only state_dir):
    /// changes are then refused, answers go on. nil when writable as far as known.
    var writeProblem: String? { get }

    /// Whether other authorities share this store: a change is then stored before it serves, and
    /// the others follow it.
    var isShared: Bool { get }
    /// Stores `text` as the next version only if the newest is still `base` (nil: none); a
    /// conflict error (`isConflict`) when another authority stored one meanwhile.
    func addConfigVersion(text: String, author: String, message: String, after base: Int?) throws(StoreError)
        -> ConfigVersion
    /// This authority's checked state of every node, as of now (a heartbeat: an authority that
    /// stops publishing stops counting toward the fleet's verdicts).
    func publishHealth(_ states: [NodeKey: HealthState]) throws(StoreError)
    /// Every authority's view published within the last `seconds`.
    func healthViews(freshWithin seconds: Double) throws(StoreError) -> [HealthView]
}

extension Store {
    public var isShared: Bool { false }

    public var writeProblem: String? { nil }

    @discardableResult
    public func save(states: [NodeKey: HealthState], events: [DNSEvent]) throws(StoreError) -> [DNSEvent] {
        for (node, state) in states { try saveHealthState(state, for: node) }
        var stored: [DNSEvent] = []
        for event in events { stored.append(try appendEvent(event)) }
        return stored
    }

    public func addConfigVersion(text: String, author: String, message: String, after base: Int?)
        throws(StoreError) -> ConfigVersion
    {
        try addConfigVersion(text: text, author: author, message: message)
    }

    public func publishHealth(_ states: [NodeKey: HealthState]) throws(StoreError) {}

    public func healthViews(freshWithin seconds: Double) throws(StoreError) -> [HealthView] { [] }
}

/// One authority's checked state of one node, as it last published it.
public struct HealthView: Sendable, Hashable {
    public var authority: String
    public var node: NodeKey
    public var state: HealthState
    public var published: Date

    public init(authority: String, node: NodeKey, state: HealthState, published: Date) {
        self.authority = authority
        self.node = node
        self.state = state
        self.published = published
    }
}

extension Store {
    /// Walks the whole audit chain; the first entry that does not fit, if any.
    public func verifyAudit() throws(StoreError) -> AuditChain.Verification {
        var checker = AuditChain.Verifier()
        var after = 0
        while true {
            let page = try auditEntries(after: after, limit: 1000)
            for entry in page {
                if let problem = checker.check(entry) { return .broken(problem) }
            }
            guard let last = page.last else { break }
            after = last.sequence
        }
        return .intact(entries: checker.count, head: checker.previousHash)
    }
}

/// A pool's node, as overrides and health states are keyed.
public struct NodeKey: Hashable, Sendable, CustomStringConvertible {
    public var pool: String
    public var node: String

    public init(pool: String, node: String) {
        self.pool = pool
        self.node = node
    }

    public var description: String { "\(pool)/\(node)" }
}

/// A store that could not be opened, read or written; the message says which file and why.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// Another writer got there first (a version stored meanwhile, a key taken): try again on
    /// the newer state, rather than "the store is unreachable".
    public var isConflict: Bool
    /// The store could not be reached or did not answer (a refused connection, a lost one, a
    /// timeout), as opposed to refusing this request: trying again later may work.
    public var isUnreachable: Bool
    public init(_ message: String, isConflict: Bool = false, isUnreachable: Bool = false) {
        self.message = message
        self.isConflict = isConflict
        self.isUnreachable = isUnreachable
    }
    public var description: String { message }
}
