import FormAuthority
import Foundation
import GRDB

extension SQLiteStore {
    @discardableResult
    public func appendEvent(_ event: DNSEvent) throws(StoreError) -> DNSEvent {
        try write { db in try Self.insert(event, db) }
    }

    /// In one transaction: one commit for a whole storm of transitions.
    @discardableResult
    public func save(states: [NodeKey: HealthState], events: [DNSEvent]) throws(StoreError) -> [DNSEvent] {
        try write { db in
            for (node, state) in states { try Self.insert(state, for: node, db) }
            return try events.map { try Self.insert($0, db) }
        }
    }

    static func insert(_ event: DNSEvent, _ db: Database) throws -> DNSEvent {
        var stored = event
        stored.time = Self.date(AuditChain.microseconds(event.time))
        try db.execute(
            sql: "INSERT INTO event (at_us, kind, pool, node, summary, detail) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                AuditChain.microseconds(event.time), event.kind.rawValue, event.pool, event.node, event.summary,
                Self.json(event.detail),
            ])
        stored.id = db.lastInsertedRowID
        return stored
    }

    public func events(_ query: DNSEventQuery) throws(StoreError) -> [DNSEvent] {
        var conditions: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        if let since = query.since {
            conditions.append("at_us >= ?")
            arguments.append(AuditChain.microseconds(since))
        }
        if let until = query.until {
            conditions.append("at_us <= ?")
            arguments.append(AuditChain.microseconds(until))
        }
        if let pool = query.pool {
            conditions.append("pool = ?")
            arguments.append(pool)
        }
        if let node = query.node {
            conditions.append("node = ?")
            arguments.append(node)
        }
        if !query.kinds.isEmpty {
            conditions.append("kind IN (\(query.kinds.map { _ in "?" }.joined(separator: ", ")))")
            arguments += query.kinds.map(\.rawValue).sorted()
        }
        if let pools = query.pools {
            // An empty list matches nothing: such a token sees no pool's events.
            conditions.append(pools.isEmpty ? "0" : "pool IN (\(pools.map { _ in "?" }.joined(separator: ", ")))")
            arguments += pools
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        arguments.append(max(0, query.limit))
        let sql = "SELECT * FROM event \(filter) ORDER BY at_us DESC, id DESC LIMIT ?"
        let rows = try read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) }
        return rows.compactMap(Self.event).reversed()
    }

    @discardableResult
    public func pruneEvents(before: Date) throws(StoreError) -> Int {
        try write { db in
            try db.execute(sql: "DELETE FROM event WHERE at_us < ?", arguments: [AuditChain.microseconds(before)])
            return db.changesCount
        }
    }

    /// A row as an event; nil for a kind this version does not know.
    static func event(_ row: Row) -> DNSEvent? {
        guard let kind = DNSEvent.Kind(rawValue: row["kind"]) else { return nil }
        let text: String = row["detail"]
        let detail = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: String] ?? [:]
        return DNSEvent(
            id: row["id"], time: date(row["at_us"]), kind: kind, pool: row["pool"], node: row["node"],
            summary: row["summary"], detail: detail)
    }

    static func json(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
