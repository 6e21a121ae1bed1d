import FormAuthority
import FormConfig
import Foundation
import PostgresNIO

/// The fleet's store: one PostgreSQL database that every authority of an NS set points at
/// (`fleet.store`). It holds what SQLite holds for one authority, shared: configuration versions,
/// the audit chain, tokens, approvals, overrides and events; and each authority's own view of
/// every node's health, from which the fleet's verdicts are agreed.
///
/// Writers that must not interleave (the next version, the next audit entry) lock their table
/// for the transaction. Every change others must follow is announced on the `form_dns` channel
/// (LISTEN/NOTIFY, sent on commit); followers also poll, so a lost notification only delays.
public final class PostgresStore: Store {
    /// The channel changes are announced on; the payload says what changed ("config 12",
    /// "override", "health").
    public static let channel = "form_dns"
    /// This authority's name in health views and events.
    public let authority: String
    public let location: PostgresLocation
    let session: PostgresSession

    /// Connects (within `connectTimeout`) and brings the schema up to date; with `connectNow`
    /// false, that waits for the first call (an authority may start while the store is away).
    /// Several authorities may start at once: the migrations run under one advisory lock, once.
    public init(
        location: PostgresLocation, authority: String, connectTimeout: TimeAmount = .seconds(2),
        connectNow: Bool = true
    ) throws(StoreError) {
        self.location = location
        self.authority = authority
        session = try PostgresSession(location: location, connectTimeout: connectTimeout, prepare: Self.migrate)
        if connectNow { try ping() }
    }

    deinit { session.close() }

    public var isShared: Bool { true }

    /// Whether the database answers now (a trivial statement).
    public func ping() throws(StoreError) {
        try session.run("ping") { s in try s.execute("SELECT 1") }
    }

    // MARK: - Configuration versions

    public func latestConfigVersion() throws(StoreError) -> ConfigVersion? {
        try session.run("read the newest version") { s in
            try s.query("SELECT * FROM config_version ORDER BY id DESC LIMIT 1").first.map(Self.version)
        }
    }

    public func latestConfigVersion(author: String) throws(StoreError) -> ConfigVersion? {
        try session.run("read the newest version by \(author)") { s in
            try s.query("SELECT * FROM config_version WHERE author = \(author) ORDER BY id DESC LIMIT 1").first
                .map(Self.version)
        }
    }

    public func configVersions(limit: Int) throws(StoreError) -> [ConfigVersion.Summary] {
        try session.run("list versions") { s in
            try s.query(
                "SELECT id, created_us, author, message, '' AS text FROM config_version ORDER BY id DESC LIMIT \(limit)"
            ).map { try Self.version($0).summary }
        }
    }

    public func configVersion(id: Int) throws(StoreError) -> ConfigVersion? {
        try session.run("read version \(id)") { s in
            try s.query("SELECT * FROM config_version WHERE id = \(id)").first.map(Self.version)
        }
    }

    public func addConfigVersion(text: String, author: String, message: String) throws(StoreError) -> ConfigVersion {
        try add(text: text, author: author, message: message, checking: nil)
    }

    public func addConfigVersion(text: String, author: String, message: String, after base: Int?)
        throws(StoreError) -> ConfigVersion
    {
        try add(text: text, author: author, message: message, checking: .some(base))
    }

