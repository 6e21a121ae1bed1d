import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `form-join watch` under churn: fake entry nodes whose latency changes, that die and return,
/// an authority that gains a node and then goes away, inputs that become unreadable. Every line
/// it prints is counted: the peer set changes only when the hysteresis rule says so.
@Suite struct WatchTests {
    /// Addresses of this suite only (JoinTests uses 127.0.0.11-17).
    static let a = "127.0.0.41", b = "127.0.0.42", c = "127.0.0.43", d = "127.0.0.44"

    final class Node {
        let ip: String
        let delayFile: String
        let directory: String
        var process: ServerProcess?
        init(_ ip: String, delayMs: Int, directory: String) async throws {
            self.ip = ip
            self.directory = directory
            delayFile = "\(directory)/delay-\(ip)"
            try setDelay(delayMs)
            try await start()
        }
        func setDelay(_ ms: Int) throws { try "\(ms)\n".write(toFile: delayFile, atomically: true, encoding: .utf8) }
        func start() async throws {
            let p = try ServerProcess(executable: JoinTests.fakeNode,
                                      arguments: ["--listen", "\(ip):51820", "--delay-file", delayFile],
                                      logPath: "\(directory)/node-\(ip)-\(Int(Date().timeIntervalSince1970 * 1000)).log")
            try await waitFor { p.log.contains("listening on") }
            process = p
        }
        func kill() { process?.stop() }
    }

    struct Emission {
        var reason: String
        var sequence: Int
        var ids: [String]
        var dnsStatus: String?
        var emittedAt: Date?
    }

