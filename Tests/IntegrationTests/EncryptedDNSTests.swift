import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// form-join over DNS over TLS and DNS over HTTPS, against Debian's unbound serving both on
/// loopback (in front of form-dns), and against hostile servers (Tests/Tools/hostile-tls.py): a
/// certificate from another CA or for another name, a key that is not the pinned one, a handshake
/// that never ends, garbage after the handshake, an HTML page for an answer.
@Suite(.serialized) struct EncryptedDNSTests {
    /// A CA and a certificate for dns.test (subjectAltName DNS:dns.test only), and a second CA
    /// that signed nothing here; made with openssl for each run.
    struct Certificates {
        let dir: String
        var ca: String { dir + "/ca.pem" }
        var otherCA: String { dir + "/other-ca.pem" }
        var cert: String { dir + "/server.pem" }
        var key: String { dir + "/server.key" }
        var certWithAddress: String { dir + "/server-ip.pem" }
        /// The server key's pin-sha256.
        let pin: String

        init(_ dir: String) throws {
            self.dir = dir
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
            for (name, subject) in [("ca", "/CN=form-join test CA"), ("other-ca", "/CN=another CA")] {
                try Self.openssl(["req", "-x509"] + ec + ["-keyout", "\(dir)/\(name).key", "-out", "\(dir)/\(name).pem",
                                                         "-days", "2", "-subj", subject])
            }
            try Self.openssl(["req"] + ec + ["-keyout", "\(dir)/server.key", "-out", "\(dir)/server.csr", "-subj", "/CN=dns.test"])
            try "subjectAltName=DNS:dns.test\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: dir + "/ext.cnf", atomically: true, encoding: .utf8)
            try Self.openssl(["x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                              "-CAcreateserial", "-out", "\(dir)/server.pem", "-days", "2", "-extfile", "\(dir)/ext.cnf"])
            // A second certificate for dns.test that also carries 127.0.0.1: NIOSSL accepts it for any
            // name when connecting to that address, so form-join's own name check must refuse it.
            try "subjectAltName=DNS:dns.test,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: dir + "/ext-ip.cnf", atomically: true, encoding: .utf8)
            try Self.openssl(["x509", "-req", "-in", "\(dir)/server.csr", "-CA", "\(dir)/ca.pem", "-CAkey", "\(dir)/ca.key",
                              "-CAcreateserial", "-out", "\(dir)/server-ip.pem", "-days", "2", "-extfile", "\(dir)/ext-ip.cnf"])
            let spki = try Harness.run("/bin/sh", ["-c", "openssl x509 -in \(dir)/server.pem -pubkey -noout | openssl pkey -pubin "
                                                   + "-outform der | openssl dgst -sha256 -binary | base64"])
            pin = spki.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        static func openssl(_ args: [String]) throws {
            let r = try Harness.run("openssl", args)
            guard r.status == 0 else { throw HarnessError("openssl \(args.first ?? ""): \(r.output)") }
        }
    }

    /// form-dns with the demo zone, and unbound in front of it with DoT and DoH.
    struct Resolvers {
        let dns: ServerProcess, unbound: ServerProcess
        let dot: Int, doh: Int, udp: Int

        init(_ certs: Certificates, directory dir: String) async throws {
            dns = try ServerProcess.formDNS(["--config", Harness.packageRoot + "/Fixtures/demo/form-dns.yaml",
                                             "--listen", "127.0.0.1:0"], directory: dir)
            (udp, dot, doh) = (Harness.freePort(), Harness.freePort(), Harness.freePort())
            let base = Harness.unboundConfig(port: udp, upstream: dns.udpPort, directory: dir)
            let encrypted = """
                interface: 127.0.0.1@\(dot)
                interface: 127.0.0.1@\(doh)
                tls-port: \(dot)
                https-port: \(doh)
                tls-service-key: "\(certs.key)"
                tls-service-pem: "\(certs.cert)"
                http-endpoint: "/dns-query"

            """
            try base.replacingOccurrences(of: "remote-control:", with: encrypted + "remote-control:")
                .write(toFile: dir + "/unbound.conf", atomically: true, encoding: .utf8)
            unbound = try ServerProcess(executable: try Harness.which("unbound"), arguments: ["-d", "-c", dir + "/unbound.conf"],
                                        logPath: dir + "/unbound.log")
            let unbound = unbound
            try await waitFor { unbound.log.contains("start of service") || !unbound.process.isRunning }
        }

        func stop() {
            unbound.stop()
            dns.stop()
        }
    }

    static func resolve(_ args: [String]) throws -> (status: Int32, output: String) {
        try Harness.run(JoinTests.formJoin, ["resolve", "entry.formation.test", "--attempts", "1"] + args, timeout: 30)
    }

    @Test func dnsOverTLSAndHTTPSThroughUnboundReusingOneConnection() async throws {
        let dir = Harness.tempDirectory()
        let certs = try Certificates(dir)
        let servers = try await Resolvers(certs, directory: dir)
        defer { servers.stop() }
        let tls = "tls://127.0.0.1:\(servers.dot)#dns.test", https = "https://127.0.0.1:\(servers.doh)/dns-query#dns.test"
        for server in [tls, https] {
            let r = try Self.resolve(["--encrypted", server, "--encrypted-only", "--ca-file", certs.ca, "--repeat", "20"])
            #expect(r.status == 0, "\(r.output)")
            // Twenty queries, one connection: the first pays for TCP and TLS, the others reuse it.
            #expect(r.output.contains(";; 20 queries, 0 failed") && r.output.contains("encrypted connections opened: 1"),
                    "\(r.output)")
            #expect(r.output.contains("\n20 ") && r.output.contains(" ms \(server)\n"), "\(r.output)")
        }
        // The pinned key: accepted when it is the server's.
        let pinned = try Self.resolve(["--encrypted", tls, "--encrypted-only", "--ca-file", certs.ca, "--spki-pin", certs.pin])
        #expect(pinned.status == 0 && pinned.output.contains("NOERROR from \(tls)"), "\(pinned.output)")

        // A join through DoH only: the peer set says where the answer came from.
        let join = try Harness.run(JoinTests.formJoin, ["peers", "entry.formation.test", "--encrypted", https, "--encrypted-only",
                                                        "--ca-file", certs.ca, "--json", "--quiet", "--no-cache",
                                                        "--deadline-ms", "300"])
        // stdout's JSON, then (no entry node runs here: exit 20) the line on stderr.
        let text = join.output.firstIndex(of: "{").flatMap { a in join.output.lastIndex(of: "}").map { join.output[a...$0] } }
        let json = (try? JSONSerialization.jsonObject(with: Data((text ?? "").utf8))) as? [String: Any] ?? [:]
        #expect((json["dns"] as? [String: Any])?["server"] as? String == https, "\(join.output)")
        #expect((json["dns"] as? [String: Any])?["status"] as? String == "ok", "\(join.output)")
    }

    @Test func port53BlockedFallsBackToTLS() async throws {
        let dir = Harness.tempDirectory()
        let certs = try Certificates(dir)
        let servers = try await Resolvers(certs, directory: dir)
        defer { servers.stop() }
        let tls = "tls://127.0.0.1:\(servers.dot)#dns.test"
        // Refused at once (nothing on the port), and silently dropped (a socket that never answers).
        let refused = try Self.resolve(["--resolver", "127.0.0.1:\(Harness.freePort())", "--encrypted", tls, "--ca-file", certs.ca])
        #expect(refused.status == 0 && refused.output.contains("NOERROR from \(tls)"), "\(refused.output)")
        let silent = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(silent) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(silent, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getsockname(silent, $0, &length) } }
        let dropped = try Self.resolve(["--resolver", "127.0.0.1:\(UInt16(bigEndian: address.sin_port))", "--timeout-ms", "300",
                                        "--encrypted", tls, "--ca-file", certs.ca])
        #expect(dropped.status == 0 && dropped.output.contains("NOERROR from \(tls)"), "\(dropped.output)")
    }