    private func add(text: String, author: String, message: String, checking base: Int??) throws(StoreError)
        -> ConfigVersion
    {
        let created = AuditChain.microseconds(Date())
        return try session.transaction("store a version") { s in
            // Versions are stored one at a time across the fleet; readers are not held up.
            try s.execute("LOCK TABLE config_version IN EXCLUSIVE MODE")
            if case .some(let base) = base {
                let newest = try s.query("SELECT max(id) FROM config_version").first?[0].decode(Int?.self)
                if newest != base {
                    // (The session drops the connection, and with it the open transaction.)
                    throw StoreError(
                        "version \(newest.map(String.init) ?? "-") was stored meanwhile (this change was made on "
                            + "version \(base.map(String.init) ?? "-"))", isConflict: true)
                }
            }
            let id = try s.query(
                """
                INSERT INTO config_version (created_us, author, message, text)
                VALUES (\(created), \(author), \(message), \(text)) RETURNING id
                """
            )[0][0].decode(Int.self)
            try s.execute("SELECT pg_notify(\(Self.channel), \("config \(id)"))")
            return ConfigVersion(id: id, created: Self.date(created), author: author, message: message, text: text)
        }
    }

    // MARK: - Audit chain

    public func appendAudit(_ event: AuditEvent) throws(StoreError) -> AuditEntry {
        var stored = event
        stored.time = Self.date(AuditChain.microseconds(event.time))
        let e = stored
        return try session.transaction("append to the audit chain") { s in
            // One chain for the fleet: each entry links to the one before it, whoever wrote it.
            try s.execute("LOCK TABLE audit IN EXCLUSIVE MODE")
            let last = try s.query("SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1").first
            let sequence = try (last?["sequence"].decode(Int.self) ?? 0) + 1
            let previous = try last?["hash"].decode(String.self) ?? ""
            let hash = AuditChain.hash(sequence: sequence, event: e, previousHash: previous)
            try s.execute(
                """
                INSERT INTO audit (sequence, time_us, actor, role, remote, request_id, action, target, change,
                                   outcome, previous_hash, hash)
                VALUES (\(sequence), \(AuditChain.microseconds(e.time)), \(e.actor), \(e.role), \(e.remote),
                        \(e.requestID), \(e.action), \(e.target), \(e.change), \(e.outcome), \(previous), \(hash))
                """)
            return AuditEntry(sequence: sequence, event: e, previousHash: previous, hash: hash)
        }
    }

    public func auditEntries(after: Int, limit: Int) throws(StoreError) -> [AuditEntry] {
        try session.run("read the audit chain") { s in
            try s.query("SELECT * FROM audit WHERE sequence > \(after) ORDER BY sequence LIMIT \(limit)").map { r in
                AuditEntry(
                    sequence: try r["sequence"].decode(Int.self),
                    event: AuditEvent(
                        time: Self.date(try r["time_us"].decode(Int64.self)), actor: try r["actor"].decode(String.self),
                        role: try r["role"].decode(String.self), remote: try r["remote"].decode(String.self),
                        requestID: try r["request_id"].decode(String.self),
                        action: try r["action"].decode(String.self), target: try r["target"].decode(String.self),
                        change: try r["change"].decode(String.self), outcome: try r["outcome"].decode(String.self)),
                    previousHash: try r["previous_hash"].decode(String.self), hash: try r["hash"].decode(String.self))
            }
        }
    }

    // MARK: - Overrides and health

    public func saveOverride(_ override: HealthOverride?, for node: NodeKey) throws(StoreError) {
        try session.transaction("save the override of \(node)") { s in
            if let override {
                try s.execute(
                    """
                    INSERT INTO health_override (pool, node, override) VALUES (\(node.pool), \(node.node),
                    \(override.rawValue)) ON CONFLICT (pool, node) DO UPDATE SET override = EXCLUDED.override
                    """)
            } else {
                try s.execute("DELETE FROM health_override WHERE pool = \(node.pool) AND node = \(node.node)")
            }
            try s.execute("SELECT pg_notify(\(Self.channel), 'override')")
        }
    }

    public func overrides() throws(StoreError) -> [NodeKey: HealthOverride] {
        try session.run("read overrides") { s in
            var out: [NodeKey: HealthOverride] = [:]
            for r in try s.query("SELECT pool, node, override FROM health_override") {
                // A value this version does not know (written by a newer one) is skipped, not guessed.
                if let o = HealthOverride(rawValue: try r["override"].decode(String.self)) {
                    out[NodeKey(pool: try r["pool"].decode(String.self), node: try r["node"].decode(String.self))] = o
                }
            }
            return out
        }
    }

