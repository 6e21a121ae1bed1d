import Foundation
import PostgresNIO

extension PostgresStore {
    /// The schema, one migration per change, applied in order. A migration is never edited once
    /// released: a change is a new one.
    static let migrations: [(name: String, sql: [PostgresQuery])] = [
        (
            "v1: versions, audit chain, tokens, approvals, overrides, health views, events",
            [
                """
                CREATE TABLE config_version (
                    id BIGSERIAL PRIMARY KEY, created_us BIGINT NOT NULL, author TEXT NOT NULL,
                    message TEXT NOT NULL, text TEXT NOT NULL)
                """,
                """
                CREATE TABLE audit (
                    sequence BIGINT PRIMARY KEY, time_us BIGINT NOT NULL,
                    actor TEXT NOT NULL, role TEXT NOT NULL, remote TEXT NOT NULL, request_id TEXT NOT NULL,
                    action TEXT NOT NULL, target TEXT NOT NULL, change TEXT NOT NULL, outcome TEXT NOT NULL,
                    previous_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                """
                CREATE TABLE health_override (
                    pool TEXT NOT NULL, node TEXT NOT NULL, override TEXT NOT NULL, PRIMARY KEY (pool, node))
                """,
                """
                CREATE TABLE health_report (
                    authority TEXT NOT NULL, pool TEXT NOT NULL, node TEXT NOT NULL, state TEXT NOT NULL,
                    updated_us BIGINT NOT NULL, PRIMARY KEY (authority, pool, node))
                """,
                """
                CREATE TABLE api_token (
                    id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, role TEXT NOT NULL, pools TEXT NOT NULL,
                    node_pool TEXT, node_id TEXT, label TEXT NOT NULL, created_us BIGINT NOT NULL,
                    expires_us BIGINT, revoked_us BIGINT)
                """,
                """
                CREATE TABLE pending_change (
                    id TEXT PRIMARY KEY, created_us BIGINT NOT NULL, expires_us BIGINT NOT NULL,
                    author TEXT NOT NULL, action TEXT NOT NULL, message TEXT NOT NULL, reason TEXT NOT NULL,
                    base_version BIGINT, payload TEXT NOT NULL, status TEXT NOT NULL, decided_by TEXT,
                    decided_us BIGINT)
                """,
                """
                CREATE TABLE event (
                    id BIGSERIAL PRIMARY KEY, at_us BIGINT NOT NULL, kind TEXT NOT NULL, pool TEXT, node TEXT,
                    summary TEXT NOT NULL, detail TEXT NOT NULL, authority TEXT NOT NULL)
                """,
                "CREATE INDEX event_at ON event (at_us)",
                "CREATE INDEX event_pool_node ON event (pool, node, at_us)",
            ]
        )
    ]

    /// Applies what is missing, in one transaction under an advisory lock: authorities starting at
    /// the same moment wait for the first, then find nothing left to do.
    static func migrate(_ s: PostgresSession.Statements) throws {
        try s.execute("BEGIN")
        // The key is arbitrary but fixed: "form-dns" in ASCII, as a number.
        try s.execute("SELECT pg_advisory_xact_lock(7022083148883043)")
        try s.execute(
            "CREATE TABLE IF NOT EXISTS form_dns_migration (name TEXT PRIMARY KEY, applied_us BIGINT NOT NULL)")
        let applied = Set(try s.query("SELECT name FROM form_dns_migration").map { try $0[0].decode(String.self) })
        for migration in migrations where !applied.contains(migration.name) {
            for statement in migration.sql { try s.execute(statement) }
            try s.execute(
                """
                INSERT INTO form_dns_migration (name, applied_us)
                VALUES (\(migration.name), \(AuditChain.microseconds(Date())))
                """)
        }
        try s.execute("COMMIT")
    }
}
