import FormAuthority
import Foundation
import GRDB

/// The embedded store: one SQLite file (`form-dns.sqlite`) in the state directory, created on first
/// use with the directory (mode 0700: tokens and the audit log live here), migrated on open.
public final class SQLiteStore: Store {
    /// GRDB's queue serialises every access on its own queue, so the class holds no other state.
    private let database: DatabaseQueue
    public let path: String

    public init(directory: String) throws(StoreError) {
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw StoreError("cannot create the state directory \(directory): \(error.localizedDescription)")
        }
        path = (directory.hasSuffix("/") ? directory : directory + "/") + "form-dns.sqlite"
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            // WAL with synchronous=NORMAL: a commit is one append to the log, with no fsync of its
            // own. It survives the process being killed (kill -9: the log is in the kernel's page
            // cache); only a power loss may take the last commits, never corrupt the file.
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw StoreError("cannot open the store \(path): \(error)")
        }
    }

    /// Runs `body` in a transaction; any database error becomes a `StoreError` naming the file.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try database.write(body) } catch { throw StoreError("store \(path): \(error)") }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do { return try database.read(body) } catch { throw StoreError("store \(path): \(error)") }
    }

    public func latestConfigVersion() throws(StoreError) -> ConfigVersion? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM config_version ORDER BY id DESC LIMIT 1").map(Self.version)
        }
    }

    public func latestConfigVersion(author: String) throws(StoreError) -> ConfigVersion? {
        try read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM config_version WHERE author = ? ORDER BY id DESC LIMIT 1", arguments: [author]
            ).map(Self.version)
        }
    }

    public func configVersions(limit: Int) throws(StoreError) -> [ConfigVersion.Summary] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM config_version ORDER BY id DESC LIMIT ?", arguments: [limit])
                .map { Self.version($0).summary }
        }
    }

    public func configVersion(id: Int) throws(StoreError) -> ConfigVersion? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM config_version WHERE id = ?", arguments: [id]).map(Self.version)
        }
    }

    public func addConfigVersion(text: String, author: String, message: String) throws(StoreError) -> ConfigVersion {
        let created = Date()
        return try write { db in
            try db.execute(
                sql: "INSERT INTO config_version (created_us, author, message, text) VALUES (?, ?, ?, ?)",
                arguments: [AuditChain.microseconds(created), author, message, text])
            let id = Int(db.lastInsertedRowID)
            return ConfigVersion(
                id: id, created: Self.date(AuditChain.microseconds(created)), author: author,
                message: message, text: text)
        }
    }

    public func appendAudit(_ event: AuditEvent) throws(StoreError) -> AuditEntry {
        var event = event
        event.time = Self.date(AuditChain.microseconds(event.time))
        let stored = event
        return try write { db in
            let last = try Row.fetchOne(db, sql: "SELECT sequence, hash FROM audit ORDER BY sequence DESC LIMIT 1")
            let sequence = (last?["sequence"] as Int? ?? 0) + 1
            let previous = last?["hash"] as String? ?? ""
            let hash = AuditChain.hash(sequence: sequence, event: stored, previousHash: previous)
            try db.execute(
                sql: """
                    INSERT INTO audit (sequence, time_us, actor, role, remote, request_id, action, target, change,
                                       outcome, previous_hash, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    sequence, AuditChain.microseconds(stored.time), stored.actor, stored.role, stored.remote,
                    stored.requestID, stored.action, stored.target, stored.change, stored.outcome, previous, hash,
                ])
            return AuditEntry(sequence: sequence, event: stored, previousHash: previous, hash: hash)
        }
    }

    public func auditEntries(after: Int, limit: Int) throws(StoreError) -> [AuditEntry] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM audit WHERE sequence > ? ORDER BY sequence LIMIT ?", arguments: [after, limit]
            ).map { row in
                AuditEntry(
                    sequence: row["sequence"],
                    event: AuditEvent(
                        time: Self.date(row["time_us"]), actor: row["actor"], role: row["role"], remote: row["remote"],
                        requestID: row["request_id"], action: row["action"], target: row["target"],
                        change: row["change"], outcome: row["outcome"]),
                    previousHash: row["previous_hash"], hash: row["hash"])
            }
        }
    }

    public func saveOverride(_ override: HealthOverride?, for node: NodeKey) throws(StoreError) {
        try write { db in
            if let override {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO health_override (pool, node, override) VALUES (?, ?, ?)",
                    arguments: [node.pool, node.node, override.rawValue])
            } else {
                try db.execute(
                    sql: "DELETE FROM health_override WHERE pool = ? AND node = ?", arguments: [node.pool, node.node])
            }
        }
    }

    public func overrides() throws(StoreError) -> [NodeKey: HealthOverride] {
        try read { db in
            var out: [NodeKey: HealthOverride] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM health_override") {
                // A value this version does not know (written by a newer one) is skipped, not guessed.
                if let o = HealthOverride(rawValue: row["override"]) {
                    out[NodeKey(pool: row["pool"], node: row["node"])] = o
                }
            }
            return out
        }
    }

    public func saveHealthState(_ state: HealthState, for node: NodeKey) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: "INSERT OR REPLACE INTO health_state (pool, node, state, updated_us) VALUES (?, ?, ?, ?)",
                arguments: [node.pool, node.node, state.rawValue, AuditChain.microseconds(Date())])
        }
    }

    public func healthStates() throws(StoreError) -> [NodeKey: HealthState] {
        try read { db in
            var out: [NodeKey: HealthState] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM health_state") {
                if let s = HealthState(rawValue: row["state"]) {
                    out[NodeKey(pool: row["pool"], node: row["node"])] = s
                }
            }
            return out
        }
    }

    static func version(_ row: Row) -> ConfigVersion {
        ConfigVersion(
            id: row["id"], created: date(row["created_us"]), author: row["author"], message: row["message"],
            text: row["text"])
    }

    static func date(_ microseconds: Int64) -> Date { Date(timeIntervalSince1970: Double(microseconds) / 1_000_000) }
}
