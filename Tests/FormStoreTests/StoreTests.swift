import FormAuthority
import FormStore
import Foundation
import GRDB
import Testing

@Suite struct StoreTests {
    static func directory() -> String {
        NSTemporaryDirectory() + "form-store-\(UUID().uuidString)"
    }

    @Test func theStateDirectoryIsCreatedPrivateAndReopensWithItsData() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let store = try SQLiteStore(directory: dir)
            _ = try store.addConfigVersion(text: "zones: []\n", author: "file", message: "first")
            _ = try store.addConfigVersion(text: "zones: [x]\n", author: "admin-1", message: "second")
            try store.saveOverride(.drain, for: NodeKey(pool: "entry", node: "n1"))
            try store.saveHealthState(.unhealthy, for: NodeKey(pool: "entry", node: "n2"))
        }
        let mode = try FileManager.default.attributesOfItem(atPath: dir)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        let store = try SQLiteStore(directory: dir)  // migrations run again: nothing changes
        #expect(try store.latestConfigVersion()?.text == "zones: [x]\n")
        #expect(try store.configVersions(limit: 10).map(\.id) == [2, 1])
        #expect(try store.configVersion(id: 1)?.message == "first")
        #expect(try store.configVersion(id: 3) == nil)
        #expect(try store.overrides() == [NodeKey(pool: "entry", node: "n1"): .drain])
        #expect(try store.healthStates() == [NodeKey(pool: "entry", node: "n2"): .unhealthy])
        try store.saveOverride(nil, for: NodeKey(pool: "entry", node: "n1"))
        #expect(try store.overrides().isEmpty)
    }

    @Test func anUnusableDirectoryIsAClearError() {
        #expect(throws: StoreError.self) { try SQLiteStore(directory: "/proc/form-dns-state") }
        do { _ = try SQLiteStore(directory: "/proc/form-dns-state") } catch {
            #expect(error.message.contains("/proc/form-dns-state"))
        }
    }

    /// Three entries, then each kind of tampering, each found at the first entry it breaks.
    @Test(arguments: [
        ("UPDATE audit SET outcome = 'ok' WHERE sequence = 2", 2, "changed"),
        ("DELETE FROM audit WHERE sequence = 2", 2, "missing"),
        ("UPDATE audit SET sequence = 9 WHERE sequence = 2; UPDATE audit SET sequence = 2 WHERE sequence = 3;"
            + "UPDATE audit SET sequence = 3 WHERE sequence = 9", 2, "link"),
        ("UPDATE audit SET time_us = time_us + 1 WHERE sequence = 3", 3, "changed"),
    ])
    func theAuditChainFindsTheFirstTamperedEntry(sql: String, sequence: Int, reason: String) throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        for (i, outcome) in ["ok", "403 forbidden", "ok"].enumerated() {
            let entry = try store.appendAudit(
                AuditEvent(actor: "token-\(i)", role: "operator", remote: "127.0.0.1", action: "POST /v1/x",
                           target: "entry/n\(i)", change: "a -> b", outcome: outcome))
            #expect(entry.sequence == i + 1)
        }
        guard case .intact(let count, let head) = try store.verifyAudit() else {
            Issue.record("an untouched chain does not verify")
            return
        }
        #expect(count == 3 && head.count == 64)
        let db = try DatabaseQueue(path: store.path)
        try db.write { try $0.execute(sql: sql) }
        guard case .broken(let problem) = try store.verifyAudit() else {
            Issue.record("tampering not found: \(sql)")
            return
        }
        #expect(problem.sequence == sequence && problem.reason.contains(reason), "\(problem)")
    }

    /// Each entry's hash covers every field: no two different events hash alike.
    @Test func everyFieldIsHashed() {
        let base = AuditEvent(time: Date(timeIntervalSince1970: 1), actor: "a", role: "r", remote: "m",
                              requestID: "q", action: "x", target: "t", change: "c", outcome: "o")
        let variants: [(inout AuditEvent) -> Void] = [
            { $0.actor = "b" }, { $0.role = "s" }, { $0.remote = "n" }, { $0.requestID = "p" }, { $0.action = "y" },
            { $0.target = "u" }, { $0.change = "d" }, { $0.outcome = "p" },
            { $0.time = Date(timeIntervalSince1970: 1.000001) }, { $0.actor = "ar"; $0.role = "" },
        ]
        let hashes = [AuditChain.hash(sequence: 1, event: base, previousHash: "")] + variants.map { change in
            var e = base
            change(&e)
            return AuditChain.hash(sequence: 1, event: e, previousHash: "")
        }
        #expect(Set(hashes).count == hashes.count)
        #expect(AuditChain.hash(sequence: 2, event: base, previousHash: "") != hashes[0])
    }
}
