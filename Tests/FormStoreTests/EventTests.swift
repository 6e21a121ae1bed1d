import Foundation
import FormStore
import Testing

/// The event history in SQLite: filters by time, pool, node, kind and a pool-limited view, the
/// newest `limit` oldest first, and the retention's pruning.
@Suite struct EventTests {
    @Test func queriesFilterAndPruneDrops() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("events-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try SQLiteStore(directory: dir)
        let now = Date()
        func at(_ hoursAgo: Double) -> Date { now.addingTimeInterval(-hoursAgo * 3600) }
        try store.appendEvent(DNSEvent(time: at(50), kind: .reload, summary: "old reload"))
        try store.appendEvent(DNSEvent(time: at(5), kind: .health, pool: "entry", node: "n1", summary: "n1 down"))
        try store.appendEvent(DNSEvent(time: at(4), kind: .health, pool: "entry", node: "n2", summary: "n2 down"))
        try store.appendEvent(DNSEvent(time: at(3), kind: .failOpen, pool: "entry", summary: "fail-open"))
        let stored = try store.appendEvent(
            DNSEvent(time: at(1), kind: .record, summary: "add", detail: ["version": "7", "author": "tok"]))
        #expect(stored.id > 0)

        func summaries(_ q: DNSEventQuery) throws -> [String] { try store.events(q).map(\.summary) }
        #expect(try summaries(DNSEventQuery()) == ["old reload", "n1 down", "n2 down", "fail-open", "add"])
        #expect(try summaries(DNSEventQuery(since: at(6))) == ["n1 down", "n2 down", "fail-open", "add"])
        #expect(try summaries(DNSEventQuery(since: at(6), until: at(3.5))) == ["n1 down", "n2 down"])
        #expect(try summaries(DNSEventQuery(pool: "entry", node: "n2")) == ["n2 down"])
        #expect(try summaries(DNSEventQuery(kinds: [.failOpen, .record])) == ["fail-open", "add"])
        #expect(try summaries(DNSEventQuery(limit: 2)) == ["fail-open", "add"])
        #expect(try summaries(DNSEventQuery(pools: ["entry"])) == ["n1 down", "n2 down", "fail-open"])
        #expect(try summaries(DNSEventQuery(pools: [])).isEmpty)
        #expect(try store.events(DNSEventQuery(kinds: [.record])).first?.detail == ["version": "7", "author": "tok"])

        #expect(try store.pruneEvents(before: at(24)) == 1)
        #expect(try summaries(DNSEventQuery()).first == "n1 down")
    }
}
