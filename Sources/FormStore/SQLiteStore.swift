import FormAuthority
import Foundation
#if canImport(Glibc)
    import Glibc
#endif
import GRDB
import Synchronization

/// The embedded store: one SQLite file (`form-dns.sqlite`) in the state directory, created on first
/// use with the directory (mode 0700: tokens and the audit log live here), migrated on open.
///
/// A store that cannot be written (a full disk, a directory remounted read-only) keeps being read:
/// `writeProblem` says why the last write failed until one succeeds again, and `onWriteProblem`
/// hears each change of it, so the server reports it and refuses changes rather than lose them.
public final class SQLiteStore: Store {
    /// GRDB's queue serialises every access on its own queue; `problem` has its own lock.
    private let database: DatabaseQueue
    public let path: String
    /// Opened read-only: the directory or the file could not be written at start.
    public let isReadOnly: Bool
    private let problem: Mutex<String?>
    private let onWriteProblem: @Sendable (String?) -> Void

    /// Opens (creating if needed) the store in `directory`. With `readOnly`, nothing is created or
    /// migrated and every write fails: for a state directory that cannot be written, so the server
    /// still serves its newest stored version (`openForServing`).
    public init(
        directory: String, readOnly: Bool = false, onWriteProblem: @escaping @Sendable (String?) -> Void = { _ in }
    ) throws(StoreError) {
        if !readOnly {
            do {
                try FileManager.default.createDirectory(
                    atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw StoreError("cannot create the state directory \(directory): \(error.localizedDescription)")
            }
        }
        path = (directory.hasSuffix("/") ? directory : directory + "/") + "form-dns.sqlite"
        isReadOnly = readOnly
        self.onWriteProblem = onWriteProblem
        problem = Mutex(readOnly ? "the store \(path) is open read-only: its directory or file cannot be written" : nil)
        do {
            var configuration = Configuration()
            configuration.busyMode = .timeout(5)
            configuration.readonly = readOnly
            // WAL with synchronous=NORMAL: a commit is one append to the log, with no fsync of its
            // own. It survives the process being killed (kill -9: the log is in the kernel's page
            // cache); only a power loss may take the last commits, never corrupt the file.
            if !readOnly {
                configuration.prepareDatabase { db in
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
            }
            database = try Self.queue(path: path, configuration: configuration)
            if readOnly {
                guard try database.read(Self.migrator.hasCompletedMigrations) else {
                    throw StoreError("\(path) was made by another version of form-dns and cannot be migrated read-only")
                }
            } else {
                try Self.migrator.migrate(database)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot open the store \(path): \(error)")
        }
    }

    /// The database at `path`. Read-only, a WAL database closed cleanly (no -wal and -shm files
    /// beside it) opens only as immutable, since SQLite cannot create its shared-memory file in a
    /// directory it may not write; with them (the server was killed), the plain read-only open
    /// works and reads the commits still in the log.
    static func queue(path: String, configuration: Configuration) throws -> DatabaseQueue {
        do { return try DatabaseQueue(path: path, configuration: configuration) } catch {
            guard configuration.readonly else { throw error }
            var allowed = CharacterSet.urlPathAllowed
            allowed.remove(charactersIn: "?#%")
            let escaped = path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
            return try DatabaseQueue(path: "file:\(escaped)?immutable=1", configuration: configuration)
        }
    }

    /// The store of a serving authority: read-write, or read-only when the directory or the file
    /// cannot be written (answers go on from what is stored; changes are refused, and said so).
    /// Throws only when the store cannot even be read (the first error is the one reported).
    public static func openForServing(
        directory: String, onWriteProblem: @escaping @Sendable (String?) -> Void = { _ in }
    ) throws(StoreError) -> SQLiteStore {
        // SQLite opens a file it may not write read-only without a word: ask the kernel first (it
        // answers EROFS for a read-only mount, even to root).
        for target in [directory, directory + "/form-dns.sqlite"] where access(target, W_OK) != 0 && errno != ENOENT {
            let reason = String(cString: strerror(errno))
            let store = try SQLiteStore(directory: directory, readOnly: true, onWriteProblem: onWriteProblem)
            store.problem.withLock { $0 = "\(target) cannot be written (\(reason)): the store is open read-only" }
            return store
        }
        do { return try SQLiteStore(directory: directory, onWriteProblem: onWriteProblem) } catch {
            guard FileManager.default.fileExists(atPath: directory + "/form-dns.sqlite"),
                let store = try? SQLiteStore(directory: directory, readOnly: true, onWriteProblem: onWriteProblem)
            else { throw error }
            store.problem.withLock { $0 = "\(error.message) (serving read-only)" }
            return store
        }
    }

    /// Whether `error` says the file cannot take writes (full, read-only, failing), as opposed to
    /// refusing this one write (a constraint), which says nothing about the next.
    static func meansUnwritable(_ error: Error) -> Bool {
        guard let error = error as? DatabaseError else { return true }
        return [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_CORRUPT,
                .SQLITE_NOTADB, .SQLITE_BUSY, .SQLITE_LOCKED].contains(error.resultCode.primaryResultCode)
    }

    /// Why the last write failed, until one succeeds (nil: writable as far as known).
    public var writeProblem: String? { problem.withLock { $0 } }

    private func noteWrite(_ failure: String?) {
        let changed = problem.withLock { current in
            // Read-only stays read-only: a later success cannot happen, and the reason stays the first.
            guard current != failure, !isReadOnly else { return false }
            current = failure
            return true
        }
        if changed { onWriteProblem(failure) }
    }

    /// Runs `body` in a transaction; any database error becomes a `StoreError` naming the file.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            let result = try database.write(body)
            noteWrite(nil)
            return result
        } catch {
            let failure = StoreError("store \(path): \(error)")
            if Self.meansUnwritable(error) { noteWrite(failure.message) }
            throw failure
        }
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
        try write { db in try Self.insert(state, for: node, db) }
    }

    static func insert(_ state: HealthState, for node: NodeKey, _ db: Database) throws {
        try db.execute(
            sql: "INSERT OR REPLACE INTO health_state (pool, node, state, updated_us) VALUES (?, ?, ?, ?)",
            arguments: [node.pool, node.node, state.rawValue, AuditChain.microseconds(Date())])
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
