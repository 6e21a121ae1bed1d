import DNSWire
import Foundation
import TestFixtures
import Testing

/// The store under failure: form-dns killed (SIGKILL) in the middle of changes keeps every change it
/// acknowledged, with the versions and the audit chain intact; a full disk or a read-only state_dir
/// is reported (log, /v1/health, /metrics), changes are refused with 503 and nothing half-made, and
/// DNS goes on answering. The disk cases run form-dns in a mount namespace of its own (unshare, as
/// root) with a small tmpfs or a read-only bind mount as its state_dir.
@Suite(.serialized, .releasePassOnly)
struct DurabilityTests {
    static let token = ManagementAPITests.token

    static func config(_ dir: String, state: String) throws {
        try """
        listen: ["127.0.0.1:0"]
        state_dir: \(state)
        zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
        management: {listen: "127.0.0.1:0", token: \(Self.token), approvals: []}
        pools:
          - name: entry
            names: [entry.formation.test]
            health: {check: none}
            nodes:
              - {id: n1, ipv4: 127.0.0.36, latitude: 1, longitude: 1}
              - {id: n2, ipv4: 127.0.0.37, latitude: 1, longitude: 1}
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
    }

    static func addRecord(_ api: String, _ name: String) throws -> (status: Int, body: String) {
        try ManagementAPITests.curl(
            api, "/v1/zones/formation.test/records", body: #"{"records": ["\#(name) 60 IN A 192.0.2.7"]}"#)
    }

    /// The rcode form-dns answers `name` A with.
    static func rcode(_ dns: ServerProcess, _ name: String) throws -> ResponseCode? {
        try WireClient.udp(wire(name + ".formation.test.", .a), port: dns.udpPort).map { try parse($0).rcode }
    }

    static func cli(
        _ state: String, _ arguments: [String], in pid: Int32? = nil
    ) throws -> (status: Int32, output: String) {
        let command = [Harness.formDNSBinary] + arguments + ["--state-dir", state]
        guard let pid else { return try Harness.run(command[0], Array(command.dropFirst())) }
        return try Harness.run("/usr/bin/nsenter", ["-t", "\(pid)", "-m", "--"] + command)
    }

    /// Three rounds of: writers changing records, overrides and reports as fast as they can, and
    /// SIGKILL at a random moment. Each restart serves every record a writer had a 200 for, and the
    /// audit chain verifies.
    // Each test's body blocks (processes, curl): on a thread of its own, not the cooperative pool
    // the other tests' async code runs on.
    @Test func killNineDuringWritesKeepsEveryAcknowledgedChange() async throws {
        try await TestThreads.run { try Self.killNineDuringWrites() }
    }

    static func killNineDuringWrites() throws {
        let dir = Harness.tempDirectory()
        try Self.config(dir, state: "state")
        var acknowledged: [String] = []
        var versions = 0
        for round in 0..<3 {
            let run = dir + "/run\(round)"
            try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
            let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: run)
            // Everything acknowledged before is served after the restart (the newest stored version).
            for name in acknowledged {
                #expect(try Self.rcode(dns, name) == .noError, "\(name) was acknowledged, then lost")
            }
            let api = try HealthIntegrationTests.apiAddress(dns)
            let curl = "curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H 'Authorization: Bearer \(Self.token)'"
            let scripts = [
                // Records: a new version each; the name is written down once acknowledged.
                """
                i=0; while :; do i=$((i+1)); n=r\(round)-$i
                  c=$(\(curl) --data-binary "{\\"records\\": [\\"$n 60 IN A 192.0.2.7\\"]}" \
                      http://\(api)/v1/zones/formation.test/records)
                  [ "$c" = 200 ] && echo $n >> \(run)/acked; [ "$c" = 000 ] && exit 0; done
                """,
                // Overrides and reports: an audit entry, an override row or a pushed state each.
                """
                i=0; while :; do i=$((i+1)); case $((i % 3)) in
                  0) b='{"override": "drain"}'; p=override;; 1) b='{"override": null}'; p=override;;
                  *) b='{"state": "healthy"}'; p=report;; esac
                  c=$(\(curl) --data-binary "$b" http://\(api)/v1/pools/entry/nodes/n$((i % 2 + 1))/$p)
                  [ "$c" = 000 ] && exit 0; done
                """,
            ]
            let writers = try scripts.enumerated().map { k, script in
                try ChildProcess(executable: "/bin/sh", arguments: ["-c", script], output: run + "/writer\(k).log")
            }
            usleep(UInt32.random(in: 800_000...2_000_000))
            dns.signal(SIGKILL)
            try waitFor { !dns.process.isRunning }
            for w in writers where !w.wait(seconds: 10) { w.signal(SIGKILL) }
            let acked = (try? String(contentsOfFile: run + "/acked", encoding: .utf8)) ?? ""
            let names = acked.split(separator: "\n").map(String.init)
            #expect(names.count > 5, "round \(round): too few changes made before the kill: \(dns.log)")
            acknowledged += names

            let verify = try Self.cli(dir + "/state", ["audit", "verify"])
            #expect(verify.status == 0 && verify.output.contains("chain intact"), "\(verify.output)")
            let listed = try Self.cli(dir + "/state", ["versions", "list"]).output.split(separator: "\n").count
            // Version 1 is the file; each acknowledged record added one (one unacknowledged may be stored too).
            #expect(listed >= 1 + acknowledged.count && listed <= 1 + acknowledged.count + round + 1, "\(listed)")
            versions = listed
            print("durability: round \(round): \(names.count) changes acknowledged before SIGKILL; restart serves "
                  + "all \(acknowledged.count) so far; \(listed) versions; \(verify.output.prefix(40))")
        }
        // The last round's changes survive too, and the history reads back whole.
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        for name in acknowledged { #expect(try Self.rcode(dns, name) == .noError, "\(name) lost") }
        let newest = try Self.cli(dir + "/state", ["versions", "show", "\(versions)"]).output
        #expect(newest.contains(acknowledged.last ?? "?"), "\(newest.prefix(300))")
    }

    /// A small tmpfs as state_dir, filled: the change that needs space gets 503 store_unwritable and
    /// is not served; the store is reported unwritable; DNS answers throughout; freeing space makes
    /// the next change work, and the history verifies.
    @Test(.enabled(if: getuid() == 0, "needs root for a mount namespace (unshare --mount)"))
    func aFullDiskRefusesChangesAndDNSKeepsAnswering() async throws {
        try await TestThreads.run { try Self.fullDisk() }
    }

    static func fullDisk() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: true)
        try Self.config(dir, state: state)
        let dns = try ServerProcess.formDNS(
            ["--config", dir + "/c.yaml"], directory: dir,
            launcher: ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                       "mount -t tmpfs -o size=1m tmpfs '\(state)' && exec \"$0\" \"$@\""])
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        #expect(try Self.addRecord(api, "before").status == 200)
        func health() throws -> [String: Any] {
            let r = try ManagementAPITests.curl(api, "/v1/health", method: "GET")
            let body = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
            return try #require(body?["store"] as? [String: Any], "\(r.body)")
        }
        func writableMetric() throws -> Double? {
            let text = try ManagementAPITests.curl(api, "/metrics", method: "GET").body
            let line = text.split(separator: "\n").first { $0.hasPrefix("formdns_store_writable ") }
            return line.flatMap { Double($0.split(separator: " ")[1]) }
        }
        #expect(try health()["writable"] as? Bool == true)
        #expect(try writableMetric() == 1)

        // Fill the tmpfs from outside, through the server's own view of its mounts.
        let filler = "/proc/\(dns.process.processIdentifier)/root\(state)/filler"
        _ = try Harness.run("/bin/dd", ["if=/dev/zero", "of=\(filler)", "bs=64k"])
        var refused: (name: String, body: String)? = nil
        for i in 0..<200 where refused == nil {
            let r = try Self.addRecord(api, "full\(i)")
            #expect(r.status == 200 || r.status == 503, "\(r.status) \(r.body)")
            if r.status == 503 { refused = ("full\(i)", r.body) }
        }
        let refusal = try #require(refused, "no change was refused on a full disk: \(dns.log)")
        #expect(refusal.body.contains("store_unwritable") && refusal.body.contains("not made"), "\(refusal.body)")
        #expect(try Self.rcode(dns, refusal.name) == .nxDomain, "a refused change must not serve")
        #expect(try Self.rcode(dns, "before") == .noError, "DNS answers on a full disk")
        let store = try health()
        #expect(store["writable"] as? Bool == false)
        #expect((store["problem"] as? String ?? "").contains("full"), "\(store)")
        #expect(try writableMetric() == 0)
        #expect(dns.log.contains("store: cannot write"), "\(dns.log)")
        // Overrides are refused the same way (stored first, or not made).
        let drain = try ManagementAPITests.curl(api, "/v1/pools/entry/nodes/n1/drain")
        #expect(drain.status == 503 && drain.body.contains("store_unwritable"), "\(drain.body)")

        try FileManager.default.removeItem(atPath: filler)
        var status = 0
        for i in 0..<3 where status != 200 { status = try Self.addRecord(api, "after\(i)").status }
        #expect(status == 200, "a change after space was freed: \(dns.log)")
        #expect(try health()["writable"] as? Bool == true)
        #expect(dns.log.contains("store: writable again"))
        let verify = try Self.cli(state, ["audit", "verify"], in: dns.process.processIdentifier)
        #expect(verify.status == 0 && verify.output.contains("chain intact"), "\(verify.output)")
    }

    /// A state_dir that cannot be written at start (a read-only bind mount): form-dns serves its
    /// newest stored version read-only, says so, and refuses changes with 503.
    @Test(.enabled(if: getuid() == 0, "needs root for a mount namespace (unshare --mount)"))
    func aReadOnlyStateDirServesTheStoredVersion() async throws {
        try await TestThreads.run { try Self.readOnlyStateDir() }
    }

    static func readOnlyStateDir() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        try Self.config(dir, state: state)
        do {
            let first = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
            defer { first.stop() }
            #expect(try Self.addRecord(try HealthIntegrationTests.apiAddress(first), "stored").status == 200)
        }
        let run = dir + "/ro"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        let dns = try ServerProcess.formDNS(
            ["--config", dir + "/c.yaml"], directory: run,
            launcher: ["/usr/bin/unshare", "--mount", "--propagation", "private", "/bin/sh", "-c",
                       "mount --bind '\(state)' '\(state)' && mount -o remount,bind,ro '\(state)' "
                           + "&& exec \"$0\" \"$@\""])
        defer { dns.stop() }
        #expect(dns.log.contains("store: cannot write") && dns.log.contains("read-only"), "\(dns.log)")
        #expect(try Self.rcode(dns, "stored") == .noError, "the stored version serves: \(dns.log)")
        let api = try HealthIntegrationTests.apiAddress(dns)
        let refused = try Self.addRecord(api, "later")
        #expect(refused.status == 503 && refused.body.contains("store_unwritable"), "\(refused.body)")
        #expect(try Self.rcode(dns, "later") == .nxDomain)
        let r = try ManagementAPITests.curl(api, "/v1/health", method: "GET")
        let body = try JSONSerialization.jsonObject(with: Data(r.body.utf8)) as? [String: Any]
        #expect((body?["store"] as? [String: Any])?["writable"] as? Bool == false, "\(r.body)")
    }
}
