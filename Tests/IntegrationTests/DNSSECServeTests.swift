import Foundation
import Testing

/// form-dns signing online, checked by validators we did not write: BIND's delv and unbound (a
/// validating resolver holding the zone's DS as its trust anchor) accept every kind of answer, and
/// unbound refuses them (SERVFAIL) once a proxy on the path corrupts a signature, strips the
/// signatures, or swaps an address or a key in a TXT record.
@Suite(.serialized) struct DNSSECServeTests {
    static let proxy = Harness.packageRoot + "/Tests/Tools/dns-tamper-proxy.py"

    /// The demo configuration with the zone signed and state in `dir`; form-dns started on loopback.
    static func signedServer(in dir: String, algorithm: String = "ECDSAP256SHA256") throws -> ServerProcess {
        let root = Harness.packageRoot
        let text = try String(contentsOfFile: root + "/Fixtures/demo/form-dns.yaml", encoding: .utf8)
            .replacingOccurrences(
                of: "file: formation.test.zone",
                with: "file: \(root)/Fixtures/demo/formation.test.zone\n    dnssec: {algorithm: \(algorithm)}")
            .replacingOccurrences(of: "../geo/", with: root + "/Fixtures/geo/")
            + "\nstate_dir: \(dir)/state\n"
        try text.write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        return try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml", "--listen", "127.0.0.1:0"], directory: dir)
    }

    /// The DS `form-dns keys ds` prints for the parent: "TAG ALG DIGEST-TYPE DIGEST".
    static func ds(_ dir: String) throws -> [String] {
        let r = try Harness.run(Harness.formDNSBinary, ["keys", "ds", "formation.test", "--state-dir", dir + "/state"])
        #expect(r.status == 0, "\(r.output)")
        return r.output.split(separator: "\n").first.map { $0.split(separator: " ").suffix(4).map(String.init) } ?? []
    }

    @Test(arguments: ["ECDSAP256SHA256", "ED25519"])
    func delvValidatesEveryKindOfAnswer(algorithm: String) throws {
        let dir = Harness.tempDirectory()
        let dns = try Self.signedServer(in: dir, algorithm: algorithm)
        defer { dns.stop() }
        // The key was made at start, its private half for the server's user only.
        let keys = try FileManager.default.contentsOfDirectory(atPath: dir + "/state/keys")
        let secret = try #require(keys.first { $0.hasSuffix(".private") })
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/state/keys/" + secret)[.posixPermissions]
        #expect(mode as? Int == 0o600)
        let ds = try Self.ds(dir)
        #expect(ds.count == 4 && ds[1] == (algorithm == "ED25519" ? "15" : "13"))
        let anchor = "trust-anchors { formation.test. static-ds \(ds[0]) \(ds[1]) \(ds[2]) \"\(ds[3])\"; };\n"
        try anchor.write(toFile: dir + "/anchors.conf", atomically: true, encoding: .utf8)
        let delv = try Harness.which("delv")
        let cases: [(String, String, String)] = [
            ("www.formation.test", "A", "; fully validated"),
            ("formation.test", "DNSKEY", "; fully validated"),
            ("chain.formation.test", "A", "; fully validated"),
            ("x.wild.formation.test", "TXT", "; fully validated"),
            ("entry.formation.test", "A", "; fully validated"),
            ("entry.formation.test", "AAAA", "; fully validated"),
            ("_formnet.entry.formation.test", "TXT", "; fully validated"),
            ("www.formation.test", "TXT", "; negative response, fully validated"),
            ("nope.formation.test", "A", "; negative response, fully validated"),
            ("empty.nonterminal.formation.test", "A", "; negative response, fully validated"),
            ("sub.formation.test", "DS", "; negative response, fully validated"),
            ("entry.formation.test", "MX", "; negative response, fully validated"),
        ]
        for (name, type, verdict) in cases {
            let r = try Harness.run(
                delv, ["@127.0.0.1", "-p", "\(dns.udpPort)", "-a", dir + "/anchors.conf", "+root=formation.test", name, type])
            #expect(r.output.contains(verdict), "\(name) \(type): \(r.output)")
        }
        // The same query with another key as the anchor: nothing validates.
        let wrong = anchor.replacingOccurrences(of: ds[3], with: String(repeating: "A", count: ds[3].count))
        try wrong.write(toFile: dir + "/wrong.conf", atomically: true, encoding: .utf8)
        let bogus = try Harness.run(
            delv, ["@127.0.0.1", "-p", "\(dns.udpPort)", "-a", dir + "/wrong.conf", "+root=formation.test", "www.formation.test", "A"])
        #expect(!bogus.output.contains("fully validated"), "\(bogus.output)")

        // kdig shows the compact denial as it goes over the wire: NOERROR, the name's own NSEC with
        // NXNAME (type 128), the next name just after it.
        let kdig = try Harness.which("kdig")
        let nx = try Harness.run(kdig, ["@127.0.0.1", "-p", "\(dns.udpPort)", "+dnssec", "nope.formation.test", "A"])
        #expect(nx.output.contains("status: NOERROR"), "\(nx.output)")
        #expect(nx.output.contains("nope.formation.test.") && nx.output.contains("NSEC\t\\000.nope.formation.test. RRSIG NSEC TYPE128"), "\(nx.output)")
        // Without DO: as before, NXDOMAIN and no DNSSEC records.
        let plain = try Harness.run(kdig, ["@127.0.0.1", "-p", "\(dns.udpPort)", "nope.formation.test", "A"])
        #expect(plain.output.contains("status: NXDOMAIN") && !plain.output.contains("RRSIG"), "\(plain.output)")
    }

