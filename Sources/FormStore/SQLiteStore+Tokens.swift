import Foundation
import GRDB

extension SQLiteStore {
    public func addToken(_ token: APIToken) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO api_token (id, secret_hash, role, pools, node_pool, node_id, label, created_us,
                                           expires_us, revoked_us)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    token.id, token.secretHash, token.role.rawValue, Self.json(token.pools),
                    token.node?.pool, token.node?.node, token.label, AuditChain.microseconds(token.created),
                    token.expires.map(AuditChain.microseconds), token.revoked.map(AuditChain.microseconds),
                ])
        }
    }

    public func tokens() throws(StoreError) -> [APIToken] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY created_us DESC").compactMap(Self.token)
        }
    }

    public func token(id: String) throws(StoreError) -> APIToken? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE id = ?", arguments: [id]).flatMap(Self.token)
        }
    }

    public func revokeToken(id: String) throws(StoreError) -> Bool {
        try write { db in
            try db.execute(
                sql: "UPDATE api_token SET revoked_us = ? WHERE id = ? AND revoked_us IS NULL",
                arguments: [AuditChain.microseconds(Date()), id])
            return db.changesCount > 0
        }
    }

    /// A list as JSON text (pool names may hold any character).
    static func json(_ list: [String]) -> String {
        (try? JSONEncoder().encode(list)).map { String(decoding: $0, as: UTF8.self) } ?? "[]"
    }

    /// A row as a token; nil for a role this version does not know (never guessed into another) or an
    /// unreadable pool list.
    static func token(_ row: Row) -> APIToken? {
        let poolsText: String = row["pools"]
        // An unreadable scope must not widen into "all pools": such a token is not usable at all.
        guard let role = APIToken.Role(rawValue: row["role"]),
            let pools = try? JSONDecoder().decode([String].self, from: Data(poolsText.utf8))
        else { return nil }
        let nodePool: String? = row["node_pool"], nodeID: String? = row["node_id"]
        return APIToken(
            id: row["id"], secretHash: row["secret_hash"], role: role,
            pools: pools,
            node: nodePool.flatMap { p in nodeID.map { NodeKey(pool: p, node: $0) } }, label: row["label"],
            created: date(row["created_us"]), expires: (row["expires_us"] as Int64?).map(date),
            revoked: (row["revoked_us"] as Int64?).map(date))
    }
}
