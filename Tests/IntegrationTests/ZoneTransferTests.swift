import DNSWire
import Foundation
import Testing

/// Zone transfer out (zones[].transfer): Knot and NSD, as secondaries of form-dns, copy the
/// fixture zone by AXFR and then answer like it; dig sees the copy; clients not allowed, zones
/// without transfer, UDP and unknown zones are refused, each said.
@Suite(.serialized) struct ZoneTransferTests {
    static let zone = Harness.packageRoot + "/Fixtures/demo/formation.test.zone"

    static func soaZone(_ origin: String) -> String {
        "$ORIGIN \(origin).\n$TTL 60\n@ SOA ns.\(origin). hostmaster.\(origin). 7 3600 600 86400 60\n@ NS ns\nns A 127.0.0.1\n"
    }

    /// form-dns serving the fixture zone (or `zoneFile`) to 127.0.0.0/8 and notifying `notify`,
    /// closed.test only to 10.0.0.0/8, and none.test with no transfer at all.
    static func primary(_ dir: String, zoneFile: String = zone, notify: [String] = [], api: Bool = false)
        throws -> ServerProcess {
        try ManagementAPITests.token.write(toFile: dir + "/api-token", atomically: true, encoding: .utf8)
        let management = api ? "management: {listen: \"127.0.0.1:0\", token_file: api-token}\n" : ""
        try soaZone("closed.test").write(toFile: dir + "/closed.test.zone", atomically: true, encoding: .utf8)
        try soaZone("none.test").write(toFile: dir + "/none.test.zone", atomically: true, encoding: .utf8)
        try """
        zones:
          - origin: formation.test
            file: \(zoneFile)
            transfer: {allow: [127.0.0.0/8], notify: [\(notify.map { "\"\($0)\"" }.joined(separator: ", "))]}
          - origin: closed.test
            file: \(dir)/closed.test.zone
            transfer: {allow: [10.0.0.0/8]}
          - origin: none.test
            file: \(dir)/none.test.zone
        \(management)
        """.write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        return try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml", "--listen", "127.0.0.1:0"], directory: dir)
    }

    /// Waits until the secondary on `port` answers www.formation.test (it has the copy).
    static func waitForCopy(port: Int, process: ServerProcess) async throws {
        try await waitFor(seconds: 20) {
            guard process.process.isRunning else { throw HarnessError("secondary exited: \(process.log)") }
            guard let reply = try WireClient.udp(wire("www.formation.test.", .a), port: port, timeoutMs: 200),
                  let m = try? parse(reply) else { return false }
            return m.rcode == .noError && !m.answers.isEmpty
        }
    }

    /// The start of a Knot configuration: its folders, its address, its log (info, to stderr).
    static func knotHeader(_ dir: String, port: Int) -> String {
        """
        server:
            rundir: "\(dir)"
            user: root:root
            listen: 127.0.0.1@\(port)
        database:
            storage: "\(dir)"
        log:
          - target: stderr
            any: info

        """
    }