    @Test func unboundValidatesAndRefusesWhatWasTamperedWith() throws {
        let dir = Harness.tempDirectory()
        let dns = try Self.signedServer(in: dir)
        defer { dns.stop() }
        let ds = try Self.ds(dir)
        let proxyPort = Harness.freePort()
        let python = "/usr/bin/env"
        func startProxy(_ mode: [String]) throws -> ServerProcess {
            let p = try ServerProcess(
                executable: python, arguments: ["python3", Self.proxy, "\(proxyPort)", "\(dns.udpPort)"] + mode,
                logPath: dir + "/proxy-\(mode[0]).log")
            try waitFor { p.log.contains("ready") }
            return p
        }
        var proxy = try startProxy(["pass"])
        defer { proxy.stop() }
        let port = Harness.freePort()
        try Harness.unboundConfig(port: port, upstream: proxyPort, directory: dir, trustAnchorDS: ds)
            .write(toFile: dir + "/unbound.conf", atomically: true, encoding: .utf8)
        let unbound = try ServerProcess(
            executable: try Harness.which("unbound"), arguments: ["-d", "-c", dir + "/unbound.conf"],
            logPath: dir + "/unbound.log")
        defer { unbound.stop() }
        let kdig = try Harness.which("kdig")
        func ask(_ name: String, _ type: String = "A") throws -> String {
            try Harness.run(kdig, ["@127.0.0.1", "-p", "\(port)", "+timeout=3", "+retry=0", name, type]).output
        }
        try waitFor { ((try? ask("formation.test", "SOA")) ?? "").contains("status: NOERROR") }
        // Untouched: validated (AD), positive and negative, pool answers included.
        for (name, type) in [("www.formation.test", "A"), ("entry.formation.test", "A"), ("nope.formation.test", "A"),
                             ("_formnet.entry.formation.test", "TXT"), ("www.formation.test", "TXT")] {
            let r = try ask(name, type)
            #expect(r.contains("Flags: qr rd ra ad"), "\(name) \(type): \(r)\n\(unbound.log)")
        }
        // form-join through the validating resolver: it asks with CD, gets the signatures, and checks
        // them itself from the DS.
        try ("formation.test. IN DS " + ds.joined(separator: " ") + "\n")
            .write(toFile: dir + "/anchor.ds", atomically: true, encoding: .utf8)
        let viaResolver = try JoinTests.run([
            "peers", "entry.formation.test", "--resolver", "127.0.0.1:\(port)", "--trust-anchor", dir + "/anchor.ds",
            "--no-cache", "--json", "--quiet", "--deadline-ms", "300",
        ])
        #expect(viaResolver.stdout.contains("\"validation\" : \"secure\""), "\(viaResolver.stdout)")
        // Each tampering, on a name unbound has not cached yet: SERVFAIL, and unbound says bogus.
        let attacks: [([String], String, String)] = [
            (["corrupt-rrsig"], "mail.formation.test", "A"),
            (["strip-rrsig"], "pair.formation.test", "A"),
            (["swap-a", "192.0.2.66"], "ns2.formation.test", "A"),
            (["swap-txt", "v=formnet1 id=evil pubkey=ZXZpbA=="], "txt.formation.test", "TXT"),
        ]
        for (mode, name, type) in attacks {
            proxy.stop()
            proxy = try startProxy(mode)
            let r = try ask(name, type)
            #expect(r.contains("status: SERVFAIL"), "\(mode[0]): \(r)\n\(proxy.log)")
        }
        #expect(unbound.log.contains("validation failure"), "\(unbound.log)")
        // Back to an honest path: the same names validate.
        proxy.stop()
        proxy = try startProxy(["pass"])
        let honest = try Harness.run(kdig, ["@127.0.0.1", "-p", "\(port)", "+cd", "mail.formation.test", "A"]).output
        #expect(honest.contains("status: NOERROR"), "\(honest)")
    }

