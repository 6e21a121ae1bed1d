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
    static func primary(_ dir: String, zoneFile: String = zone, notify: [String] = []) throws -> ServerProcess {
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

    /// Knot as a secondary of form-dns on `primary`, listening on `port`, its copy in a file of its
    /// own; with `acceptNotify`, it takes NOTIFY from 127.0.0.1.
    static func knotSecondary(_ dir: String, port: Int, primary: Int, acceptNotify: Bool) throws -> ServerProcess {
        let acl = acceptNotify ? "acl:\n  - id: from-primary\n    address: 127.0.0.1\n    action: notify\n" : ""
        try """
        server:
            rundir: "\(dir)"
            user: root:root
            listen: 127.0.0.1@\(port)
        database:
            storage: "\(dir)"
        log:
          - target: stderr
            any: info
        remote:
          - id: primary
            address: 127.0.0.1@\(primary)
        \(acl)template:
          - id: default
            storage: "\(dir)"
            zonefile-sync: -1
        zone:
          - domain: formation.test
            file: "\(dir)/knot-copy.zone"
            master: primary
        \(acceptNotify ? "    acl: from-primary\n" : "")
        """.write(toFile: dir + "/knot.conf", atomically: true, encoding: .utf8)
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
        let ours = try Self.primary(dir, zoneFile: zoneFile, notify: ["127.0.0.1:\(port)"])
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
    }

    @Test func nsdAsASecondaryAnswersLikeThePrimary() async throws {
        let dir = Harness.tempDirectory()
        let ours = try Self.primary(dir)
        defer { ours.stop() }
        let port = Harness.freePort()
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
        remote-control:
            control-enable: no
        zone:
            name: formation.test
            zonefile: "\(dir)/formation.test.copy"
            request-xfr: AXFR 127.0.0.1@\(ours.tcpPort) NOKEY

        """.write(toFile: dir + "/nsd.conf", atomically: true, encoding: .utf8)
        let nsd = try ServerProcess(executable: try Harness.which("nsd"), arguments: ["-d", "-c", dir + "/nsd.conf"],
                                    logPath: dir + "/nsd.log")
        defer { nsd.stop() }
        try await Self.waitForCopy(port: port, process: nsd)
        let differential = DifferentialTests()
        for c in DifferentialTests.cases where c.compareWithNSD && c.mutate == nil {
            let expected = try differential.ask(c, port: ours.udpPort)
            let got = try differential.ask(c, port: port)
            // As in DifferentialTests: NSD adds the apex NS to positive answers, so those are compared
            // on the answer section, negative answers and referrals on the authority section too.
            #expect(got.rcode == expected.rcode && got.answers == expected.answers, "\(c): nsd \(got) vs \(expected)")
            if expected.answers.isEmpty || expected.rcode != .noError {
                #expect(got.authorities == expected.authorities, "\(c): nsd \(got) vs \(expected)")
            }
        }
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
        var soas = 0
        while let frame = connection.receiveFrame(timeoutMs: 3000) {
            let m = try parse(frame)
            messages.append(m)
            soas += m.answers.filter { $0.type == .soa }.count
            if m.rcode != .noError || soas >= 2 || (type == .ixfr && m.answers.count == 1 && soas == 1) { break }
        }
        return messages
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

        // IXFR: up to date -> the SOA alone; behind -> the whole zone, in AXFR form (RFC 1995 4).
        func soa(serial: UInt32) throws -> DNSResourceRecord {
            DNSResourceRecord(name: try DNSName(parsing: "formation.test."), ttl: 0, data: .soa(SOARecord(
                mname: try DNSName(parsing: "ns1.formation.test."), rname: try DNSName(parsing: "hostmaster.formation.test."),
                serial: serial, refresh: 0, retry: 0, expire: 0, minimum: 0)))
        }
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
