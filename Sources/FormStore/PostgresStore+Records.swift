import Foundation
import PostgresNIO

/// Tokens, approvals and events: the same rows as SQLite's, shared by the fleet.
extension PostgresStore {
    public func addToken(_ token: APIToken) throws(StoreError) {
        try session.run("store token \(token.id)") { s in
            try s.execute(
                """
                INSERT INTO api_token (id, secret_hash, role, pools, node_pool, node_id, label, created_us,
                                       expires_us, revoked_us)
                VALUES (\(token.id), \(token.secretHash), \(token.role.rawValue), \(SQLiteStore.json(token.pools)),
                        \(token.node?.pool), \(token.node?.node), \(token.label),
                        \(AuditChain.microseconds(token.created)), \(token.expires.map(AuditChain.microseconds)),
                        \(token.revoked.map(AuditChain.microseconds)))
                """)
        }
    }

    public func tokens() throws(StoreError) -> [APIToken] {
        try session.run("read tokens") { s in
            try s.query("SELECT * FROM api_token ORDER BY created_us DESC").compactMap(Self.token)
        }
    }

    public func token(id: String) throws(StoreError) -> APIToken? {
        try session.run("read token \(id)") { s in
            try s.query("SELECT * FROM api_token WHERE id = \(id)").first.flatMap(Self.token)
        }
    }

    public func revokeToken(id: String) throws(StoreError) -> Bool {
        try session.run("revoke token \(id)") { s in
            try !s.query(
                """
                UPDATE api_token SET revoked_us = \(AuditChain.microseconds(Date()))
                WHERE id = \(id) AND revoked_us IS NULL RETURNING id
                """
            ).isEmpty
        }
    }

    /// A row as a token; nil for a role this version does not know or an unreadable pool list
    /// (an unreadable scope must not widen into "all pools").
    static func token(_ r: PostgresRandomAccessRow) throws -> APIToken? {
        guard let role = APIToken.Role(rawValue: try r["role"].decode(String.self)),
            let pools = try? JSONDecoder().decode([String].self, from: Data(try r["pools"].decode(String.self).utf8))
        else { return nil }
        let nodePool = try r["node_pool"].decode(String?.self), nodeID = try r["node_id"].decode(String?.self)
        return APIToken(
            id: try r["id"].decode(String.self), secretHash: try r["secret_hash"].decode(String.self), role: role,
            pools: pools, node: nodePool.flatMap { p in nodeID.map { NodeKey(pool: p, node: $0) } },
            label: try r["label"].decode(String.self), created: date(try r["created_us"].decode(Int64.self)),
            expires: try r["expires_us"].decode(Int64?.self).map(date),
            revoked: try r["revoked_us"].decode(Int64?.self).map(date))
    }

    public func addPendingChange(_ change: PendingChange) throws(StoreError) {
        try session.run("store change \(change.id)") { s in
            try s.execute(
                """
                INSERT INTO pending_change (id, created_us, expires_us, author, action, message, reason,
                                            base_version, payload, status, decided_by, decided_us)
                VALUES (\(change.id), \(AuditChain.microseconds(change.created)),
                        \(AuditChain.microseconds(change.expires)), \(change.author), \(change.action),
                        \(change.message), \(change.reason), \(change.baseVersion), \(change.payload),
                        \(change.status.rawValue), \(change.decidedBy), \(change.decided.map(AuditChain.microseconds)))
                """)
        }
    }

    public func pendingChanges(limit: Int) throws(StoreError) -> [PendingChange] {
        try session.run("read changes") { s in
            try s.query("SELECT * FROM pending_change ORDER BY created_us DESC, id LIMIT \(limit)")
                .compactMap(Self.pendingChange)
        }
    }

    public func pendingChange(id: String) throws(StoreError) -> PendingChange? {
        try session.run("read change \(id)") { s in
            try s.query("SELECT * FROM pending_change WHERE id = \(id)").first.flatMap(Self.pendingChange)
        }
    }

