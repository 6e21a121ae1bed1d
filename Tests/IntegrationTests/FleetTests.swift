import DNSWire
import Foundation
import TestFixtures
import Synchronization
import Testing

/// Three form-dns authorities on one PostgreSQL (Debian's, started by the suite on
/// 127.0.0.1:55451 with its own data directory): a change made on one is answered by all three;
/// losing the database is not an outage; an authority killed during changes leaves the others and
/// the store consistent.
@Suite(.serialized) struct FleetTests {
    /// Started once, on a thread of its own: initdb takes seconds the test pool's threads need.
    static let starting = Task { try await TestThreads.run { try TestPostgres(port: 55451) } }
    static func postgres() async throws -> TestPostgres { try await starting.value }
    static let admin = ManagementAPITests.token

    /// One authority: its process and API address.
    struct Authority {
        let name: String
        let dns: ServerProcess
        let api: String
        let dir: String
    }

    /// A fresh database for one test, and its URI.
    static func database() async throws -> String {
        let pg = try await postgres()
        let name = "fleet_" + UUID().uuidString.prefix(8).lowercased()
        try pg.psql("CREATE DATABASE \(name)")
        return "postgresql://form@127.0.0.1:\(pg.port)/\(name)?sslmode=disable"
    }

    static func config(_ name: String, store: String, pools: String = defaultPools, fleet: String = "") -> String {
        """
        listen: ["127.0.0.1:0"]
        zones: [{origin: formation.test, file: formation.test.zone}]
        management: {listen: "127.0.0.1:0", token_file: api-token}
        fleet: {store: "\(store)", authority: \(name), report_interval_s: 1, report_fresh_s: 4, catch_up_s: 1\(fleet)}
        \(pools)
        """
    }

    static let defaultPools = """
        pools:
          - name: entry
            names: [entry.formation.test]
            health: {check: none}
            policy: {max_answers: 3}
            nodes:
              - {id: a1, ipv4: 127.0.0.41, latitude: 52, longitude: 4, region: eu}
              - {id: a2, ipv4: 127.0.0.42, latitude: 51, longitude: 0, region: eu}
        """

    static func start(_ name: String, config: String, dir: String = Harness.tempDirectory()) throws -> Authority {
        if !FileManager.default.fileExists(atPath: dir + "/formation.test.zone") {
            try FileManager.default.copyItem(
                atPath: Harness.packageRoot + "/Fixtures/demo/formation.test.zone",
                toPath: dir + "/formation.test.zone")
        }
        try admin.write(toFile: dir + "/api-token", atomically: true, encoding: .utf8)
        try config.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        return Authority(name: name, dns: dns, api: try HealthIntegrationTests.apiAddress(dns), dir: dir)
    }

    static func call(_ a: Authority, _ method: String, _ path: String, body: String? = nil) throws
        -> (status: Int, body: String)
    {
        try ManagementAPITests.curl(a.api, path, method: method, token: admin, body: body)
    }