    /// A ZSK rolled by pre-publishing and a KSK by double-DS, on a serving form-dns: after each
    /// step and a SIGHUP the DNSKEY RRset is what the step says, and delv, holding the DS records
    /// the steps printed, validates throughout.
    @Test func keysRollWhileServingAndAnswersKeepValidating() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        func keys(_ args: [String]) throws -> String {
            let r = try Harness.run(Harness.formDNSBinary, ["keys"] + args + ["formation.test", "--state-dir", state])
            #expect(r.status == 0, "\(args): \(r.output)")
            return r.output
        }
        _ = try keys(["generate", "--role", "ksk"])
        _ = try keys(["generate", "--role", "zsk"])
        let dns = try Self.signedServer(in: dir)
        defer { dns.stop() }
        let delv = try Harness.which("delv"), kdig = try Harness.which("kdig")
        var anchors: [String] = []
        func trust(_ dsOutput: String) throws {
            anchors = dsOutput.split(separator: "\n").filter { $0.contains(" IN DS ") }.map { line in
                let f = line.split(separator: " ").suffix(4)
                return "formation.test. static-ds \(f.joined(separator: " ").replacingOccurrences(of: f.last!, with: "\"\(f.last!)\""));"
            }
            try ("trust-anchors {\n" + anchors.joined(separator: "\n") + "\n};\n")
                .write(toFile: dir + "/anchors.conf", atomically: true, encoding: .utf8)
        }
        func step(_ kind: String, _ step: String) throws -> String {
            let r = try Harness.run(
                Harness.formDNSBinary,
                ["keys", "rollover", "formation.test", step, "--kind", kind, "--wait", "0", "--state-dir", state])
            #expect(r.status == 0, "\(kind) \(step): \(r.output)")
            dns.signal(SIGHUP)
            return r.output
        }
        /// (DNSKEY count, key tags that sign the A RRset), once the reload has landed.
        func served(keys count: Int) throws -> String {
            var signers = ""
            try waitFor {
                let k = (try? Harness.run(kdig, ["@127.0.0.1", "-p", "\(dns.udpPort)", "+short", "formation.test", "DNSKEY"]))?.output ?? ""
                return k.split(separator: "\n").count == count
            }
            let a = try Harness.run(kdig, ["@127.0.0.1", "-p", "\(dns.udpPort)", "+dnssec", "+short", "www.formation.test", "A"])
            signers = a.output.split(separator: "\n").filter { $0.hasPrefix("A ") }.map { String($0.split(separator: " ")[6]) }.joined(separator: ",")
            return signers
        }
        func validates() throws -> Bool {
            let r = try Harness.run(delv, ["@127.0.0.1", "-p", "\(dns.udpPort)", "-a", dir + "/anchors.conf", "+root=formation.test", "www.formation.test", "A"])
            return r.output.contains("; fully validated")
        }
        try trust(try keys(["ds"]))
        let zsk0 = try served(keys: 2)
        #expect(try validates())
        // ZSK: pre-publish, switch, finish.
        _ = try step("zsk", "start")
        #expect(try served(keys: 3) == zsk0 && (try validates()))
        _ = try step("zsk", "switch")
        try waitFor { (try? served(keys: 3)) != zsk0 }
        let zsk1 = try served(keys: 3)
        #expect(try validates())
        _ = try step("zsk", "finish")
        #expect(try served(keys: 2) == zsk1 && (try validates()))
        // KSK, double-DS: the parent (here delv's anchors) gets both DS at start.
        try trust(try step("ksk", "start"))
        #expect(anchors.count == 2)
        #expect(try served(keys: 2) == zsk1 && (try validates()))
        _ = try step("ksk", "switch")
        _ = try served(keys: 3)
        #expect(try validates())
        try trust(try step("ksk", "finish"))
        #expect(anchors.count == 1)
        _ = try served(keys: 2)
        #expect(try validates())
        let log = try String(contentsOfFile: state + "/keys/rollover.log", encoding: .utf8)
        #expect(log.split(separator: "\n").count == 6, "\(log)")
        // Out of order: refused, with the reason.
        let early = try Harness.run(
            Harness.formDNSBinary, ["keys", "rollover", "formation.test", "finish", "--kind", "zsk", "--state-dir", state])
        #expect(early.status == 1 && early.output.contains("no zsk rollover to finish"), "\(early.output)")
    }
}
