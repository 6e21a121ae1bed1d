import FormAuthority
import FormConfig
import FormStore
import Foundation
import TestFixtures
import Synchronization
import Testing

/// The PostgreSQL store against a real server of the suite's own (Debian's PostgreSQL, started on
/// 127.0.0.1:55441 with its own data directory), each test in a database of its own.
@Suite(.serialized) struct PostgresStoreTests {
    /// Started once, on a thread of its own: initdb takes seconds the test pool's threads need.
    static let starting = Task { try await TestThreads.run { try TestPostgres(port: 55441) } }
    static func server() async throws -> TestPostgres { try await starting.value }

    static func store(authority: String = "a1", database: String? = nil) async throws -> (PostgresStore, String) {
        try makeStore(try await server(), authority: authority, database: database)
    }

    /// A store on `server` for `authority`, in `database` (nil: a new one).
    static func makeStore(_ server: TestPostgres, authority: String, database: String?) throws -> (PostgresStore, String) {
        let name = database ?? "t_" + UUID().uuidString.prefix(8).lowercased()
        if database == nil { try server.psql("CREATE DATABASE \(name)") }
        let url = "postgresql://form@127.0.0.1:\(server.port)/\(name)?sslmode=disable"
        let location = try PostgresLocation.parse(url).get()
        return (try PostgresStore(location: location, authority: authority), name)
    }

    @Test func versionsOverridesAndStatesRoundTripAndAConflictIsNamed() async throws {
        let (store, _) = try await Self.store()
        let v1 = try store.addConfigVersion(text: "zones: []\n", author: "file", message: "first")
        let v2 = try store.addConfigVersion(text: "zones: [x]\n", author: "admin-1", message: "second", after: v1.id)
        #expect(try store.latestConfigVersion()?.text == "zones: [x]\n")
        #expect(try store.latestConfigVersion(author: "file")?.id == v1.id)
        #expect(try store.configVersions(limit: 10).map(\.id) == [v2.id, v1.id])
        #expect(try store.configVersion(id: v1.id)?.message == "first")
        #expect(try store.configVersion(id: 99) == nil)
        // A change made on version 1 after version 2 was stored elsewhere is a conflict, not stored.
        do {
            _ = try store.addConfigVersion(text: "zones: [y]\n", author: "admin-2", message: "late", after: v1.id)
            Issue.record("a stale base was stored")
        } catch {
            #expect(error.isConflict)
            #expect(error.message.contains("stored meanwhile"))
        }
        #expect(try store.latestConfigVersion()?.id == v2.id)
        try store.saveOverride(.drain, for: NodeKey(pool: "entry", node: "n1"))
        try store.saveOverride(.forceUp, for: NodeKey(pool: "entry", node: "n1"))
        #expect(try store.overrides() == [NodeKey(pool: "entry", node: "n1"): .forceUp])
        try store.saveOverride(nil, for: NodeKey(pool: "entry", node: "n1"))
        #expect(try store.overrides().isEmpty)
        try store.saveHealthState(.unhealthy, for: NodeKey(pool: "entry", node: "n2"))
        #expect(try store.healthStates() == [NodeKey(pool: "entry", node: "n2"): .unhealthy])
    }