    public func decidePendingChange(id: String, status: PendingChange.Status, by: String?) throws(StoreError) -> Bool {
        try session.run("decide change \(id)") { s in
            // Only a pending change is decided: two approvals racing on two authorities apply it once.
            try !s.query(
                """
                UPDATE pending_change SET status = \(status.rawValue), decided_by = \(by),
                    decided_us = \(AuditChain.microseconds(Date()))
                WHERE id = \(id) AND status = \(PendingChange.Status.pending.rawValue) RETURNING id
                """
            ).isEmpty
        }
    }

    static func pendingChange(_ r: PostgresRandomAccessRow) throws -> PendingChange? {
        guard let status = PendingChange.Status(rawValue: try r["status"].decode(String.self)) else { return nil }
        return PendingChange(
            id: try r["id"].decode(String.self), created: date(try r["created_us"].decode(Int64.self)),
            expires: date(try r["expires_us"].decode(Int64.self)), author: try r["author"].decode(String.self),
            action: try r["action"].decode(String.self), message: try r["message"].decode(String.self),
            reason: try r["reason"].decode(String.self), baseVersion: try r["base_version"].decode(Int?.self),
            payload: try r["payload"].decode(String.self), status: status,
            decidedBy: try r["decided_by"].decode(String?.self),
            decided: try r["decided_us"].decode(Int64?.self).map(date))
    }

    @discardableResult
    public func appendEvent(_ event: DNSEvent) throws(StoreError) -> DNSEvent {
        var stored = event
        let at = AuditChain.microseconds(event.time)
        stored.time = Self.date(at)
        var detail = event.detail
        detail["authority"] = detail["authority"] ?? authority
        stored.detail = detail
        // Several authorities write one history: each line says whose it is.
        stored.summary = "\(detail["authority"] ?? authority): \(event.summary)"
        let text = SQLiteStore.json(detail)
        stored.id = try session.run("append an event") { s in
            try s.query(
                """
                INSERT INTO event (at_us, kind, pool, node, summary, detail, authority)
                VALUES (\(at), \(event.kind.rawValue), \(event.pool), \(event.node), \(stored.summary), \(text),
                        \(authority)) RETURNING id
                """
            )[0][0].decode(Int64.self)
        }
        return stored
    }

    public func events(_ query: DNSEventQuery) throws(StoreError) -> [DNSEvent] {
        var conditions: [String] = []
        var binds = PostgresBindings()
        func bind(_ value: some PostgresDynamicTypeEncodable) -> String {
            binds.append(value, context: .default)
            return "$\(binds.count)"
        }
        if let since = query.since { conditions.append("at_us >= \(bind(AuditChain.microseconds(since)))") }
        if let until = query.until { conditions.append("at_us <= \(bind(AuditChain.microseconds(until)))") }
        if let pool = query.pool { conditions.append("pool = \(bind(pool))") }
        if let node = query.node { conditions.append("node = \(bind(node))") }
        if !query.kinds.isEmpty {
            conditions.append(
                "kind IN (\(query.kinds.map(\.rawValue).sorted().map { bind($0) }.joined(separator: ", ")))")
        }
        if let pools = query.pools {
            // An empty list matches nothing: such a token sees no pool's events.
            conditions.append(pools.isEmpty ? "FALSE" : "pool IN (\(pools.map { bind($0) }.joined(separator: ", ")))")
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT * FROM event \(filter) ORDER BY at_us DESC, id DESC LIMIT \(bind(max(0, query.limit)))"
        let statement = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try session.run("read events") { s in try s.query(statement).compactMap(Self.event).reversed() }
    }

    @discardableResult
    public func pruneEvents(before: Date) throws(StoreError) -> Int {
        try session.run("drop old events") { s in
            try s.query("DELETE FROM event WHERE at_us < \(AuditChain.microseconds(before)) RETURNING id").count
        }
    }

    static func event(_ r: PostgresRandomAccessRow) throws -> DNSEvent? {
        guard let kind = DNSEvent.Kind(rawValue: try r["kind"].decode(String.self)) else { return nil }
        let text = try r["detail"].decode(String.self)
        let detail = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
        return DNSEvent(
            id: try r["id"].decode(Int64.self), time: date(try r["at_us"].decode(Int64.self)), kind: kind,
            pool: try r["pool"].decode(String?.self), node: try r["node"].decode(String?.self),
            summary: try r["summary"].decode(String.self), detail: detail)
    }
}
