import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The event history of a running form-dns: health transitions, overrides, record and
/// configuration changes, reloads and fail-open periods are kept, and `/v1/events` and
/// `ctl events` read them back by time, pool, node and kind; bad filters are refused.
@Suite(.serialized) struct EventsTests {
    static func events(_ api: String, _ query: String = "", token: String? = ManagementAPITests.token) throws
        -> (status: Int, events: [[String: Any]], body: String)
    {
        let r = try ManagementAPITests.curl(api, "/v1/events" + query, method: "GET", token: token)
        let object = (try? JSONSerialization.jsonObject(with: Data(r.body.utf8))) as? [String: Any]
        return (r.status, object?["events"] as? [[String: Any]] ?? [], r.body)
    }

    @Test func whatHappenedIsKeptAndCanBeAskedFor() throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        try """
            \(try ManagementAPITests.managedServer(in: dir))
            events: {retention_days: 7}
            pools:
              - name: entry
                names: [entry.formation.test]
                health: {check: tcp, port: \(port), interval_ms: 300, timeout_ms: 200, rise: 1, fall: 2}
                nodes:
                  - {id: n1, ipv4: 127.0.0.61, latitude: 52.4, longitude: 4.9}
                  - {id: n2, ipv4: 127.0.0.62, latitude: 51.5, longitude: -0.1}
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        var nodes = [
            try HealthIntegrationTests.node("127.0.0.61", port: port, dir: dir),
            try HealthIntegrationTests.node("127.0.0.62", port: port, dir: dir),
        ]
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        try waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 2 }
        let started = Date()

        func call(_ method: String, _ path: String, _ body: String? = nil) throws {
            let r = try ManagementAPITests.curl(api, path, method: method, body: body)
            #expect((200..<300).contains(r.status), "\(method) \(path): \(r.body)")
        }
        try call("POST", "/v1/zones/formation.test/records", #"{"records": ["ev 60 IN A 192.0.2.7"]}"#)
        try call("PATCH", "/v1/pools/entry/nodes/n2", #"{"weight": 3}"#)
        try call("POST", "/v1/pools/entry/nodes/n2/override", #"{"override": "drain"}"#)
        try call("POST", "/v1/pools/entry/nodes/n2/override", #"{"override": null}"#)
        // Both nodes die: two transitions, then the pool answers fail-open; one comes back.
        nodes.forEach { $0.stop() }
        try waitFor { dns.log.components(separatedBy: "consecutive failed check").count - 1 == 2 }
        nodes[0] = try HealthIntegrationTests.node("127.0.0.61", port: port, dir: dir)
        try waitFor { dns.log.contains("entry/n1 unhealthy -> healthy") }
        dns.signal(SIGHUP)
        try waitFor { dns.log.contains("unchanged since version") }

        // Events are stored by the store's writer, and a pool's fail-open state is worked out
        // 100 ms after a transition: both a moment later than the log line.
        var all = try Self.events(api, "?since=1h")
        try waitFor(seconds: 5) {
            all = try Self.events(api, "?since=1h")
            return all.events.contains { ($0["summary"] as? String ?? "").contains("no longer answers fail-open") }
        }
        #expect(all.status == 200, "\(all.body)")
        let kinds = all.events.compactMap { $0["kind"] as? String }
        for kind in ["health", "record", "config", "override", "fail-open", "reload"] {
            #expect(kinds.contains(kind), "\(kind) missing from \(kinds)")
        }
        let summaries = all.events.compactMap { $0["summary"] as? String }
        #expect(summaries.contains { $0.contains("entry answers fail-open") })
        #expect(summaries.contains { $0.contains("entry no longer answers fail-open") })
        #expect(summaries.contains { $0.contains("add 1 record(s) to formation.test") })
        #expect(summaries.contains { $0.contains("entry/n2 override drain") })
        // Oldest first, ids increasing; the record change before the first failure.
        let ids = all.events.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted() && ids.count == all.events.count)
        let recordAt = try #require(summaries.firstIndex { $0.contains("record(s)") })
        let failAt = try #require(summaries.firstIndex { $0.contains("answers fail-open") })
        #expect(recordAt < failAt)

        // Filters: a node, a kind, a range, a limit.
        let n1 = try Self.events(api, "?pool=entry&node=n1")
        #expect(!n1.events.isEmpty && n1.events.allSatisfy { $0["node"] as? String == "n1" })
        let reloads = try Self.events(api, "?kind=reload,fail-open")
        #expect(Set(reloads.events.compactMap { $0["kind"] as? String }) == ["reload", "fail-open"])
        let iso = ISO8601DateFormatter()
        let future = try Self.events(api, "?since=" + iso.string(from: Date().addingTimeInterval(3600)))
        #expect(future.status == 200 && future.events.isEmpty)
        let before = try Self.events(api, "?until=\(Int(started.timeIntervalSince1970) - 1)")
        #expect(before.status == 200 && before.events.allSatisfy { $0["kind"] as? String == "health" })
        #expect(try Self.events(api, "?limit=2").events.count == 2)

        // Bad filters: each a 400 with the reason.
        for (query, says) in [
            ("?since=yesterday", "not a time"), ("?since=1h&until=2h", "since is after until"),
            ("?color=red", "unknown filter 'color'"), ("?kind=health,bogus", "unknown kind 'bogus'"),
            ("?limit=0", "limit must be"), ("?limit=99999", "limit must be"),
        ] {
            let r = try Self.events(api, query)
            #expect(r.status == 400 && r.body.contains(says), "\(query): \(r.status) \(r.body)")
        }

        // Rights: no token 401; a pool-limited token sees only its pools' events.
        #expect(try Self.events(api, token: nil).status == 401)
        let limited = try ControlAPITests.json(
            try ManagementAPITests.curl(api, "/v1/tokens", body: #"{"role": "reader", "pools": ["other"]}"#).body)
        let secret = try #require(limited["secret"] as? String)
        let theirs = try Self.events(api, token: secret)
        #expect(theirs.status == 200 && theirs.events.isEmpty)
        #expect(try Self.events(api, "?pool=entry", token: secret).status == 403)

        // ctl events prints a line per event.
        let ctl = try Harness.run(
            Harness.formDNSBinary,
            ["ctl", "events", "--since", "2h", "--kind", "fail-open", "--api", api, "--token-file", dir + "/token"])
        #expect(ctl.status == 0, "\(ctl.output)")
        #expect(ctl.output.split(separator: "\n").count == 2 && ctl.output.contains("fail-open"), "\(ctl.output)")
    }
}