    /// Adds a record through the API of `primary` and waits until the secondary on `port` answers it.
    static func addThroughAPI(_ primary: ServerProcess, _ record: String, answeredOn port: Int) async throws {
        let api = try HealthIntegrationTests.apiAddress(primary)
        let add = try ManagementAPITests.curl(api, "/v1/zones/formation.test/records",
                                              body: #"{"records": ["\#(record)"]}"#)
        #expect(add.status == 200, "\(add.body)")
        let parts = record.split(separator: " ")
        let name = "\(parts[0]).formation.test.", address = String(parts.last!)
        try await waitFor(seconds: 15) {
            guard let reply = try WireClient.udp(wire(name, .a), port: port, timeoutMs: 200),
                  let m = try? parse(reply) else { return false }
            return m.answers.contains { $0.description.hasSuffix(address) }
        }
    }

    /// Knot as a secondary of form-dns on `primary`, listening on `port`, its copy in a file of its
    /// own; with `acceptNotify`, it takes NOTIFY from 127.0.0.1.
    static func knotSecondary(_ dir: String, port: Int, primary: Int, acceptNotify: Bool, key: String? = nil)
        throws -> ServerProcess {
        let acl = acceptNotify ? "acl:\n  - id: from-primary\n    address: 127.0.0.1\n    action: notify\n" : ""
        let keys = key.map { "key:\n  - id: xfr\n    algorithm: hmac-sha256\n    secret: \($0)\n" } ?? ""
        try (Self.knotHeader(dir, port: port) + """
        \(keys)remote:
          - id: primary
            address: 127.0.0.1@\(primary)
        \(key == nil ? "" : "    key: xfr\n")\(acl)template:
          - id: default
            storage: "\(dir)"
            zonefile-sync: -1
        zone:
          - domain: formation.test
            file: "\(dir)/knot-copy.zone"
            master: primary
        \(acceptNotify ? "    acl: from-primary\n" : "")
        """).write(toFile: dir + "/knot.conf", atomically: true, encoding: .utf8)
        return try ServerProcess(executable: try Harness.which("knotd"), arguments: ["-c", dir + "/knot.conf"],
                                 logPath: dir + "/knot.log")
    }

    @Test func knotAsASecondaryAnswersLikeThePrimary() async throws {
        let dir = Harness.tempDirectory()
        let ours = try Self.primary(dir)
        defer { ours.stop() }
        let port = Harness.freePort()
        let knot = try Self.knotSecondary(dir, port: port, primary: ours.tcpPort, acceptNotify: false)
        defer { knot.stop() }
        try await Self.waitForCopy(port: port, process: knot)
        #expect(ours.log.contains("transfer: AXFR of formation.test. serial 2026112601 to 127.0.0.1"), "\(ours.log)")
        let differential = DifferentialTests()
        for c in DifferentialTests.cases where c.compareWithKnot {
            let expected = try differential.ask(c, port: ours.udpPort)
            let got = try differential.ask(c, port: port)
            #expect(got == expected, "\(c):\n knot secondary: \(got)\n form-dns:       \(expected)")
        }
    }

    /// A change (the zone file edited, SIGHUP) raises the serial; form-dns sends NOTIFY, Knot asks
    /// for the SOA, transfers, and answers the new record.
    @Test func aChangeIsNotifiedAndKnotFollowsIt() async throws {
        let dir = Harness.tempDirectory()
        let zoneFile = dir + "/formation.test.zone"
        try FileManager.default.copyItem(atPath: Self.zone, toPath: zoneFile)
        let port = Harness.freePort()
        let ours = try Self.primary(dir, zoneFile: zoneFile, notify: ["127.0.0.1:\(port)"], api: true)
        defer { ours.stop() }
        let knot = try Self.knotSecondary(dir, port: port, primary: ours.tcpPort, acceptNotify: true)
        defer { knot.stop() }
        try await Self.waitForCopy(port: port, process: knot)
        let text = try String(contentsOfFile: zoneFile, encoding: .utf8)
            .replacingOccurrences(of: "2026112601 ; serial", with: "2026112602 ; serial") + "notified IN A 192.0.2.77\n"
        try text.write(toFile: zoneFile, atomically: true, encoding: .utf8)
        ours.signal(SIGHUP)
        // Knot refreshes at once on NOTIFY; without it, not before the SOA's refresh (an hour).
        try await waitFor(seconds: 15) {
            guard let reply = try WireClient.udp(wire("notified.formation.test.", .a), port: port, timeoutMs: 200),
                  let m = try? parse(reply) else { return false }
            return m.answers.contains { $0.description.hasSuffix("192.0.2.77") }
        }
        #expect(ours.log.contains("notify: formation.test. serial 2026112602 to 127.0.0.1:\(port): acknowledged"),
                "\(ours.log)")
        // Knot held serial 2026112601: it got what changed (IXFR from the journal), not the zone.
        #expect(ours.log.contains("transfer: IXFR of formation.test. from serial 2026112601 to 2026112602 to 127.0.0.1: "
                                  + "1 changed record(s)"), "\(ours.log)")

        // A change through the API: a new serial, NOTIFY, and again an incremental transfer.
        try await Self.addThroughAPI(ours, "viaapi 60 IN A 192.0.2.78", answeredOn: port)
        #expect(ours.log.contains("transfer: IXFR of formation.test. from serial 2026112602 to "), "\(ours.log)")
        #expect(knot.log.contains("IXFR, incoming"), "\(knot.log)")
        #expect(!knot.log.contains("AXFR-style IXFR"), "\(knot.log)")
        // Knot's copy answers like form-dns for every differential case, after both increments.
        let differential = DifferentialTests()
        for c in DifferentialTests.cases where c.compareWithKnot {
            #expect(try differential.ask(c, port: port) == differential.ask(c, port: ours.udpPort), "\(c)")
        }
        // dig reads the difference from the first serial: new SOA, old SOA, new SOA, the two
        // added records, new SOA (the API also rewrote nothing else).
        let ixfr = try Self.transfer("formation.test.", .ixfr, port: ours.tcpPort,
                                     authority: [try Self.soa(serial: 2026112601)])
        let records = ixfr.flatMap(\.answers)
        #expect(records.filter { $0.type == .soa }.count == 4, "\(records)")
        #expect(Set(records.filter { $0.type == .a }.map { $0.description.components(separatedBy: " ").last! })
                == ["192.0.2.77", "192.0.2.78"], "\(records)")
    }

    /// A catalog zone (RFC 9432): Knot, told only of the catalog, sets up the member zones it
    /// lists by itself and transfers them; a new member appears in the catalog with a new serial.
    @Test func knotReadsTheCatalogAndServesItsMembers() async throws {
        let dir = Harness.tempDirectory()
        let ours = try ServerProcess.formDNS(
            ["--config", try Self.catalogConfig(dir), "--listen", "127.0.0.1:0"],
            directory: dir)
        defer { ours.stop() }
        let port = Harness.freePort()
        try (Self.knotHeader(dir, port: port) + """
        remote:
          - id: primary
            address: 127.0.0.1@\(ours.tcpPort)
        template:
          - id: default
            storage: "\(dir)"
            zonefile-sync: -1
          - id: member
            storage: "\(dir)"
            zonefile-sync: -1
            master: primary
            file: "\(dir)/member-%s.zone"
        zone:
          - domain: catalog.test
            file: "\(dir)/catalog.zone"
            master: primary
            catalog-role: interpret
            catalog-template: member

        """).write(toFile: dir + "/knot.conf", atomically: true, encoding: .utf8)
        let knot = try ServerProcess(executable: try Harness.which("knotd"), arguments: ["-c", dir + "/knot.conf"],
                                     logPath: dir + "/knot.log")
        defer { knot.stop() }
        // Knot was told nothing of formation.test: it answers it because the catalog lists it.
        try await Self.waitForCopy(port: port, process: knot)
        #expect(ours.log.contains("transfer: AXFR of catalog.test. serial "), "\(ours.log)")
        let catalog = try Self.transfer("catalog.test.", .axfr, port: ours.tcpPort).flatMap(\.answers)
        let text = catalog.map(\.description)
        #expect(text.contains("version.catalog.test. 0 IN TXT \"2\""), "\(text)")
        #expect(text.filter { $0.hasSuffix(" IN PTR formation.test.") }.count == 1, "\(text)")
        #expect(!text.contains { $0.contains("PTR none.test.") })  // (no transfer: not a member)
    }

    /// A configuration with formation.test and none.test (no transfer), and a catalog.
    static func catalogConfig(_ dir: String) throws -> String {
        try soaZone("none.test").write(toFile: dir + "/none.test.zone", atomically: true, encoding: .utf8)
        try """
        zones:
          - origin: formation.test
            file: \(zone)
            transfer: {allow: [127.0.0.0/8]}
          - origin: none.test
            file: \(dir)/none.test.zone
        catalog: {origin: catalog.test, transfer: {allow: [127.0.0.0/8]}}

        """.write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        return dir + "/form-dns.yaml"
    }

    static let xfrSecret = "eGZyLXNlY3JldC1mb3ItZm9ybS1kbnMtdGVzdHMtMDAx"

    /// form-dns serving `dir`/formation.test.zone, copied only by TSIG key xfr (and `otherKeys`, more
    /// update_keys lines, configured beside it), notifying the secondary on `port`, with the API.
    static func keyedPrimary(_ dir: String, notify port: Int, otherKeys: String = "") throws -> ServerProcess {
        try ManagementAPITests.token.write(toFile: dir + "/api-token", atomically: true, encoding: .utf8)
        try """
        zones:
          - origin: formation.test
            file: formation.test.zone
            transfer: {keys: [xfr], notify: ["127.0.0.1:\(port)"]}
        update_keys:
          - {name: xfr, secret: "\(Self.xfrSecret)", names: []}
        \(otherKeys)management: {listen: "127.0.0.1:0", token_file: api-token}

        """.write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        return try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml", "--listen", "127.0.0.1:0"],
                                         directory: dir)
    }

    /// TSIG on transfers (RFC 8945): Knot with the zone's key bootstraps by AXFR and follows an
    /// API change by IXFR, every message signed and checked; kdig with the key reads a verified
    /// copy; a wrong secret, another key and no key at all are refused, each said.
    @Test func transfersSignedWithTheZonesKey() async throws {
        let dir = Harness.tempDirectory()
        let zoneFile = dir + "/formation.test.zone"
        // Bulk enough for several messages: each after the first is signed over the MAC before it.
        let bulk = (0..<300).map { "bulk\($0) 60 IN TXT \"\(String(repeating: "x", count: 100))\"\n" }.joined()
        try (String(contentsOfFile: Self.zone, encoding: .utf8) + bulk).write(
            toFile: zoneFile, atomically: true, encoding: .utf8)
        let port = Harness.freePort()
        let ours = try Self.keyedPrimary(
            dir, notify: port,
            otherKeys: "  - {name: other, secret: \"b3RoZXItc2VjcmV0LWZvci1mb3JtLWRucy10ZXN0cw==\", names: []}\n")
        defer { ours.stop() }
        let knot = try Self.knotSecondary(dir, port: port, primary: ours.tcpPort, acceptNotify: true, key: Self.xfrSecret)
        defer { knot.stop() }
        try await Self.waitForCopy(port: port, process: knot)
        #expect(ours.log.contains("transfer: AXFR of formation.test. serial 2026112601 to 127.0.0.1 (TSIG xfr.): 3 message"),
                "\(ours.log)")

        try await Self.addThroughAPI(ours, "signed 60 IN A 192.0.2.79", answeredOn: port)
        #expect(ours.log.contains("transfer: IXFR of formation.test. from serial 2026112601 to "), "\(ours.log)")
        #expect(!knot.log.contains("TSIG"), "\(knot.log)")  // (Knot says so when a signature fails)
        #expect(knot.log.contains("IXFR, incoming, remote 127.0.0.1@\(ours.tcpPort) TSIG xfr, finished")
                || knot.log.contains("IXFR, incoming, remote 127.0.0.1@\(ours.tcpPort), finished"), "\(knot.log)")

        // kdig verifies every message's signature (it fails the transfer otherwise).
        let good = try Harness.run("kdig", ["@127.0.0.1", "-p", "\(ours.tcpPort)", "formation.test", "AXFR",
                                            "-y", "hmac-sha256:xfr:\(Self.xfrSecret)"])
        #expect(good.status == 0 && good.output.contains("signed.formation.test."), "\(good.output)")
        #expect(good.output.contains("bulk299.formation.test."), "\(good.output)")
        #expect(!good.output.contains("failed"), "\(good.output)")
        let wrong = try Harness.run("kdig", ["@127.0.0.1", "-p", "\(ours.tcpPort)", "formation.test", "AXFR",
                                             "-y", "hmac-sha256:xfr:d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0wMDE="])
        #expect(!wrong.output.contains("signed.formation.test."), "\(wrong.output)")
        #expect(ours.log.contains("refused: NOTAUTH BADSIG"), "\(ours.log)")
        let other = try Harness.run("kdig", ["@127.0.0.1", "-p", "\(ours.tcpPort)", "formation.test", "AXFR",
                                             "-y", "hmac-sha256:other:b3RoZXItc2VjcmV0LWZvci1mb3JtLWRucy10ZXN0cw=="])
        #expect(!other.output.contains("signed.formation.test."), "\(other.output)")
        #expect(ours.log.contains("refused: NOTAUTH BADKEY"), "\(ours.log)")
        let unsigned = try Self.transfer("formation.test.", .axfr, port: ours.tcpPort)
        #expect(unsigned.first?.rcode == .refused)
        #expect(ours.log.contains("refused: not signed with a key of zones[].transfer.keys"), "\(ours.log)")
    }

    static func soa(serial: UInt32) throws -> DNSResourceRecord {
        DNSResourceRecord(name: try DNSName(parsing: "formation.test."), ttl: 0, data: .soa(SOARecord(
            mname: try DNSName(parsing: "ns1.formation.test."), rname: try DNSName(parsing: "hostmaster.formation.test."),
            serial: serial, refresh: 0, retry: 0, expire: 0, minimum: 0)))
    }

    /// NSD as a secondary of form-dns on `primary`, listening on `port`: by AXFR without a key, or, with
    /// `key` (zones[].transfer.keys' xfr), IXFR first, every request signed, NOTIFY taken from 127.0.0.1.
    static func nsdSecondary(_ dir: String, port: Int, primary: Int, key: String? = nil) throws -> ServerProcess {
        let keySection = key.map { "key:\n    name: xfr\n    algorithm: hmac-sha256\n    secret: \"\($0)\"\n" } ?? ""
        let source = key == nil ? "request-xfr: AXFR 127.0.0.1@\(primary) NOKEY"
            : "request-xfr: 127.0.0.1@\(primary) xfr\n    allow-notify: 127.0.0.1 NOKEY"
        try """
        server:
            ip-address: 127.0.0.1
            port: \(port)
            username: ""
            chroot: ""
            zonesdir: "\(dir)"
            database: ""
            zonelistfile: "\(dir)/zone.list"
            xfrdfile: "\(dir)/xfrd.state"
            xfrdir: "\(dir)"
            pidfile: "\(dir)/nsd.pid"
            server-count: 1
            verbosity: 2
        remote-control:
            control-enable: no
        \(keySection)zone:
            name: formation.test
            zonefile: "\(dir)/formation.test.copy"
            \(source)

        """.write(toFile: dir + "/nsd.conf", atomically: true, encoding: .utf8)
        return try ServerProcess(executable: try Harness.which("nsd"), arguments: ["-d", "-c", dir + "/nsd.conf"],
                                 logPath: dir + "/nsd.log")
    }

    /// Whether NSD on `port` answers every case NSD is compared on as form-dns on `primary` does. As in
    /// DifferentialTests: NSD adds the apex NS to positive answers, so those are compared on the answer
    /// section, negative answers and referrals on the authority section too.
    static func expectNSDAnswersLike(primary: Int, nsd port: Int) throws {
        let differential = DifferentialTests()
        for c in DifferentialTests.cases where c.compareWithNSD && c.mutate == nil {
            let expected = try differential.ask(c, port: primary)
            let got = try differential.ask(c, port: port)
            #expect(got.rcode == expected.rcode && got.answers == expected.answers, "\(c): nsd \(got) vs \(expected)")
            if expected.answers.isEmpty || expected.rcode != .noError {
                #expect(got.authorities == expected.authorities, "\(c): nsd \(got) vs \(expected)")
            }
        }
    }

    @Test func nsdAsASecondaryAnswersLikeThePrimary() async throws {
        let dir = Harness.tempDirectory()
        let ours = try Self.primary(dir)
        defer { ours.stop() }
        let port = Harness.freePort()
        let nsd = try Self.nsdSecondary(dir, port: port, primary: ours.tcpPort)
        defer { nsd.stop() }
        try await Self.waitForCopy(port: port, process: nsd)
        try Self.expectNSDAnswersLike(primary: ours.udpPort, nsd: port)
    }

    /// NSD with the zone's TSIG key: it bootstraps (its IXFR request for a zone it does not hold is
    /// answered with the whole zone), takes form-dns's NOTIFY after an API change, follows by IXFR
    /// (one difference, signed), and answers like form-dns before and after.
    @Test func nsdFollowsAChangeByIXFRSignedWithTheZonesKey() async throws {
        let dir = Harness.tempDirectory()
        try FileManager.default.copyItem(atPath: Self.zone, toPath: dir + "/formation.test.zone")
        let port = Harness.freePort()
        let ours = try Self.keyedPrimary(dir, notify: port)
        defer { ours.stop() }
        let nsd = try Self.nsdSecondary(dir, port: port, primary: ours.tcpPort, key: Self.xfrSecret)
        defer { nsd.stop() }
        try await Self.waitForCopy(port: port, process: nsd)
        #expect(ours.log.contains("serial 2026112601 to 127.0.0.1 (TSIG xfr.)"), "\(ours.log)")
        try Self.expectNSDAnswersLike(primary: ours.udpPort, nsd: port)

        try await Self.addThroughAPI(ours, "viansd 60 IN A 192.0.2.79", answeredOn: port)
        let lines = ours.log.split(separator: "\n")
        #expect(lines.contains { $0.contains("notify: formation.test. serial ") && $0.contains("to 127.0.0.1:\(port): acknowledged") },
                "\(ours.log)")
        #expect(lines.contains { $0.contains("transfer: IXFR of formation.test. from serial 2026112601 to ")
                                 && $0.contains("to 127.0.0.1 (TSIG xfr.): 1 changed record(s)") }, "\(ours.log)")
        #expect(!ours.log.contains("refused"), "\(ours.log)")
        try Self.expectNSDAnswersLike(primary: ours.udpPort, nsd: port)
    }

    /// One request over TCP: every message of the reply, until the closing SOA or a refusal.
    static func transfer(_ name: String, _ type: RecordType, port: Int, authority: [DNSResourceRecord] = [])
        throws -> [DNSMessage] {
        let connection = try WireClient.TCPConnection(port: port)
        let query = DNSMessage(header: DNSHeader(id: 0x4242), questions: [DNSQuestion(name: try DNSName(parsing: name),
                                                                                           type: type)],
                               authorities: authority)
        connection.sendFramed([Array(try query.encode().readableBytesView)])
        var messages: [DNSMessage] = []
        var answers: [DNSResourceRecord] = []
        while let frame = connection.receiveFrame(timeoutMs: 3000) {
            let m = try parse(frame)
            messages.append(m)
            answers += m.answers
            if m.rcode != .noError || isComplete(answers, type) { break }
        }
        return messages
    }

    /// Whether a transfer's records so far are all of it: the first SOA closes an AXFR (and an
    /// AXFR-form IXFR) the second time it comes; an incremental IXFR, the third (one difference
    /// sequence: new SOA, old SOA, deletions, new SOA, additions, new SOA); an up-to-date IXFR is
    /// the SOA alone.
    static func isComplete(_ answers: [DNSResourceRecord], _ type: RecordType) -> Bool {
        guard let first = answers.first, first.type == .soa else { return false }
        let closing = answers.filter { $0 == first }.count
        if type == .ixfr, answers.count > 1, answers[1].type == .soa { return closing >= 3 }
        return closing >= 2 || (type == .ixfr && answers.count == 1 && answers.last == first)
    }

    @Test func theCopyIsWholeAndRefusalsAreClear() async throws {
        let dir = Harness.tempDirectory()
        let ours = try Self.primary(dir)
        defer { ours.stop() }
        let copy = try Self.transfer("formation.test.", .axfr, port: ours.tcpPort)
        let records = copy.flatMap(\.answers)
        #expect(copy.allSatisfy { $0.header.id == 0x4242 && $0.header.has(.authoritative) && $0.rcode == .noError })
        #expect(records.first?.type == .soa && records.last?.type == .soa && records.filter { $0.type == .soa }.count == 2)
        let text = Set(records.map { $0.description.lowercased() })
        for expected in ["www.formation.test. 300 in a 192.0.2.10", "ns.sub.formation.test. 300 in a 127.0.0.53",
                         "*.wild.formation.test. 300 in txt \"synthesised\"", "sub.formation.test. 300 in ns ns.sub.formation.test."] {
            #expect(text.contains(expected), "\(expected) not in \(text)")
        }
        // dig reads it as a transfer too.
        let dig = try Harness.run("dig", ["@127.0.0.1", "-p", "\(ours.tcpPort)", "formation.test", "AXFR", "+nocmd"])
        #expect(dig.output.contains("XFR size: \(records.count) records"), "\(dig.output)")

        // IXFR: up to date -> the SOA alone; from a serial never served here -> the whole zone, in
        // AXFR form (RFC 1995 4).
        func soa(serial: UInt32) throws -> DNSResourceRecord { try Self.soa(serial: serial) }
        let current = try Self.transfer("formation.test.", .ixfr, port: ours.tcpPort, authority: [try soa(serial: 2026112601)])
        #expect(current.flatMap(\.answers).count == 1 && current.first?.answers.first?.type == .soa)
        let behind = try Self.transfer("formation.test.", .ixfr, port: ours.tcpPort, authority: [try soa(serial: 2026112600)])
        #expect(behind.flatMap(\.answers).count == records.count)

        // Refusals: a client outside allow, a zone without transfer, a zone not served, and UDP.
        #expect(try Self.transfer("closed.test.", .axfr, port: ours.tcpPort).first?.rcode == .refused)
        #expect(try Self.transfer("none.test.", .axfr, port: ours.tcpPort).first?.rcode == .refused)
        #expect(try Self.transfer("example.org.", .axfr, port: ours.tcpPort).first?.rcode == .notAuth)
        let udp = try #require(try WireClient.udp(wire("formation.test.", .axfr), port: ours.udpPort))
        #expect(try parse(udp).rcode == .refused)
        #expect(ours.log.contains("transfer: AXFR of closed.test. to 127.0.0.1 refused: not in zones[].transfer.allow"),
                "\(ours.log)")
        #expect(ours.log.contains("transfer: AXFR of none.test. to 127.0.0.1 refused: zones[].transfer is not set"))
    }
}