    static func answers(_ a: Authority, _ name: String) throws -> [String] {
        guard let reply = try WireClient.udp(wire(name, .a), port: a.dns.udpPort, timeoutMs: 500) else {
            return ["(no answer)"]
        }
        return try parse(reply).answers.map(\.data.description).sorted()
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// Seconds from `start` until `condition` holds (polled every 5 ms), or nil after `limit`.
    /// It sleeps without holding a thread: tests that wait must not starve the others' tasks. The
    /// condition is asked once more at the limit (a task resumed late must not miss it).
    /// `every`: how often to ask (a condition that runs curl is asked every 200 ms: a process
    /// every 5 ms for seconds on end is a storm of exits for the whole test run).
    static func seconds(
        limit: Double = 10, every: Duration = .milliseconds(5), until condition: () throws -> Bool
    ) async throws -> Double? {
        let start = Date()
        while true {
            if try condition() { return Date().timeIntervalSince(start) }
            if Date().timeIntervalSince(start) >= limit { return nil }
            try await Task.sleep(for: every)
        }
    }

    /// `body` on a thread of its own, awaited without holding one of the test pool's: what it
    /// times is the servers', not the wait for a busy test pool to resume a task.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }

    /// Seconds until `condition` holds, polling every millisecond on the calling thread.
    static func secondsBlocking(until condition: () throws -> Bool, limit: Double = 10) rethrows -> Double? {
        let start = Date()
        while true {
            if try condition() { return Date().timeIntervalSince(start) }
            if Date().timeIntervalSince(start) >= limit { return nil }
            usleep(1_000)
        }
    }

    static func startThree(_ store: String) throws -> [Authority] {
        // The first stores its file as version 1; the others serve the store's newest version.
        let first = try start("ns1", config: config("ns1", store: store))
        return [first] + (try ["ns2", "ns3"].map { try start($0, config: config($0, store: store)) })
    }

    @Test func aChangeOnOneIsAnsweredByAllThreeWithinASecond() async throws {
        let store = try await Self.database()
        let fleet = try Self.startThree(store)
        defer { for a in fleet { a.dns.stop() } }
        // Each change, and the wait for all three to answer it, on a thread of its own.
        let targets = fleet.map { (name: $0.name, api: $0.api, port: $0.dns.udpPort) }
        let outcomes = try await Self.onThread { () -> [(status: Int, body: String, seen: Double?)] in
            (1...6).map { i in
                let origin = targets[i % 3]
                let add = (try? ManagementAPITests.curl(
                    origin.api, "/v1/zones/formation.test/records", method: "POST", token: Self.admin,
                    body: #"{"records": ["f\#(i) 60 IN A 192.0.2.\#(i)"]}"#)) ?? (0, "curl failed")
                let seen = Self.secondsBlocking {
                    targets.allSatisfy { t in
                        let reply = try? WireClient.udp(wire("f\(i).formation.test.", .a), port: t.port, timeoutMs: 500)
                        let answers = reply.flatMap { try? parse($0) }?.answers.map(\.data.description) ?? []
                        return answers == ["192.0.2.\(i)"]
                    }
                }
                return (add.0, add.1, seen)
            }
        }
        var took: [Double] = []
        for (i, outcome) in outcomes.enumerated() {
            #expect(outcome.status == 200, "\(outcome.body)")
            took.append(try #require(outcome.seen, "change \(i + 1) made on \(targets[(i + 1) % 3].name) not answered"))
        }
        took.sort()
        // Notified at once (LISTEN/NOTIFY); a missed notification is repaired by the 1 s catch-up.
        // The 1 s target is for the release build (the CI's second pass, and
        // Benchmarks/fleet-propagation: about 20 ms); a debug build builds each version far slower.
        let release = ProcessInfo.processInfo.environment["FORM_DNS_BIN"] != nil
        #expect(took[took.count / 2] < (release ? 1 : 3), "median \(took[took.count / 2]) s: \(took)")
        print("fleet propagation (s): \(took.map { String(format: "%.3f", $0) }.joined(separator: " "))")
        // Every version is in the store once, each made by the authority that took the change.
        let versions = Self.json(try Self.call(fleet[0], "GET", "/v1/versions").body)["versions"] as? [[String: Any]]
        #expect(versions?.count == 7, "\(versions ?? [])")
        // The fleet's state is visible on every authority.
        for a in fleet {
            let status = Self.json(try Self.call(a, "GET", "/v1/fleet").body)
            #expect(status["authority"] as? String == a.name)
            #expect((status["store"] as? [String: Any])?["reachable"] as? Bool == true)
        }
        // SIGTERM stops an authority of a fleet gracefully and promptly (its LISTEN included).
        fleet[2].dns.signal(SIGTERM)
        let stopped = try await Self.seconds(limit: 10, until: { !fleet[2].dns.process.isRunning })
        #expect(stopped != nil, "\(fleet[2].dns.log)")
        #expect(fleet[2].dns.process.terminationStatus == 0, "\(fleet[2].dns.log)")
    }

    @Test func losingTheDatabaseIsNotAnOutageAndItsReturnIsCaughtUp() async throws {
        let pg = try await Self.postgres()
        let store = try await Self.database()
        let fleet = try Self.startThree(store)
        defer { for a in fleet { a.dns.stop() } }
        let add = try Self.call(
            fleet[0], "POST", "/v1/zones/formation.test/records", body: #"{"records": ["before 60 IN A 192.0.2.50"]}"#)
        #expect(add.status == 200, "\(add.body)")
        _ = try await Self.seconds { try fleet.allSatisfy { try Self.answers($0, "before.formation.test.") == ["192.0.2.50"] } }

        try await TestThreads.run { try pg.stop(mode: "immediate") }
        defer { try? pg.start() }
        // Answers go on, from the last state.
        for a in fleet {
            #expect(try Self.answers(a, "before.formation.test.") == ["192.0.2.50"])
            #expect(try Self.answers(a, "entry.formation.test.") == ["127.0.0.41", "127.0.0.42"])
        }
        // A change is refused, clearly, and changes nothing.
        let refused = try Self.call(
            fleet[1], "POST", "/v1/zones/formation.test/records", body: #"{"records": ["during 60 IN A 192.0.2.51"]}"#)
        #expect(refused.status == 503, "\(refused.body)")
        #expect(Self.json(refused.body)["code"] as? String == "store_unreachable")
        #expect(refused.body.contains("still answering from version 2"), "\(refused.body)")
        #expect(try Self.answers(fleet[1], "during.formation.test.").isEmpty)
        let override = try Self.call(fleet[2], "POST", "/v1/pools/entry/nodes/a1/drain")
        #expect(override.status == 503, "\(override.body)")
        // /v1/health and /metrics say so.
        let unreachable = try await Self.seconds(every: .milliseconds(200)) {
            let health = Self.json(try Self.call(fleet[0], "GET", "/v1/health").body)
            let fleetStatus = health["fleet"] as? [String: Any]
            return (fleetStatus?["store"] as? [String: Any])?["reachable"] as? Bool == false
        }
        #expect(unreachable != nil)
        let metrics = try Self.call(fleet[0], "GET", "/metrics").body
        #expect(metrics.contains("formdns_fleet_store_up{authority=\"ns1\"} 0"), "\(metrics)")

        try await TestThreads.run { try pg.start() }
        // Back: the refused attempts' audit entries are written, changes are taken again.
        let back = try await Self.seconds(every: .milliseconds(200)) {
            try Self.call(
                fleet[1], "POST", "/v1/zones/formation.test/records",
                body: #"{"records": ["after 60 IN A 192.0.2.52"]}"#
            ).status == 200
        }
        #expect(back != nil)
        #expect(
            try await Self.seconds { try fleet.allSatisfy { try Self.answers($0, "after.formation.test.") == ["192.0.2.52"] } }
                != nil)
        #expect(try fleet.allSatisfy { try Self.answers($0, "during.formation.test.").isEmpty })
        _ = try await Self.seconds(every: .milliseconds(200)) {
            (Self.json(try Self.call(fleet[0], "GET", "/v1/fleet").body)["store"] as? [String: Any])?["reachable"]
                as? Bool == true
        }
        let verify = try Harness.run(Harness.formDNSBinary, ["audit", "verify", "--store", store])
        #expect(verify.status == 0, "\(verify.output)")
        let audit = try pg.psql(in: Self.dbName(store), "SELECT outcome FROM audit ORDER BY sequence")
        #expect(audit.contains("503"), "the refused change's audit entry was lost: \(audit)")
    }

    static func dbName(_ uri: String) -> String {
        String(uri.split(separator: "/").last!.split(separator: "?").first!)
    }

    @Test func anAuthorityKilledDuringChangesLeavesTheOthersAndTheStoreConsistent() async throws {
        let store = try await Self.database()
        var fleet = try Self.startThree(store)
        defer { for a in fleet { a.dns.stop() } }
        let target = fleet[1].api, victim = fleet[1].dns.process.processIdentifier
        // Killed during a change: 5 ms into the fourth request (a change takes longer), by a thread
        // of the writer's, so a busy test pool cannot delay it.
        let made = try await Self.onThread { () -> Int in
            var stored = 0
            for i in 1...40 {
                let r = try? ManagementAPITests.curl(
                    target, "/v1/zones/formation.test/records", method: "POST", token: Self.admin,
                    body: #"{"records": ["k\#(i) 60 IN A 192.0.2.\#(100 + i)"]}"#)
                guard r?.status == 200 else { break }
                stored += 1
                if stored == 3 {
                    Thread {
                        usleep(5_000)
                        kill(victim, SIGKILL)
                    }.start()
                }
            }
            return stored
        }
        #expect(made >= 3 && made < 40, "\(made) changes made before the kill")
        // The survivors serve the same, newest version.
        let newest = try #require(
            Self.json(try Self.call(fleet[0], "GET", "/v1/versions").body)["versions"] as? [[String: Any]]
        ).compactMap { $0["id"] as? Int }.max()
        let same = try await Self.seconds(every: .milliseconds(200)) {
            let a = Self.json(try Self.call(fleet[0], "GET", "/v1/config").body)["version"] as? Int
            let c = Self.json(try Self.call(fleet[2], "GET", "/v1/config").body)["version"] as? Int
            return a == newest && c == newest
        }
        #expect(same != nil)
        for i in 1...40 {
            #expect(try Self.answers(fleet[0], "k\(i).formation.test.") == Self.answers(fleet[2], "k\(i).formation.test."))
        }
        // Every change the killed authority reported made is served by the others.
        for i in 1...made {
            #expect(try Self.answers(fleet[0], "k\(i).formation.test.") == ["192.0.2.\(100 + i)"])
        }
        let verify = try Harness.run(Harness.formDNSBinary, ["audit", "verify", "--store", store])
        #expect(verify.status == 0, "\(verify.output)")
        // Restarted, it serves the newest version too.
        fleet[1] = try Self.start("ns2", config: Self.config("ns2", store: store), dir: fleet[1].dir)
        let version = Self.json(try Self.call(fleet[1], "GET", "/v1/config").body)["version"] as? Int
        #expect(version == newest)
    }
}

/// Health verdicts agreed across the fleet: ns1 runs in a network namespace of the test's own,
/// from which no node on the host's loopback can be reached; ns2 and ns3 reach them. One
/// authority that cannot reach a node does not drain it; a majority does.
@Suite(.serialized) struct FleetQuorumTests {
    /// A TCP listener standing in for a node (what the checks connect to).
    static func node(_ address: String, port: Int, dir: String) throws -> ServerProcess {
        let script = """
            import signal, socket
            signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
            s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("\(address)", \(port))); s.listen(64); print("listening", flush=True)
            while True:
                c, _ = s.accept(); c.close()
            """
        let p = try ServerProcess(
            executable: try Harness.which("python3"), arguments: ["-c", script], logPath: dir + "/node-\(address).log")
        try waitFor { p.log.contains("listening") }
        return p
    }

    static func pools(port: Int) -> String {
        """
        pools:
          - name: entry
            names: [entry.formation.test]
            health: {check: tcp, port: \(port), interval_ms: 1000, timeout_ms: 800, fall: 2, rise: 1}
            policy: {max_answers: 3}
            nodes:
              - {id: n1, ipv4: 127.0.0.61, latitude: 52, longitude: 4, region: eu}
              - {id: n2, ipv4: 127.0.0.62, latitude: 51, longitude: 0, region: eu}
              - {id: n3, ipv4: 198.18.77.1, latitude: 50, longitude: 8, region: eu}
        """
    }

    @Test func oneAuthorityThatCannotReachANodeDoesNotDrainItAMajorityDoes() async throws {
        let dir = Harness.tempDirectory()
        // ns1's namespace, linked to the host by a veth pair in 198.18.77.0/30 (RFC 2544's range).
        Namespace.removeStaleLinks("fq")
        let ns = try Namespace("fq")
        let hostSide = "fq" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
        try Namespace.sh(["link", "add", hostSide, "type", "veth", "peer", "name", "q1", "netns", ns.name])
        defer { try? Namespace.sh(["link", "del", hostSide]) }
        try Namespace.sh(["addr", "add", "198.18.77.1/30", "dev", hostSide])
        try Namespace.sh(["link", "set", hostSide, "up"])
        try ns.ip(["addr", "add", "198.18.77.2/30", "dev", "q1"])
        try ns.ip(["link", "set", "q1", "up"])
        let pg = try await TestThreads.run {
            try TestPostgres(port: 55452, listen: ["127.0.0.1", "198.18.77.1"], trusting: ["198.18.77.0/30"])
        }
        let store = "postgresql://form@127.0.0.1:55452/\(pg.database)?sslmode=disable"
        let port = Harness.freePort()
        let n1 = try Self.node("127.0.0.61", port: port, dir: dir)
        let n2 = try Self.node("127.0.0.62", port: port, dir: dir)
        // n3, on the host's end of the veth pair, every authority reaches: ns1 is not in fail-open
        // (which would answer every node whatever the fleet said).
        let n3 = try Self.node("198.18.77.1", port: port, dir: dir)
        defer {
            n1.stop()
            n2.stop()
            n3.stop()
        }
        let ns2 = try FleetTests.start("ns2", config: FleetTests.config("ns2", store: store, pools: Self.pools(port: port)))
        let ns3 = try FleetTests.start("ns3", config: FleetTests.config("ns3", store: store, pools: Self.pools(port: port)))
        defer {
            ns2.dns.stop()
            ns3.dns.stop()
        }
        // ns1, inside the namespace: the store through the veth pair, nodes out of reach.
        let ns1Dir = Harness.tempDirectory()
        try FileManager.default.copyItem(
            atPath: Harness.packageRoot + "/Fixtures/demo/formation.test.zone", toPath: ns1Dir + "/formation.test.zone")
        try FleetTests.admin.write(toFile: ns1Dir + "/api-token", atomically: true, encoding: .utf8)
        try FleetTests.config(
            "ns1", store: "postgresql://form@198.18.77.1:55452/\(pg.database)?sslmode=disable",
            pools: Self.pools(port: port)
        )
        .replacingOccurrences(of: "listen: \"127.0.0.1:0\"", with: "listen: \"198.18.77.2:8053\"")
        .write(toFile: ns1Dir + "/c.yaml", atomically: true, encoding: .utf8)
        let ns1Process = try await ns.formDNS(
            config: ns1Dir + "/c.yaml", listen: ["198.18.77.2:5353"], directory: ns1Dir)
        defer { ns1Process.stop() }
        ns1Process.udpPort = 5353
        let ns1 = FleetTests.Authority(name: "ns1", dns: ns1Process, api: "198.18.77.2:8053", dir: ns1Dir)
        let fleet = [ns1, ns2, ns3]
        func answers(_ a: FleetTests.Authority) throws -> [String] {
            guard let reply = try WireClient.udp(
                wire("entry.formation.test.", .a), host: a.name == "ns1" ? "198.18.77.2" : "127.0.0.1",
                port: a.dns.udpPort, timeoutMs: 500)
            else { return ["(no answer)"] }
            return try parse(reply).answers.map(\.data.description).sorted()
        }
        // ns1 sees n1 and n2 down itself; the fleet's verdict keeps them in its answers too. First
        // every authority has checked n1 and published its view (until then a lone view decides).
        func views() throws -> [String: String]? {
            let status = FleetTests.json(try FleetTests.call(ns1, "GET", "/v1/fleet").body)
            let n1 = (status["nodes"] as? [[String: Any]])?.first { $0["node"] as? String == "n1" }
            return n1?["views"] as? [String: String]
        }
        let settled = try await FleetTests.seconds(limit: 20, every: .milliseconds(200)) {
            try views() == ["ns1": "unhealthy", "ns2": "healthy", "ns3": "healthy"]
        }
        #expect(settled != nil, "\(String(describing: try? views()))")
        let all = ["127.0.0.61", "127.0.0.62", "198.18.77.1"]
        let agreed = try await FleetTests.seconds(limit: 20) { try fleet.allSatisfy { try answers($0) == all } }
        #expect(agreed != nil, "\(fleet.map { (try? answers($0)) ?? [] })")
        for _ in 0..<20 {  // and they stay there, on every authority
            let now = fleet.map { (try? answers($0)) ?? [] }
            #expect(now.allSatisfy { $0 == all }, "\(now)")
            try await Task.sleep(for: .milliseconds(100))
        }
        // Its own view and the verdict are visible: in /v1/fleet, /v1/health and the events.
        let status = FleetTests.json(try FleetTests.call(ns1, "GET", "/v1/fleet").body)
        let n1Status = (status["nodes"] as? [[String: Any]])?.first { $0["node"] as? String == "n1" }
        #expect(n1Status?["views"] as? [String: String] == ["ns1": "unhealthy", "ns2": "healthy", "ns3": "healthy"])
        #expect(n1Status?["agreed"] as? String == "healthy")
        let health = try FleetTests.call(ns1, "GET", "/v1/health").body
        #expect(health.contains("\"agreed\" : \"healthy\"") || health.contains("\"agreed\":\"healthy\""), "\(health)")
        let events = try FleetTests.call(ns1, "GET", "/v1/events?pool=entry&node=n1").body
        let explain = FleetTests.json(
            try FleetTests.call(ns1, "GET", "/v1/explain?name=entry.formation.test&client=127.0.0.1").body)
        #expect(
            (explain["explain"] as? String)?.contains(
                "fleet: n1 is unhealthy by this authority's checks; the fleet's verdict, which answers use, is healthy")
                == true, "\(explain)")
        // ns1's own view went down; the answers followed the fleet's verdict. In either order: the
        // verdict first (its check then says the answers follow it), or its check first (the
        // verdict then brings it back, with the count).
        #expect(events.contains("ns1: entry/n1 unknown -> unhealthy"), "\(events)")
        #expect(
            events.contains("answers follow the fleet's verdict: healthy")
                || events.contains("ns1: entry/n1 unhealthy -> healthy (fleet verdict healthy: "), "\(events)")

        // n1 goes away: now a majority (all) cannot reach it, and it leaves every authority's answers.
        n1.stop()
        let drained = try await FleetTests.seconds(limit: 20) {
            try fleet.allSatisfy { try answers($0) == ["127.0.0.62", "198.18.77.1"] }
        }
        #expect(drained != nil, "\(fleet.map { (try? answers($0)) ?? [] })")
        let later = try FleetTests.call(ns1, "GET", "/v1/events?pool=entry&node=n1").body
        // (2 of 3 is already a majority: whichever two checks fail first decide.)
        #expect(later.contains("ns1: entry/n1 healthy -> unhealthy (fleet verdict unhealthy: "), "\(later)")
        #expect(later.contains(" of 3 authorities see it unhealthy (ns1, "), "\(later)")
    }
}
