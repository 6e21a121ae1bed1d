// FormStore: what form-dns keeps across restarts, behind the `Store` protocol.
//
// Lives here: configuration versions (the file seeds the first; every change is a new version),
// health overrides and the last known health of every node (so a restart is not a cold start),
// and the hash-chained audit log (`AuditChain`: every entry carries the previous entry's hash, so
// an edited, deleted or reordered entry is found by `verify`). `SQLiteStore` (GRDB, a file in
// `state_dir`, versioned migrations) is the embedded default; another database (the fleet's
// PostgreSQL) is another `Store`, with no change to callers.
//
// Must not live here: what the stored values mean to the engine (FormAuthority, FormConfig) or who
// may change them (the API). The store keeps and returns values; it does not validate them.
