import GRDB

extension SQLiteStore {
    /// The schema, one migration per change, applied in order on open. A migration is never edited
    /// once released: a change is a new one.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: config versions, audit chain, overrides, health states") { db in
            try db.execute(
                sql: """
                    CREATE TABLE config_version (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        created_us INTEGER NOT NULL,
                        author TEXT NOT NULL,
                        message TEXT NOT NULL,
                        text TEXT NOT NULL);
                    CREATE TABLE audit (
                        sequence INTEGER PRIMARY KEY,
                        time_us INTEGER NOT NULL,
                        actor TEXT NOT NULL, role TEXT NOT NULL, remote TEXT NOT NULL, request_id TEXT NOT NULL,
                        action TEXT NOT NULL, target TEXT NOT NULL, change TEXT NOT NULL, outcome TEXT NOT NULL,
                        previous_hash TEXT NOT NULL,
                        hash TEXT NOT NULL);
                    CREATE TABLE health_override (
                        pool TEXT NOT NULL, node TEXT NOT NULL, override TEXT NOT NULL,
                        PRIMARY KEY (pool, node));
                    CREATE TABLE health_state (
                        pool TEXT NOT NULL, node TEXT NOT NULL, state TEXT NOT NULL, updated_us INTEGER NOT NULL,
                        PRIMARY KEY (pool, node));
                    """)
        }
        migrator.registerMigration("v2: API tokens with roles") { db in
            try db.execute(
                sql: """
                    CREATE TABLE api_token (
                        id TEXT PRIMARY KEY,
                        secret_hash TEXT NOT NULL,
                        role TEXT NOT NULL,
                        pools TEXT NOT NULL,
                        node_pool TEXT, node_id TEXT,
                        label TEXT NOT NULL,
                        created_us INTEGER NOT NULL,
                        expires_us INTEGER,
                        revoked_us INTEGER);
                    """)
        }
        migrator.registerMigration("v3: pending changes for approval") { db in
            try db.execute(
                sql: """
                    CREATE TABLE pending_change (
                        id TEXT PRIMARY KEY,
                        created_us INTEGER NOT NULL,
                        expires_us INTEGER NOT NULL,
                        author TEXT NOT NULL,
                        action TEXT NOT NULL,
                        message TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        base_version INTEGER,
                        payload TEXT NOT NULL,
                        status TEXT NOT NULL,
                        decided_by TEXT,
                        decided_us INTEGER);
                    """)
        }
        migrator.registerMigration("v4: event history") { db in
            try db.execute(
                sql: """
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        at_us INTEGER NOT NULL,
                        kind TEXT NOT NULL,
                        pool TEXT,
                        node TEXT,
                        summary TEXT NOT NULL,
                        detail TEXT NOT NULL);
                    CREATE INDEX event_at ON event (at_us);
                    CREATE INDEX event_pool_node ON event (pool, node, at_us);
                    """)
        }
        return migrator
    }()
}