    /// This authority's checked state of one node (a transition): published at once, announced.
    public func saveHealthState(_ state: HealthState, for node: NodeKey) throws(StoreError) {
        try session.transaction("save the health of \(node)") { s in
            try upsertView(s, node, state)
            try s.execute("SELECT pg_notify(\(Self.channel), 'health')")
        }
    }

    /// The database's clock, in microseconds: every authority's views are stamped and judged
    /// fresh by one clock, so a host whose clock runs ahead cannot keep a dead view alive.
    static let databaseNow = "(extract(epoch from clock_timestamp()) * 1000000)::bigint"

    /// This authority's own last checked states (restored at start).
    public func healthStates() throws(StoreError) -> [NodeKey: HealthState] {
        try session.run("read health states") { s in
            var out: [NodeKey: HealthState] = [:]
            for r in try s.query("SELECT pool, node, state FROM health_report WHERE authority = \(authority)") {
                if let state = HealthState(rawValue: try r["state"].decode(String.self)) {
                    out[NodeKey(pool: try r["pool"].decode(String.self), node: try r["node"].decode(String.self))] =
                        state
                }
            }
            return out
        }
    }

    /// One statement for every node (arrays unnested), however many there are.
    public func publishHealth(_ states: [NodeKey: HealthState]) throws(StoreError) {
        guard !states.isEmpty else { return }
        let entries = Array(states)
        let pools = entries.map(\.key.pool), nodes = entries.map(\.key.node), values = entries.map(\.value.rawValue)
        try session.run("publish health") { s in
            try s.execute(
                """
                INSERT INTO health_report (authority, pool, node, state, updated_us)
                SELECT \(authority), p, n, v, \(unescaped: Self.databaseNow)
                FROM unnest(\(pools)::text[], \(nodes)::text[], \(values)::text[])
                    AS t(p, n, v)
                ON CONFLICT (authority, pool, node)
                DO UPDATE SET state = EXCLUDED.state, updated_us = EXCLUDED.updated_us
                """)
        }
    }

    public func healthViews(freshWithin seconds: Double) throws(StoreError) -> [HealthView] {
        let window = Int64(seconds * 1_000_000)
        return try session.run("read health views") { s in
            try s.query(
                """
                SELECT * FROM health_report WHERE updated_us >= \(unescaped: Self.databaseNow) - \(window)
                ORDER BY authority, pool, node
                """)
                .compactMap { r in
                    guard let state = HealthState(rawValue: try r["state"].decode(String.self)) else { return nil }
                    return HealthView(
                        authority: try r["authority"].decode(String.self),
                        node: NodeKey(pool: try r["pool"].decode(String.self), node: try r["node"].decode(String.self)),
                        state: state, published: Self.date(try r["updated_us"].decode(Int64.self)))
                }
        }
    }

    private func upsertView(_ s: PostgresSession.Statements, _ node: NodeKey, _ state: HealthState) throws {
        try s.execute(
            """
            INSERT INTO health_report (authority, pool, node, state, updated_us)
            VALUES (\(authority), \(node.pool), \(node.node), \(state.rawValue), \(unescaped: Self.databaseNow))
            ON CONFLICT (authority, pool, node) DO UPDATE SET state = EXCLUDED.state, updated_us = EXCLUDED.updated_us
            """)
    }

    static func version(_ r: PostgresRandomAccessRow) throws -> ConfigVersion {
        ConfigVersion(
            id: try r["id"].decode(Int.self), created: date(try r["created_us"].decode(Int64.self)),
            author: try r["author"].decode(String.self), message: try r["message"].decode(String.self),
            text: try r["text"].decode(String.self))
    }

    static func date(_ microseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }
}
