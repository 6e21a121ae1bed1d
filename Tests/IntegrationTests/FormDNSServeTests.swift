import DNSWire
import Foundation
import NetAddress
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The real `form-dns` binary on loopback, queried with dig/kdig and raw sockets.
@Suite(.serialized) struct FormDNSServeTests {
    let zone = Harness.packageRoot + "/Fixtures/demo/formation.test.zone"

    func start(_ extra: [String] = [], directory: String = Harness.tempDirectory()) throws -> ServerProcess {
        try ServerProcess.formDNS(["--zone", "formation.test=\(zone)", "--listen", "127.0.0.1:0", "--listen", "[::1]:0"] + extra,
                                  directory: directory)
    }

    /// Writes a config serving the demo zone on 127.0.0.1 (a kernel-chosen port) with these
    /// `server:` settings, e.g. "tcp_max_connections: 2".
    func writeConfig(server settings: String, to path: String) throws {
        try """
        listen: ["127.0.0.1:0"]
        server: {\(settings)}
        zones: [{origin: formation.test, file: \(zone)}]
        """.write(toFile: path, atomically: true, encoding: .utf8)
    }

    @Test func digAndKdigGetAnswersOverIPv4IPv6UDPAndTCP() throws {
        let server = try start()
        defer { server.stop() }
        let port = String(server.udpPort)
        let v4 = try Harness.run("dig", ["@127.0.0.1", "-p", port, "www.formation.test", "A", "+norec"])
        #expect(v4.output.contains("status: NOERROR") && v4.output.contains("flags: qr aa;"))
        #expect(v4.output.contains("192.0.2.10") && v4.output.contains("192.0.2.11"))
        // The listener on [::1] is a different socket: find its port from the log.
        let v6Port = server.log.split(separator: " ").first { $0.hasPrefix("udp://[::1]:") }.map { String($0.split(separator: ":").last!) }
        let v6 = try Harness.run("dig", ["@::1", "-p", try #require(v6Port), "www.formation.test", "AAAA", "+short"])
        #expect(v6.output.trimmingCharacters(in: .whitespacesAndNewlines) == "2001:db8::10")
        let tcp = try Harness.run("kdig", ["@127.0.0.1", "-p", port, "+tcp", "chain.formation.test", "A"])
        #expect(tcp.output.contains("NOERROR") && tcp.output.contains("alias.formation.test.") && tcp.output.contains("192.0.2.11"))
        #expect(tcp.output.contains("TCP"))
    }

    @Test func truncatedAnswerIsRetriedOverTCPByDig() throws {
        let server = try start()
        defer { server.stop() }
        let result = try Harness.run("dig", ["@127.0.0.1", "-p", String(server.udpPort), "big.formation.test", "TXT", "+noedns"])
        #expect(result.output.contains("Truncated, retrying in TCP mode"))
        #expect(result.output.contains("ANSWER: 6"))
        // Raw UDP without EDNS: TC set, question only.
        let raw = try #require(try WireClient.udp(wire("big.formation.test.", .txt), port: server.udpPort))
        let m = try parse(raw)
        #expect(m.header.has(.truncated) && m.answers.isEmpty)
    }

    @Test func tcpPipeliningAnswersEveryQueryInOrder() throws {
        let server = try start()
        defer { server.stop() }
        let c = try WireClient.TCPConnection(port: server.tcpPort)
        let names = ["www.formation.test.", "nope.formation.test.", "big.formation.test.", "sub.formation.test."]
        c.sendFramed(names.enumerated().map { wire($1, $1.hasPrefix("big") ? .txt : .a, id: UInt16($0 + 1)) })
        var ids: [UInt16] = []
        var rcodes: [ResponseCode] = []
        for _ in names {
            let m = try parse(try #require(c.receiveFrame()))
            ids.append(m.header.id)
            rcodes.append(m.rcode)
        }
        #expect(ids == [1, 2, 3, 4])
        #expect(rcodes == [.noError, .nxDomain, .noError, .noError])
        // A query split across two writes (a slow client) is still answered.
        let q = wire("www.formation.test.", .a, id: 9)
        let framed = [UInt8(q.count >> 8), UInt8(q.count & 0xFF)] + q
        c.send(Array(framed[0..<5]))
        usleep(50_000)
        c.send(Array(framed[5...]))
        #expect(try parse(try #require(c.receiveFrame())).header.id == 9)
    }

    @Test func idleTCPConnectionsAreClosed() throws {
        let dir = Harness.tempDirectory()
        let config = dir + "/form-dns.yaml"
        try writeConfig(server: "tcp_idle_timeout_ms: 300", to: config)
        let server = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { server.stop() }
        let c = try WireClient.TCPConnection(port: server.tcpPort)
        c.sendFramed([wire("www.formation.test.", .a)])
        #expect(c.receiveFrame() != nil)
        #expect(c.isClosedByPeer(timeoutMs: 3000))
    }

    @Test func connectionsBeyondTheLimitAreClosed() throws {
        let dir = Harness.tempDirectory()
        let config = dir + "/form-dns.yaml"
        try writeConfig(server: "tcp_max_connections: 2", to: config)
        let server = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { server.stop() }
        let first = try WireClient.TCPConnection(port: server.tcpPort)
        let second = try WireClient.TCPConnection(port: server.tcpPort)
        for c in [first, second] {
            c.sendFramed([wire("www.formation.test.", .a)])
            #expect(c.receiveFrame() != nil)
        }
        let third = try WireClient.TCPConnection(port: server.tcpPort)
        #expect(third.isClosedByPeer(timeoutMs: 2000))
        // Closing one frees a slot.
        _ = consume first
        try waitFor {
            let again = try WireClient.TCPConnection(port: server.tcpPort)
            again.sendFramed([wire("www.formation.test.", .a)])
            return again.receiveFrame(timeoutMs: 300) != nil
        }
        _ = second
    }

    /// RFC 7766 6.2.3 / attack 19.5: a client dripping one octet at a time resets the idle timer
    /// with every byte, but a message must be whole within tcp_message_timeout_ms.
    @Test func dripFedQueriesAreCutOffAtTheMessageDeadline() throws {
        let dir = Harness.tempDirectory()
        let config = dir + "/form-dns.yaml"
        try writeConfig(server: "tcp_idle_timeout_ms: 5000, tcp_message_timeout_ms: 600", to: config)
        let server = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { server.stop() }
        let query = wire("www.formation.test.", .a)
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        let c = try WireClient.TCPConnection(port: server.tcpPort)
        let started = Date()
        var closed = false
        for byte in framed.dropLast() {
            c.send([byte])
            if c.isClosedByPeer(timeoutMs: 150) { closed = true; break }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(closed, "the connection outlived the message deadline")
        #expect(elapsed < 3, "closed after \(elapsed) s")
        // A whole message sent at once is still answered on a fresh connection.
        let fresh = try WireClient.TCPConnection(port: server.tcpPort)
        fresh.sendFramed([query])
        #expect(fresh.receiveFrame() != nil)
    }

    /// One client address may hold only tcp_max_connections_per_client slots; others still get in.
    @Test func oneClientCannotTakeEverySlot() throws {
        let dir = Harness.tempDirectory()
        let config = dir + "/form-dns.yaml"
        try writeConfig(server: "tcp_max_connections: 4, tcp_max_connections_per_client: 2", to: config)
        let server = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { server.stop() }
        let held = [try WireClient.TCPConnection(port: server.tcpPort), try WireClient.TCPConnection(port: server.tcpPort)]
        for c in held {
            c.sendFramed([wire("www.formation.test.", .a)])
            #expect(c.receiveFrame() != nil)
        }
        let third = try WireClient.TCPConnection(port: server.tcpPort)
        #expect(third.isClosedByPeer(timeoutMs: 2000))
        // Another client address (127.0.0.2) is admitted and answered.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        let bound = try SockaddrText.with(host: "127.0.0.2", port: 0) { bind(fd, $0, $1) }
        #expect(bound == 0)
        try WireClient.connect(fd, host: "127.0.0.1", port: server.tcpPort)
        let query = wire("www.formation.test.", .a)
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        _ = framed.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        var buf = [UInt8](repeating: 0, count: 512)
        #expect(poll(&pfd, 1, 3000) == 1 && recv(fd, &buf, buf.count, 0) > 2)
        _ = held
    }

    /// Attack 19.3: a client that pipelines thousands of queries for a large answer and never reads
    /// must not make the server buffer them all. Reading stops, a few queries wait, and the
    /// connection is closed; memory stays flat and other clients are still answered.
    @Test func aClientThatDoesNotReadCannotGrowTheServer() throws {
        let dir = Harness.tempDirectory()
        let server = try start(directory: dir)
        defer { server.stop() }
        let before = server.rssKiB
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var small: Int32 = 4096
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(4))
        try WireClient.connect(fd, host: "127.0.0.1", port: server.tcpPort)
        let query = wire("big.formation.test.", .txt)
        let framed = [UInt8(query.count >> 8), UInt8(query.count & 0xFF)] + query
        let batch = Array([[UInt8]](repeating: framed, count: 1000).joined())
        let sent = WireClient.sendWithoutReading(fd, batch, times: 40)
        usleep(500_000)
        let grown = server.rssKiB - before
        #expect(grown < 32 * 1024, "form-dns grew by \(grown) KiB for one connection")
        // Drain: some answers, then the server's close (it does not wait for 40,000 answers to be read).
        var received = 0
        var buf = [UInt8](repeating: 0, count: 65536)
        var eof = false
        let drainDeadline = Date().addingTimeInterval(20)
        while Date() < drainDeadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 2000) == 1 else { break }
            let n = recv(fd, &buf, buf.count, 0)
            if n <= 0 { eof = true; break }
            received += n
        }
        #expect(eof, "the connection was not closed")
        #expect(received < sent * 1000 * 700, "every answer was buffered and sent")
        let m = try parse(try #require(try WireClient.udp(wire("www.formation.test.", .a), port: server.udpPort)))
        #expect(m.rcode == .noError)
    }

    @Test func garbageNeverTakesTheServerDown() throws {
        let server = try start()
        defer { server.stop() }
        var rng = SystemRandomNumberGenerator()
        var answered = 0
        for i in 0..<300 {
            var bytes = (0..<Int.random(in: 0..<100, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if i % 3 == 0, bytes.count >= 12 { bytes[2] = 0x01; bytes[4] = 0; bytes[5] = 1 }
            if try WireClient.udp(bytes, port: server.udpPort, timeoutMs: 50) != nil { answered += 1 }
        }
        // Malformed TCP frames: zero length, and a length longer than what follows before close.
        let c1 = try WireClient.TCPConnection(port: server.tcpPort)
        c1.send([0, 0])
        #expect(c1.isClosedByPeer(timeoutMs: 2000))
        let c2 = try WireClient.TCPConnection(port: server.tcpPort)
        c2.send([0x10, 0x00, 1, 2, 3])
        // Still alive and answering correctly.
        let m = try parse(try #require(try WireClient.udp(wire("www.formation.test.", .a), port: server.udpPort)))
        #expect(m.answers.count == 2)
        #expect(server.process.isRunning)
        #expect(answered > 0)
    }

    @Test func formerrForQueriesWithTwoQuestionsAndNoQuestion() throws {
        let server = try start()
        defer { server.stop() }
        var two = wire("www.formation.test.", .a)
        two[5] = 2
        #expect(try parse(try #require(try WireClient.udp(two, port: server.udpPort))).rcode == .formErr)
        let none: [UInt8] = [0xAB, 0xCD, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        let m = try parse(try #require(try WireClient.udp(none, port: server.udpPort)))
        #expect(m.rcode == .formErr && m.header.id == 0xABCD && m.questions.isEmpty)
    }

    @Test func refusesToStartOnABadZoneWithFileAndLine() throws {
        let dir = Harness.tempDirectory()
        let bad = dir + "/bad.zone"
        try "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww A 999.1.1.1\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let result = try Harness.run(Harness.formDNSBinary, ["serve", "--zone", "bad.test=\(bad)", "--listen", "127.0.0.1:0"])
        #expect(result.status != 0)
        #expect(result.output.contains("\(bad):4: A: '999.1.1.1' is not an IPv4 address"))
    }

    @Test func checkCommandReportsAndExitsNonZero() throws {
        let ok = try Harness.run(Harness.formDNSBinary, ["check", "--config", Harness.packageRoot + "/Fixtures/demo/form-dns.yaml"])
        #expect(ok.status == 0 && ok.output.contains("ok: zone formation.test."))
        let dir = Harness.tempDirectory()
        try "listen: [\"127.0.0.1:53\"]\nzones:\n  - origin: x.test\n    file: x.zone\nbogus: 1\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let bad = try Harness.run(Harness.formDNSBinary, ["check", "--config", dir + "/c.yaml"])
        #expect(bad.status == 1)
        #expect(bad.output.contains("\(dir)/c.yaml:5: bogus: unknown setting"))
        // Zone errors are reported too, once the config itself is valid.
        try "listen: [\"127.0.0.1:53\"]\nzones:\n  - origin: x.test\n    file: x.zone\n".write(toFile: dir + "/c2.yaml", atomically: true, encoding: .utf8)
        try "$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n@ MX mail\n".write(toFile: dir + "/x.zone", atomically: true, encoding: .utf8)
        let zoneBad = try Harness.run(Harness.formDNSBinary, ["check", "--config", dir + "/c2.yaml"])
        #expect(zoneBad.status == 1 && zoneBad.output.contains("\(dir)/x.zone:4: MX: MX takes 2 fields, got 1"))
    }

    /// IPv6 UDP sockets fragment at 1280 (IPV6_MTU) and IPv4 ones ignore path MTU: an answer
    /// of 2.6 KB under a 4096-byte EDNS buffer must still arrive whole over both.
    @Test func largeUDPAnswersArriveWholeOverIPv4AndIPv6() throws {
        let dir = Harness.tempDirectory()
        var zone = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n"
        for i in 0..<12 { zone += "huge TXT \"\(String(repeating: Character(UnicodeScalar(97 + i)!), count: 200))\"\n" }
        try zone.write(toFile: dir + "/h.zone", atomically: true, encoding: .utf8)
        try "listen: [\"127.0.0.1:0\", \"[::1]:0\"]\nserver: {udp_payload_size: 4096}\nzones: [{origin: h.test, file: h.zone}]\n"
            .write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        let server = try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml"], directory: dir)
        defer { server.stop() }
        let v6Port = server.log.split(separator: " ").first { $0.hasPrefix("udp://[::1]:") }.map { String($0.split(separator: ":").last!) }
        for (address, port) in [("127.0.0.1", String(server.udpPort)), ("::1", try #require(v6Port))] {
            let r = try Harness.run("dig", ["@\(address)", "-p", port, "huge.h.test", "TXT", "+bufsize=4096", "+ignore", "+time=2", "+tries=1", "+nocookie"])
            #expect(r.output.contains("ANSWER: 12") && !r.output.contains(" tc"), "\(address): \(r.output)")
            #expect(r.output.contains("MSG SIZE  rcvd: 2596"), "\(address): \(r.output)")
        }
    }

    /// The path-MTU options themselves (loopback's 64 KiB MTU makes the test above pass without
    /// them). Read back from the server's own UDP sockets (pidfd_getfd, we are root): IP_MTU_DISCOVER
    /// and IPV6_MTU_DISCOVER are IP_PMTUDISC_OMIT (5). IPV6_MTU cannot be read back on an unbound
    /// route (getsockopt answers the route's MTU), so it is seen at work instead: in a network
    /// namespace of our own whose lo has MTU 1500, a 2,596-octet answer over IPv6 leaves in 3
    /// fragments of at most 1280 octets (Ip6FragCreates), where a 1500 MTU would make 2.
    @Test func pathMTUOptionsAreOnEveryUDPSocketAndIPv6FragmentsAt1280() throws {
        let dir = Harness.tempDirectory()
        var zone = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n"
        for i in 0..<12 { zone += "huge TXT \"\(String(repeating: Character(UnicodeScalar(97 + i)!), count: 200))\"\n" }
        try zone.write(toFile: dir + "/h.zone", atomically: true, encoding: .utf8)
        try """
            listen: ["127.0.0.1:0", "[::1]:0"]
            server: {udp_payload_size: 4096}
            zones: [{origin: h.test, file: h.zone}]
            """.write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)

        // 1. The options on every UDP socket of a server on the host's loopback.
        let server = try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml"], directory: dir)
        defer { server.stop() }
        typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32
        typealias PidfdGetfd = @convention(c) (Int32, Int32, UInt32) -> Int32
        let libc = dlopen(nil, RTLD_NOW)
        let pidfdOpen = unsafeBitCast(try #require(dlsym(libc, "pidfd_open")), to: PidfdOpen.self)
        let pidfdGetfd = unsafeBitCast(try #require(dlsym(libc, "pidfd_getfd")), to: PidfdGetfd.self)
        let pid = server.process.processIdentifier
        let pidfd = pidfdOpen(pid, 0)
        try #require(pidfd >= 0, "pidfd_open: errno \(errno)")
        defer { close(pidfd) }
        func option(_ fd: Int32, _ level: Int32, _ name: Int32) -> Int32 {
            var value: Int32 = -1
            var length = socklen_t(4)
            return getsockopt(fd, level, name, &value, &length) == 0 ? value : -1
        }
        var seen: [String] = []
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? [] {
            guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(entry)"),
                  target.hasPrefix("socket:"), let remote = Int32(entry) else { continue }
            let fd = pidfdGetfd(pidfd, remote, 0)
            try #require(fd >= 0, "pidfd_getfd: errno \(errno)")
            defer { close(fd) }
            guard option(fd, SOL_SOCKET, SO_TYPE) == Int32(SOCK_DGRAM.rawValue) else { continue }
            switch option(fd, SOL_SOCKET, SO_DOMAIN) {
            case AF_INET:
                seen.append("v4 \(option(fd, Int32(IPPROTO_IP), 10 /* IP_MTU_DISCOVER */))")
            case AF_INET6:
                seen.append("v6 \(option(fd, Int32(IPPROTO_IPV6), 23 /* IPV6_MTU_DISCOVER */))")
            default:
                continue
            }
        }
        // Two addresses x the default two workers: four sockets, all IP_PMTUDISC_OMIT.
        #expect(seen.sorted() == ["v4 5", "v4 5", "v6 5", "v6 5"], "\(seen)")

        // 2. IPv6 fragments at 1280 on a 1500-octet link: a namespace of our own, lo at MTU 1500.
        let ip = try Harness.which("ip")
        let namespace = "form-dns-test-\(UUID().uuidString.prefix(8))"
        try #require(try Harness.run(ip, ["netns", "add", namespace]).status == 0)
        defer { _ = try? Harness.run(ip, ["netns", "del", namespace]) }
        let up = try Harness.run(ip, ["netns", "exec", namespace, ip, "link", "set", "lo", "mtu", "1500", "up"])
        try #require(up.status == 0, "\(up.output)")
        let inside = dir + "/inside"
        try FileManager.default.createDirectory(atPath: inside, withIntermediateDirectories: true)
        let serve = ["netns", "exec", namespace, Harness.formDNSBinary, "serve", "--config", dir + "/form-dns.yaml"]
        let isolated = try ServerProcess(executable: ip, arguments: serve, logPath: inside + "/form-dns.log")
        defer { isolated.stop() }
        try waitFor { isolated.log.contains("listening on") || !isolated.process.isRunning }
        let v6Port = try #require(isolated.log.split(separator: " ").first { $0.hasPrefix("udp://[::1]:") }
            .map { String($0.split(separator: ":").last!) }, "\(isolated.log)")
        func fragmentsCreated() throws -> Int {
            let snmp = try Harness.run(ip, ["netns", "exec", namespace, "cat", "/proc/net/snmp6"]).output
            let line = snmp.split(separator: "\n").first { $0.hasPrefix("Ip6FragCreates") } ?? ""
            return Int(line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last ?? "") ?? -1
        }
        let before = try fragmentsCreated()
        let r = try Harness.run(ip, ["netns", "exec", namespace, "dig", "@::1", "-p", v6Port, "huge.h.test", "TXT",
                                     "+bufsize=4096", "+ignore", "+time=2", "+tries=1", "+nocookie"])
        #expect(r.output.contains("MSG SIZE  rcvd: 2596"), "\(r.output)")
        #expect(try fragmentsCreated() - before == 3, "2,604 octets of UDP in 1280-octet packets is 3 fragments")
    }

    /// A reload applies udp_payload_size (the size we advertise and the cap on UDP answers) but
    /// cannot move sockets or threads: it says so. A 1,317-octet answer (six 200-octet TXT strings)
    /// is truncated under 1232, whole under 1400, and truncated again under 1300, which also tells
    /// that the last reload, the one that names server.workers, went through.
    @Test func reloadAppliesThePayloadSizeAndNamesTheSettingsThatWaitForARestart() throws {
        let dir = Harness.tempDirectory()
        let configPath = dir + "/form-dns.yaml"
        var zone = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 127.0.0.1\n"
        for i in 0..<6 { zone += "mid TXT \"\(String(repeating: Character(UnicodeScalar(97 + i)!), count: 200))\"\n" }
        try zone.write(toFile: dir + "/r.zone", atomically: true, encoding: .utf8)
        func write(workers: Int, payload: Int) throws {
            try """
            listen: ["127.0.0.1:0"]
            server: {workers: \(workers), udp_payload_size: \(payload)}
            zones: [{origin: r.test, file: r.zone}]
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        }
        func reloads() -> Int { server.log.components(separatedBy: "reloaded zones").count - 1 }
        /// (our advertised payload size, TC, answers) for the large answer asked with a 4096 buffer.
        func ask() throws -> (payload: UInt16?, truncated: Bool, answers: Int) {
            let query = wire("mid.r.test.", .txt, edns: EDNS(udpPayloadSize: 4096))
            let reply = try #require(try WireClient.udp(query, port: server.udpPort))
            let m = try parse(reply)
            return (m.edns?.udpPayloadSize, m.header.has(.truncated), m.answers.count)
        }
        try write(workers: 1, payload: 1232)
        let server = try ServerProcess.formDNS(["--config", configPath], directory: dir)
        defer { server.stop() }
        var r = try ask()
        #expect(r.payload == 1232 && r.truncated && r.answers == 0, "\(r)")
        let tcp = try WireClient.TCPConnection(port: server.tcpPort)
        tcp.sendFramed([wire("mid.r.test.", .txt)])
        let whole = try #require(tcp.receiveFrame())
        let wholeAnswers = try parse(whole).answers.count
        #expect(whole.count == 1306 && wholeAnswers == 6, "1,306 octets, 1,317 with our OPT")

        try write(workers: 1, payload: 1400)
        server.signal(SIGHUP)
        try waitFor { reloads() == 1 || server.log.contains("reload failed") }
        #expect(reloads() == 1 && !server.log.contains("take effect at the next restart"), "\(server.log)")
        r = try ask()
        #expect(r.payload == 1400 && !r.truncated && r.answers == 6, "\(r)")

        try write(workers: 2, payload: 1300)
        server.signal(SIGHUP)
        try waitFor { reloads() == 2 || server.log.contains("reload failed") }
        #expect(reloads() == 2 && !server.log.contains("reload failed"), "\(server.log)")
        #expect(server.log.contains("reload: server.workers changed; these take effect at the next restart"))
        r = try ask()
        #expect(r.payload == 1300 && r.truncated && r.answers == 0, "\(r)")
    }

    /// With one worker per allowed CPU, each address's workers are pinned one per CPU and the
    /// reuseport group steers by CPU; a query sent from every CPU, over IPv4 and IPv6, must still
    /// be answered (a wrong steering program would send some CPU's datagrams to no socket).
    @Test(.enabled(if: Self.allowed.count <= 64, "--workers stops at 64: one worker per CPU is impossible here"))
    func workersArePinnedOnePerCPUAndEveryCPUIsAnswered() throws {
        let cpus = Self.allowed
        try #require(!cpus.isEmpty)
        let server = try start(["--workers", String(cpus.count)])
        defer { server.stop() }
        #expect(server.log.contains("UDP workers pinned to CPUs"))
        // Two addresses x one worker per CPU: that many threads restricted to a single CPU, each
        // allowed CPU taken twice.
        let pid = server.process.processIdentifier
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let pinned = tasks.map { allowedCPUs(of: "\(pid)/task/\($0)") }.filter { $0.count == 1 }.map { $0[0] }
        #expect(pinned.sorted() == (cpus + cpus).sorted())
        let v6Port = server.log.split(separator: " ").first { $0.hasPrefix("udp://[::1]:") }.map { String($0.split(separator: ":").last!) }
        for cpu in cpus {
            for (address, port) in [("127.0.0.1", String(server.udpPort)), ("::1", try #require(v6Port))] {
                let r = try Harness.run("taskset", ["-c", String(cpu), "dig", "@\(address)", "-p", port, "www.formation.test", "A",
                                                    "+short", "+time=2", "+tries=1"])
                #expect(r.output.contains("192.0.2.10"), "no answer from CPU \(cpu) to \(address): \(r.output)")
            }
        }
    }

    /// The steering itself: datagrams sent from a thread pinned to CPU c must wake the worker pinned
    /// to c and no other. Answers alone prove nothing (a constant or out-of-range program still gets
    /// answers: the kernel falls back to its hash). Each query comes from a fresh socket (a new
    /// source port, so a hash would spread them); the woken worker is the one whose context switches
    /// (/proc/PID/task/TID/status) moved. Idle workers wake only on their 250 ms receive timeout.
    @Test(.enabled(if: (2...64).contains(Self.allowed.count), "needs 2...64 allowed CPUs (one pinned worker each)"))
    func datagramsFromEachCPUWakeTheWorkerPinnedToThatCPU() throws {
        let cpus = Self.allowed
        let server = try start(["--workers", String(cpus.count)])
        defer { server.stop() }
        #expect(server.log.contains("UDP workers pinned to CPUs"), "\(server.log)")
        let pid = server.process.processIdentifier
        // The UDP worker threads (named in UDPWorker.start) and the CPU each is pinned to. Read until
        // all are seen (a release-build CI run once listed one worker short right after start-up);
        // every thread's name and CPUs are printed if they never are.
        func threads() -> [(tid: String, comm: String, allowed: [Int])] {
            let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
            return tasks.map { tid in
                let comm = (try? String(contentsOfFile: "/proc/\(pid)/task/\(tid)/comm", encoding: .utf8)) ?? ""
                return (tid, comm.trimmingCharacters(in: .whitespacesAndNewlines), allowedCPUs(of: "\(pid)/task/\(tid)"))
            }
        }
        func pinnedWorkers() -> [(tid: String, cpu: Int)] {
            threads().compactMap { $0.comm == "form-dns-udp" && $0.allowed.count == 1 ? ($0.tid, $0.allowed[0]) : nil }
        }
        let listed = Date().addingTimeInterval(3)
        while pinnedWorkers().count < 2 * cpus.count, Date() < listed { usleep(20_000) }
        let workers = pinnedWorkers()
        try #require(workers.count == 2 * cpus.count, "workers: \(workers); threads: \(threads())")
        func switches() -> [String: Int] {
            Dictionary(uniqueKeysWithValues: workers.map { w in
                let status = (try? String(contentsOfFile: "/proc/\(pid)/task/\(w.tid)/status", encoding: .utf8)) ?? ""
                let count = status.split(separator: "\n")
                    .filter { $0.hasPrefix("voluntary_ctxt_switches:") || $0.hasPrefix("nonvoluntary_ctxt_switches:") }
                    .compactMap { Int($0.split(separator: "\t").last ?? "") }.reduce(0, +)
                return (w.tid, count)
            })
        }
        let v6Port = try #require(server.log.split(separator: " ").first { $0.hasPrefix("udp://[::1]:") }
            .flatMap { Int($0.split(separator: ":").last!) })
        let queries = 200
        var wokenFor: [String: String] = [:]   // "cpu family" -> the worker that woke
        for cpu in cpus {
            for (address, port) in [("127.0.0.1", server.udpPort), ("::1", v6Port)] {
                let before = switches()
                let started = Date()
                let answered = runPinned(to: cpu) {
                    (0..<queries).filter { i in
                        let query = wire("www.formation.test.", .a, id: UInt16(i))
                        let reply = try? WireClient.udp(query, host: address, port: port)
                        return (reply.flatMap { try? parse($0) })?.answers.count == 2
                    }.count
                }
                let elapsed = Date().timeIntervalSince(started)
                let after = switches()
                let moved = workers.map { (tid: $0.tid, cpu: $0.cpu, delta: after[$0.tid]! - before[$0.tid]!) }
                let what = "from CPU \(cpu) to \(address) (\(String(format: "%.2f", elapsed)) s): \(moved)"
                #expect(answered == queries, "\(answered) of \(queries) answered \(what)")
                // Every query wakes its worker at least once; a worker that got none woke only on
                // its receive timeout (4 a second), far fewer times than a quarter of the queries.
                let busy = moved.filter { $0.delta >= queries / 2 }
                #expect(busy.count == 1 && busy.first?.cpu == cpu, "\(what)")
                #expect(moved.filter { $0.tid != busy.first?.tid }.allSatisfy { $0.delta < queries / 4 }, "\(what)")
                if busy.count == 1 { wokenFor["\(cpu) \(address)"] = busy[0].tid }
            }
            // IPv4 and IPv6 have their own sockets, hence their own worker on each CPU.
            #expect(wokenFor["\(cpu) 127.0.0.1"] != wokenFor["\(cpu) ::1"], "\(wokenFor)")
        }
    }

    /// Runs `body` on a new thread restricted to `cpu` and returns its result. sched_setaffinity
    /// (pid 0: the calling thread) is a GNU extension the Glibc module does not export: dlsym it.
    func runPinned<T>(to cpu: Int, _ body: @escaping () -> T) -> T {
        let box = PinnedRun(body)
        Thread {
            typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
            let symbol = dlsym(dlopen(nil, RTLD_NOW), "sched_setaffinity")
            precondition(symbol != nil, "no sched_setaffinity")
            var set = cpu_set_t()
            withUnsafeMutableBytes(of: &set) { $0[cpu / 8] |= UInt8(1 << (cpu % 8)) }
            let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
            let rc = withUnsafeBytes(of: &set) { setAffinity(0, $0.count, $0.baseAddress!) }
            precondition(rc == 0, "sched_setaffinity(\(cpu)) failed: errno \(errno)")
            box.result = box.body()
            box.done.signal()
        }.start()
        box.done.wait()
        return box.result!
    }

    @Test(.enabled(if: Self.allowed.count < 64, "--workers stops at 64: one more worker than CPUs is impossible here"))
    func moreWorkersThanCPUsFloatAndAnswer() throws {
        let cpus = Self.allowed
        let server = try start(["--workers", String(cpus.count + 1)])
        defer { server.stop() }
        #expect(server.log.contains("UDP workers not pinned (\(cpus.count + 1) worker(s) per address, \(cpus.count) CPU(s) allowed"))
        let r = try Harness.run("dig", ["@127.0.0.1", "-p", String(server.udpPort), "www.formation.test", "A", "+short"])
        #expect(r.output.contains("192.0.2.10"))
    }

    /// The CPUs this test process may run on (and so a form-dns it starts).
    static let allowed: [Int] = FormDNSServeTests().allowedCPUs(of: "self")

    /// "Cpus_allowed_list:\t0-1,4" from /proc/<path>/status as [0, 1, 4].
    func allowedCPUs(of path: String) -> [Int] {
        guard let status = try? String(contentsOfFile: "/proc/\(path)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }),
              let list = line.split(separator: "\t").last else { return [] }
        return list.split(separator: ",").flatMap { range -> [Int] in
            let ends = range.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let first = ends.first else { return [] }
            return Array(first...(ends.last ?? first))
        }
    }

    @Test func reloadKeepsServingTheLastGoodZones() throws {
        let dir = Harness.tempDirectory()
        let zonePath = dir + "/r.zone"
        let good = "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww A 192.0.2.1\n"
        try good.write(toFile: zonePath, atomically: true, encoding: .utf8)
        let server = try ServerProcess.formDNS(["--zone", "r.test=\(zonePath)", "--listen", "127.0.0.1:0"], directory: dir)
        defer { server.stop() }
        func answer() throws -> String? {
            let m = try parse(try #require(try WireClient.udp(wire("www.r.test.", .a), port: server.udpPort)))
            return m.answers.first?.data.description
        }
        #expect(try answer() == "192.0.2.1")
        try "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww A not-an-address\n".write(toFile: zonePath, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try waitFor { server.log.contains("reload failed") }
        #expect(server.log.contains("r.zone:4:"))
        #expect(try answer() == "192.0.2.1")
        try good.replacingOccurrences(of: "192.0.2.1", with: "192.0.2.2").write(toFile: zonePath, atomically: true, encoding: .utf8)
        server.signal(SIGHUP)
        try waitFor { server.log.contains("reloaded zones") }
        #expect(try answer() == "192.0.2.2")
    }
}

/// A result handed back from a thread of `runPinned`.
final class PinnedRun<T>: @unchecked Sendable {
    var result: T?
    let body: () -> T
    let done = DispatchSemaphore(value: 0)
    init(_ body: @escaping () -> T) { self.body = body }
}

func waitFor(seconds: Double = 10, _ condition: () throws -> Bool) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        usleep(20_000)
    }
    throw HarnessError("condition not met within \(seconds) s")
}