    static func emissions(_ log: String) -> [Emission] {
        log.split(separator: "\n").filter { $0.hasPrefix("{") }.compactMap { line in
            guard let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let set = o["peer_set"] as? [String: Any] else { return nil }
            let ids = (set["peers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
            return Emission(reason: o["reason"] as? String ?? "", sequence: o["sequence"] as? Int ?? 0, ids: ids,
                            dnsStatus: (set["dns"] as? [String: Any])?["status"] as? String,
                            emittedAt: (o["emitted_at"] as? String).flatMap {
                                try? Date($0, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) })
        }
    }

    static func zone(_ addresses: [String]) -> String {
        """
        $ORIGIN watch.test.
        $TTL 2
        @ SOA ns.watch.test. hostmaster.watch.test. 1 3600 600 86400 2
        @ NS ns
        ns A 127.0.0.1

        """ + addresses.map { "entry A \($0)\n" }.joined()
    }

    @Test func handsOutANewPeerSetOnlyWhenTheRuleSaysSo() async throws {
        let dir = Harness.tempDirectory()
        try Self.zone([Self.a, Self.b, Self.c]).write(toFile: dir + "/watch.test.zone", atomically: true, encoding: .utf8)
        try "zones:\n  - origin: watch.test\n    file: \(dir)/watch.test.zone\n"
            .write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml", "--listen", "127.0.0.1:0"], directory: dir)
        defer { dns.stop() }
        let a = try await Node(Self.a, delayMs: 100, directory: dir), b = try await Node(Self.b, delayMs: 150, directory: dir)
        let c = try await Node(Self.c, delayMs: 300, directory: dir)
        defer { [a, b, c].forEach { $0.kill() } }
        let bootstrap = dir + "/bootstrap.json"
        try #"{"schema_version": 1, "peers": [{"id": "static-1", "ipv4": "127.0.0.45", "port": 51820}]}"#
            .write(toFile: bootstrap, atomically: true, encoding: .utf8)

        let interval = 1.0, deadline = 1.0
        let watch = try ServerProcess(
            executable: JoinTests.formJoin,
            arguments: ["watch", "entry.watch.test", "--resolver", "127.0.0.1:\(dns.udpPort)", "--timeout-ms", "300",
                        "--attempts", "1", "--probe", "ping", "--probes", "3", "--deadline-ms", "\(Int(deadline * 1000))",
                        "--max-peers", "2", "--interval", "\(interval)", "--jitter", "0", "--min-resolve-interval", "2",
                        "--retry-interval", "1", "--fallback", bootstrap, "--no-cache", "--quiet"],
            logPath: dir + "/watch.log")
        defer { watch.stop() }
        func lines() -> [Emission] { Self.emissions(watch.log) }

        // 1. The first peer set: the two fastest.
        try await waitFor { lines().count == 1 }
        #expect(lines().map(\.ids) == [[Self.a, Self.b]] && lines().first?.reason == "initial", "\(watch.log)")

        // 2. Changes the rule does not call for: b overtakes a by 10 ms (not more), c gets faster but
        //    not faster than the held peers. Several rounds: nothing is printed.
        try b.setDelay(90)
        try c.setDelay(160)
        try await Task.sleep(for: .seconds(4 * interval + deadline))
        #expect(lines().count == 1, "\(watch.log)")

        // 3. c becomes far faster: it takes the slowest held peer's place (a, 100 ms) and the first.
        try c.setDelay(20)
        try await waitFor { lines().count == 2 }
        #expect(lines().last?.ids == [Self.c, Self.b] && lines().last?.reason == "better-peer", "\(watch.log)")

        // 4. The first peer dies: replaced within one probe interval plus the probe deadline.
        c.kill()
        let killed = Date()  // after SIGTERM took effect (a blocked SIGTERM falls back to SIGKILL after 3 s)
        try await waitFor(seconds: 10) { lines().count == 3 }
        let replacedAfter = try #require(lines().last?.emittedAt).timeIntervalSince(killed)
        #expect(lines().last?.ids == [Self.b, Self.a] && lines().last?.reason == "first-peer-lost", "\(watch.log)")
        // The bound of the issue, by the watch's own clock (this test's polling does not count).
        #expect(replacedAfter < interval + deadline, "replaced after \(replacedAfter) s")

        // 5. It returns, as fast as before: back in first place.
        try await c.start()
        try await waitFor { lines().count == 4 }
        #expect(lines().last?.ids == [Self.c, Self.b] && lines().last?.reason == "better-peer", "\(watch.log)")

        // 6. The authority gains a faster node: seen at the next resolution (TTL 2 s), not before.
        let d = try await Node(Self.d, delayMs: 5, directory: dir)
        defer { d.kill() }
        try Self.zone([Self.a, Self.b, Self.c, Self.d]).write(toFile: dir + "/watch.test.zone", atomically: true,
                                                              encoding: .utf8)
        dns.signal(SIGHUP)
        try await waitFor { lines().count == 5 }
        #expect(lines().last?.ids == [Self.d, Self.c] && lines().last?.reason == "better-peer", "\(watch.log)")

        // 7. DNS goes away: the watch goes on with the peers it has, printing nothing. The static
        //    peer answers too, and is not taken: the last answer's peers outrank the list.
        let staticPeer = try await Node("127.0.0.45", delayMs: 1, directory: dir)
        defer { staticPeer.kill() }
        // Stopped, not killed: its port stays taken, so no other test's server can start on it and
        // answer in its place (queries time out, as behind a dead link).
        dns.signal(SIGSTOP)
        defer { dns.signal(SIGCONT) }
        try await Task.sleep(for: .seconds(4 * interval + deadline))
        #expect(lines().count == 5, "\(watch.log)")
        #expect(watch.process.isRunning)

        // 8. An input that cannot be read on SIGHUP: said on stderr, the old inputs kept, still running.
        try FileManager.default.removeItem(atPath: bootstrap)
        watch.signal(SIGHUP)
        try await waitFor { watch.log.contains("SIGHUP:") }
        #expect(watch.log.contains("SIGHUP: \(bootstrap): cannot read") && watch.log.contains("previous inputs are kept"),
                "\(watch.log)")
        try await Task.sleep(for: .seconds(2 * interval))
        #expect(watch.process.isRunning && lines().count == 5, "\(watch.log)")

        // 9. SIGTERM: a clean exit, 0.
        watch.signal(SIGTERM)
        try await waitFor(seconds: 5) { !watch.process.isRunning }
        #expect(watch.process.terminationStatus == 0 && watch.process.terminationReason == .exit)
        #expect(lines().map(\.sequence) == [1, 2, 3, 4, 5])
    }
}