    @Test func eachAuthorityPublishesItsOwnViewAndStaleViewsAreLeftOut() async throws {
        let (a1, db) = try await Self.store(authority: "a1")
        let (a2, _) = try await Self.store(authority: "a2", database: db)
        let n1 = NodeKey(pool: "entry", node: "n1")
        try a1.publishHealth([n1: .healthy])
        try a2.publishHealth([n1: .unhealthy])
        let views = try a1.healthViews(freshWithin: 60)
        #expect(Set(views.map { "\($0.authority) \($0.node) \($0.state.rawValue)" }) == [
            "a1 entry/n1 healthy", "a2 entry/n1 unhealthy",
        ])
        // Each restores only its own states.
        #expect(try a2.healthStates() == [n1: .unhealthy])
        try await Self.server().psql(
            in: db, "UPDATE health_report SET updated_us = updated_us - 120000000 WHERE authority = 'a2'")
        #expect(try a1.healthViews(freshWithin: 60).map(\.authority) == ["a1"])
    }

    @Test func tokensApprovalsAndEventsRoundTrip() async throws {
        let (store, _) = try await Self.store()
        let (token, secret) = APIToken.make(role: .reporter, pools: ["entry"], node: NodeKey(pool: "entry", node: "n1"))
        try store.addToken(token)
        let read = try #require(try store.token(id: token.id))
        #expect(read.matches(secret: secret))
        #expect(read.node == NodeKey(pool: "entry", node: "n1"))
        #expect(read.pools == ["entry"])
        #expect(try store.revokeToken(id: token.id))
        #expect(try !store.revokeToken(id: token.id))
        #expect(try store.token(id: token.id)?.revoked != nil)
        #expect(try store.tokens().count == 1)

        let change = PendingChange(
            expires: Date().addingTimeInterval(600), author: "t1", action: "remove pool entry", message: "m",
            reason: "pool-removal", baseVersion: 3, payload: "text")
        try store.addPendingChange(change)
        #expect(try store.pendingChange(id: change.id)?.baseVersion == 3)
        #expect(try store.decidePendingChange(id: change.id, status: .approved, by: "t2"))
        #expect(try !store.decidePendingChange(id: change.id, status: .rejected, by: "t3"))
        #expect(try store.pendingChanges(limit: 5).first?.decidedBy == "t2")

        let now = Date()
        for (i, kind) in [DNSEvent.Kind.health, .override, .config].enumerated() {
            try store.appendEvent(
                DNSEvent(time: now.addingTimeInterval(Double(i)), kind: kind, pool: i == 2 ? nil : "entry",
                         node: "n\(i)", summary: "s\(i)", detail: ["k": "v\(i)"]))
        }
        let all = try store.events(DNSEventQuery())
        #expect(all.map(\.summary) == ["a1: s0", "a1: s1", "a1: s2"])  // (whose line it is)
        #expect(all[0].detail["authority"] == "a1")
        #expect(try store.events(DNSEventQuery(kinds: [.override])).map(\.summary) == ["a1: s1"])
        #expect(try store.events(DNSEventQuery(pools: ["entry"])).map(\.summary) == ["a1: s0", "a1: s1"])
        #expect(try store.events(DNSEventQuery(pools: [])).isEmpty)
        #expect(try store.events(DNSEventQuery(limit: 1)).map(\.summary) == ["a1: s2"])
        #expect(try store.pruneEvents(before: now.addingTimeInterval(1.5)) == 2)
    }

    /// Two authorities appending at once make one chain, which verifies; tampering is found.
    @Test func concurrentAuditAppendsMakeOneChain() async throws {
        let (a1, db) = try await Self.store(authority: "a1")
        let (a2, _) = try await Self.store(authority: "a2", database: db)
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let store = i == 0 ? a1 : a2
            for n in 0..<50 {
                _ = try? store.appendAudit(AuditEvent(actor: "a\(i)", action: "x", target: "\(n)", outcome: "ok"))
            }
        }
        guard case .intact(let count, _) = try a1.verifyAudit() else {
            Issue.record("the chain does not verify")
            return
        }
        #expect(count == 100)
        try await Self.server().psql(in: db, "UPDATE audit SET outcome = 'denied' WHERE sequence = 40")
        guard case .broken(let problem) = try a2.verifyAudit() else {
            Issue.record("tampering went unnoticed")
            return
        }
        #expect(problem.sequence == 40)
    }

    /// Three authorities starting at the same moment on an empty database: one set of tables.
    @Test func simultaneousStartsMigrateOnce() async throws {
        let server = try await Self.server()
        let db = "t_" + UUID().uuidString.prefix(8).lowercased()
        try server.psql("CREATE DATABASE \(db)")
        let failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 3) { i in
            do { _ = try Self.makeStore(server, authority: "a\(i)", database: db) } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 } == [])
        #expect(try server.psql(in: db, "SELECT count(*) FROM form_dns_migration") == "1")
    }

    /// The database stopping is a quick, clear error; its return is used without a restart.
    @Test func aStoppedDatabaseIsAClearErrorAndItsReturnIsUsed() async throws {
        let (store, _) = try await Self.store()
        _ = try store.addConfigVersion(text: "a", author: "file", message: "m")
        let server = try await Self.server()
        try await TestThreads.run { try server.stop() }
        defer { try? server.start() }
        let started = Date()
        do {
            try store.ping()
            Issue.record("a stopped database answered")
        } catch {
            #expect(error.message.contains("postgresql://form@127.0.0.1:\(server.port)/"))
            #expect(!error.isConflict)
        }
        #expect(Date().timeIntervalSince(started) < 30)  // (refused on loopback: not a hang)
        // For a second after a failed connect, calls fail at once (no queue of connect timeouts).
        _ = try? store.ping()  // (the first may have found the old connection broken; this one connects)
        do {
            _ = try store.latestConfigVersion()
            Issue.record("a call right after a failed connect tried again")
        } catch {
            #expect(error.isUnreachable && error.message.contains("under a second ago"), "\(error)")
        }
        try await TestThreads.run { try server.start() }
        // Then it connects again, without a restart of the caller.
        var text: String? = nil
        for _ in 0..<50 where text == nil {
            text = try? store.latestConfigVersion()?.text
            if text == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(text == "a")
    }

    @Test func locationsAreReadOrRefusedWithWhy() {
        let ok = try? PostgresLocation.parse("postgresql://form:secret@[::1]:6000/fleet?sslmode=require").get()
        #expect(ok?.host == "::1")
        #expect(ok?.port == 6000)
        #expect(ok?.password == "secret")
        #expect(ok?.tls == .require)
        #expect(ok?.description == "postgresql://form@[::1]:6000/fleet")
        for (text, why) in [
            ("mysql://u@h/d", "is not a postgresql://"), ("postgresql://h/d", "no user"),
            ("postgresql://u@h/", "no database"), ("postgresql://u@h/d?sslmode=maybe", "sslmode 'maybe'"),
            ("postgresql://u@h/d?timeout=3", "unknown URI parameter 'timeout'"),
        ] {
            guard case .failure(let error) = PostgresLocation.parse(text) else {
                Issue.record("\(text) was accepted")
                continue
            }
            #expect(error.message.contains(why), "\(text): \(error.message)")
        }
        guard case .failure(let e) = PostgresLocation.parse("mysql://u:hunter2@h/d") else { return }
        #expect(!e.message.contains("hunter2"))
    }
}