    @Test func badCertificatesAndKeysAreRefusedSayingWhy() async throws {
        let dir = Harness.tempDirectory()
        let certs = try Certificates(dir)
        let servers = try await Resolvers(certs, directory: dir)
        defer { servers.stop() }
        let tls = "tls://127.0.0.1:\(servers.dot)#dns.test", https = "https://127.0.0.1:\(servers.doh)#dns.test"
        let otherCA = try Self.resolve(["--encrypted", tls, "--encrypted-only", "--ca-file", certs.otherCA])
        #expect(otherCA.status == 3 && otherCA.output.contains("TLS handshake failed: CERTIFICATE_VERIFY_FAILED"),
                "\(otherCA.output)")
        let systemCAs = try Self.resolve(["--encrypted", https, "--encrypted-only"])
        #expect(systemCAs.status == 3 && systemCAs.output.contains("CERTIFICATE_VERIFY_FAILED"), "\(systemCAs.output)")
        let otherName = try Self.resolve(["--encrypted", "tls://127.0.0.1:\(servers.dot)#other.test", "--encrypted-only",
                                          "--ca-file", certs.ca])
        // NIOSSL checks the name in the handshake (this certificate carries no address).
        #expect(otherName.status == 3 && otherName.output.contains("Couldn't find other.test in certificate from peer"),
                "\(otherName.output)")
        let wrongPin = String(repeating: "A", count: 43) + "="
        for server in [tls, https] {
            let r = try Self.resolve(["--encrypted", server, "--encrypted-only", "--ca-file", certs.ca, "--spki-pin", wrongPin])
            #expect(r.status == 3 && r.output.contains("the server's key (pin-sha256 \(certs.pin)) is not one of the pinned keys"),
                    "\(r.output)")
        }
        let badPin = try Self.resolve(["--encrypted", tls, "--spki-pin", "not-a-pin"])
        #expect(badPin.status == 64 && badPin.output.contains("--spki-pin 'not-a-pin' is not a base64 SHA-256 digest"),
                "\(badPin.output)")
        let badURL = try Self.resolve(["--encrypted", "tls://dns.example"])
        #expect(badURL.status == 64 && badURL.output.contains("--encrypted 'tls://dns.example' is not tls://ADDRESS"),
                "\(badURL.output)")
    }

    @Test func hostileServersGetAClearErrorNeverAHang() async throws {
        let dir = Harness.tempDirectory()
        let certs = try Certificates(dir)
        var tools: [ServerProcess] = []
        defer { tools.forEach { $0.stop() } }
        var ports: [String: Int] = [:]
        for mode in ["stall", "dot-garbage", "doh-html", "doh-404", "dot-garbage-ip"] {
            let port = Harness.freePort()
            let cert = mode.hasSuffix("-ip") ? certs.certWithAddress : certs.cert
            let p = try ServerProcess(executable: "/usr/bin/env",
                                      arguments: ["python3", Harness.packageRoot + "/Tests/Tools/hostile-tls.py",
                                                  mode.replacingOccurrences(of: "-ip", with: ""), "\(port)", cert, certs.key],
                                      logPath: "\(dir)/\(mode).log")
            tools.append(p)
            try await waitFor { p.log.contains("listening on") || !p.process.isRunning }
            #expect(p.process.isRunning, "\(p.log)")
            ports[mode] = port
        }
        let common = ["--encrypted-only", "--ca-file", certs.ca, "--timeout-ms", "400"]
        // The handshake never ends: a timeout after the two rounds' 400 + 800 ms, not a hang.
        var start = Date()
        let stall = try Harness.run(JoinTests.formJoin, ["resolve", "entry.formation.test", "--attempts", "2",
                                                         "--encrypted", "tls://127.0.0.1:\(ports["stall"]!)#dns.test"] + common,
                                    timeout: 20)
        #expect(stall.status == 3 && stall.output.contains("TIMEOUT"), "\(stall.output)")
        #expect(Date().timeIntervalSince(start) < 10)
        start = Date()
        let garbage = try Self.resolve(["--encrypted", "tls://127.0.0.1:\(ports["dot-garbage"]!)#dns.test"] + common)
        #expect(garbage.status == 3 && garbage.output.contains("a 5-octet message is not DNS"), "\(garbage.output)")
        let html = try Self.resolve(["--encrypted", "https://127.0.0.1:\(ports["doh-html"]!)#dns.test"] + common)
        #expect(html.status == 3 && html.output.contains("answered text/html; charset=utf-8, not application/dns-message"),
                "\(html.output)")
        let notFound = try Self.resolve(["--encrypted", "https://127.0.0.1:\(ports["doh-404"]!)#dns.test"] + common)
        #expect(notFound.status == 3 && notFound.output.contains("answered HTTP 404"), "\(notFound.output)")
        // A certificate valid for the address but not for the name asked: refused by name.
        let byAddress = try Self.resolve(["--encrypted", "tls://127.0.0.1:\(ports["dot-garbage-ip"]!)#other.test"] + common)
        #expect(byAddress.status == 3
                && byAddress.output.contains("the certificate is not for other.test (its names: dns.test)"), "\(byAddress.output)")
        // DoH to a DoT-only server: no HTTP/2 agreed.
        let noH2 = try Self.resolve(["--encrypted", "https://127.0.0.1:\(ports["dot-garbage"]!)#dns.test"] + common)
        #expect(noH2.status == 3 && noH2.output.contains("did not agree to HTTP/2"), "\(noH2.output)")
        #expect(Date().timeIntervalSince(start) < 10, "the refusals took \(Date().timeIntervalSince(start)) s")
    }
}
