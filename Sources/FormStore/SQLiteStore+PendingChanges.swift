import Foundation
import GRDB

extension SQLiteStore {
    public func addPendingChange(_ change: PendingChange) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO pending_change (id, created_us, expires_us, author, action, message, reason,
                                                base_version, payload, status, decided_by, decided_us)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    change.id, AuditChain.microseconds(change.created), AuditChain.microseconds(change.expires),
                    change.author, change.action, change.message, change.reason, change.baseVersion, change.payload,
                    change.status.rawValue, change.decidedBy, change.decided.map(AuditChain.microseconds),
                ])
        }
    }

    public func pendingChanges(limit: Int) throws(StoreError) -> [PendingChange] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM pending_change ORDER BY created_us DESC, id LIMIT ?", arguments: [limit]
            ).compactMap(Self.pendingChange)
        }
    }

    public func pendingChange(id: String) throws(StoreError) -> PendingChange? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM pending_change WHERE id = ?", arguments: [id])
                .flatMap(Self.pendingChange)
        }
    }

    public func decidePendingChange(id: String, status: PendingChange.Status, by: String?) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(
                sql: "UPDATE pending_change SET status = ?, decided_by = ?, decided_us = ? WHERE id = ? AND status = ?",
                arguments: [
                    status.rawValue, by, AuditChain.microseconds(Date()), id, PendingChange.Status.pending.rawValue,
                ])
            return db.changesCount > 0
        }
    }

    /// A row as a change; nil for a status this version does not know.
    static func pendingChange(_ row: Row) -> PendingChange? {
        guard let status = PendingChange.Status(rawValue: row["status"]) else { return nil }
        return PendingChange(
            id: row["id"], created: date(row["created_us"]), expires: date(row["expires_us"]), author: row["author"],
            action: row["action"], message: row["message"], reason: row["reason"], baseVersion: row["base_version"],
            payload: row["payload"], status: status, decidedBy: row["decided_by"],
            decided: (row["decided_us"] as Int64?).map(date))
    }
}
