import Foundation
import Testing

/// form-join with a trust anchor and a bundle key, against a signed form-dns behind a proxy that
/// tampers as an on-path attacker or a hostile resolver would: each forgery is refused, the
/// reason is in "validation", and the join still succeeds from the next source (the signed
/// bundle, then the cache). Without anchor and key the same forgeries go through, and the JSON
/// says "none". Nested in JoinTests, whose tests run one at a time: both start fake entry nodes on
/// the same loopback addresses and port.
extension JoinTests {
@Suite(.serialized) struct TrustTests {
    struct Setup {
        let dir: String
        let dns: ServerProcess
        let nodes: JoinTests.Nodes
        let proxyPort: Int
        let anchor: String
        let bundleKey: String

        func stop() {
            dns.stop()
            nodes.stop()
        }
    }

    static func setup() throws -> Setup {
        let dir = Harness.tempDirectory()
        let dns = try DNSSECServeTests.signedServer(in: dir)
        // The nodes the pool answers from loopback (lon-1, fra-1) and the bundle's (boot-fra-1, boot-nyc-1).
        let nodes = try JoinTests.Nodes([("127.0.0.12", 5), ("127.0.0.13", 5), ("127.0.0.14", 5)], directory: dir)
        let ds = try Harness.run(Harness.formDNSBinary, ["keys", "ds", "formation.test", "--state-dir", dir + "/state"])
        try ds.output.write(toFile: dir + "/anchor.ds", atomically: true, encoding: .utf8)
        let keygen = try Harness.run(Harness.formDNSBinary, ["bootstrap", "keygen", dir + "/bundle.key"])
        #expect(keygen.status == 0, "\(keygen.output)")
        for seq in ["9", "10"] {
            let sign = try Harness.run(
                Harness.formDNSBinary,
                ["bootstrap", "sign", "--key", dir + "/bundle.key", "--name", "entry.formation.test", "--seq", seq,
                 "--out", dir + "/bundle-\(seq).json", Harness.packageRoot + "/Fixtures/bootstrap.json"])
            #expect(sign.status == 0, "\(sign.output)")
        }
        return Setup(dir: dir, dns: dns, nodes: nodes, proxyPort: Harness.freePort(), anchor: dir + "/anchor.ds",
                     bundleKey: dir + "/bundle.key.pub")
    }

    static func proxy(_ s: Setup, _ mode: [String]) throws -> ServerProcess {
        let p = try ServerProcess(
            executable: "/usr/bin/env",
            arguments: ["python3", DNSSECServeTests.proxy, "\(s.proxyPort)", "\(s.dns.udpPort)"] + mode,
            logPath: s.dir + "/proxy-\(mode[0]).log")
        try waitFor { p.log.contains("ready") }
        return p
    }

    static func join(_ s: Setup, _ extra: [String], bundle: String = "10", trusted: Bool = true) throws -> JoinTests.Run {
        var args = ["entry.formation.test", "--resolver", "127.0.0.1:\(s.proxyPort)", "--no-builtin",
                    "--fallback", s.dir + "/bundle-\(bundle).json", "--deadline-ms", "1000", "--timeout-ms", "500"]
        if trusted { args += ["--trust-anchor", s.anchor, "--bootstrap-key", s.bundleKey] }
        return try JoinTests().join(args + extra, directory: s.dir)
    }

    static func authenticated(_ r: JoinTests.Run) -> Set<String> {
        Set(r.peers.compactMap { $0["authenticated"] as? String })
    }

    @Test func everyForgeryIsRefusedAndTheJoinGoesOnFromTheNextSource() throws {
        let s = try Self.setup()
        defer { s.stop() }
        // Honest path: validated, from DNS, every peer "dnssec" (and so cached).
        var proxy = try Self.proxy(s, ["pass"])
        defer { proxy.stop() }
        let honest = try Self.join(s, [])
        #expect(honest.status == 0, "\(honest.output) \(honest.stderr)")
        #expect(honest.json["validation"] as? String == "secure")
        #expect(Self.authenticated(honest) == ["dnssec"] && Set(honest.sources) == ["dns"], "\(honest.output)")

        let forgeries: [([String], String)] = [
            (["swap-txt", "v=formnet1 id=lon-1 ip=127.0.0.12 port=51820 pubkey=ZXZpbC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="],
             "_formnet.entry.formation.test. TXT"),
            (["swap-a", "127.0.0.14"], "entry.formation.test. A"),
            (["strip-rrsig"], "not signed"),
        ]
        for (mode, reason) in forgeries {
            proxy.stop()
            proxy = try Self.proxy(s, mode)
            let r = try Self.join(s, [])
            #expect(r.status == 10, "\(mode[0]): \(r.output)")
            let validation = r.json["validation"] as? String ?? ""
            #expect(validation.hasPrefix("bogus: ") && validation.contains(reason), "\(mode[0]): \(validation)")
            #expect((r.json["dns"] as? [String: Any])?["status"] as? String == "bogus")
            #expect(Set(r.sources) == ["static"] && Self.authenticated(r) == ["signed-list"], "\(mode[0]): \(r.output)")
            #expect(!r.output.contains("ZXZpbC1rZXkt"), "the forged key reached the output")
        }

        // The keys hidden (DNSKEY queries dropped): nothing can be checked, so nothing from DNS is
        // used, even though the addresses themselves came through.
        proxy.stop()
        proxy = try Self.proxy(s, ["block-dnskey"])
        let hidden = try Self.join(s, [])
        #expect(hidden.status == 10, "\(hidden.output)")
        #expect((hidden.json["validation"] as? String ?? "").hasPrefix("indeterminate: "), "\(hidden.output)")
        #expect((hidden.json["dns"] as? [String: Any])?["status"] as? String == "indeterminate")
        #expect(Self.authenticated(hidden) == ["signed-list"])

        // A genuine answer replayed after its signatures expired (the node's clock 15 days on;
        // signatures live 14, the bundle 30): refused, the bundle still serves.
        proxy.stop()
        proxy = try Self.proxy(s, ["pass"])
        let later = Date().timeIntervalSince1970 + 15 * 86_400
        let expired = try Self.join(s, ["--now", "\(later)"])
        #expect(expired.status == 10, "\(expired.output)")
        #expect((expired.json["validation"] as? String ?? "").contains("expired"), "\(expired.output)")
        #expect(Self.authenticated(expired) == ["signed-list"])

        // An older bundle replayed (sequence 9 after 10) while DNS is forged: refused too; the
        // cache of the validated answer is what is left, and it says so.
        proxy.stop()
        proxy = try Self.proxy(s, ["strip-rrsig"])
        let replayed = try Self.join(s, [], bundle: "9")
        #expect(replayed.status == 10, "\(replayed.output)")
        let notes = replayed.json["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("sequence 9 is older than 10") }, "\(notes)")
        #expect(Set(replayed.sources) == ["cache"] && Self.authenticated(replayed) == ["cache-of-dnssec"], "\(replayed.output)")

        // Without anchor and key the forged key goes through, and nothing claims otherwise.
        proxy.stop()
        proxy = try Self.proxy(s, forgeries[0].0)
        let naive = try Self.join(s, ["--no-cache"], trusted: false)
        #expect(naive.status == 0 && naive.json["validation"] as? String == "none", "\(naive.output)")
        #expect(Self.authenticated(naive) == ["none"])
        #expect(naive.peers.contains { $0["public_key"] as? String == "ZXZpbC1rZXktMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=" })
    }

    @Test func badAnchorsAndBundlesAreClearErrors() throws {
        let dir = Harness.tempDirectory()
        func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
            try JoinTests.run(["peers", "entry.formation.test", "--resolver", "127.0.0.1:9", "--timeout-ms", "50",
                               "--attempts", "1", "--no-cache", "--quiet", "--json"] + args)
        }
        try "formation.test. IN DS 3720 13 2 zz-not-hex\n".write(toFile: dir + "/bad.ds", atomically: true, encoding: .utf8)
        let anchor = try run(["--trust-anchor", dir + "/bad.ds"])
        #expect(anchor.status == 64 && anchor.stderr.contains("bad.ds:1: DS"), "\(anchor.stderr)")
        try "formation.test. IN DS 3720 13 2 AB\nother.test. IN DS 1 13 2 AB\n"
            .write(toFile: dir + "/two.ds", atomically: true, encoding: .utf8)
        let two = try run(["--trust-anchor", dir + "/two.ds"])
        #expect(two.status == 64 && two.stderr.contains("two.ds:2: anchors for formation.test. and other.test."), "\(two.stderr)")
        // A bundle with bytes after it, and one whose signature was tampered with.
        _ = try Harness.run(Harness.formDNSBinary, ["bootstrap", "keygen", dir + "/k"])
        _ = try Harness.run(Harness.formDNSBinary, ["bootstrap", "sign", "--key", dir + "/k", "--name", "entry.formation.test",
                                                    "--out", dir + "/b.json", Harness.packageRoot + "/Fixtures/bootstrap.json"])
        let good = try String(contentsOfFile: dir + "/b.json", encoding: .utf8)
        try (good + "\ngarbage").write(toFile: dir + "/trailing.json", atomically: true, encoding: .utf8)
        let trailing = try run(["--fallback", dir + "/trailing.json", "--bootstrap-key", dir + "/k.pub"])
        #expect(trailing.status == 64 && trailing.stderr.contains("not valid JSON"), "\(trailing.stderr)")
        try good.replacingOccurrences(of: "127.0.0.13", with: "127.0.0.66")
            .write(toFile: dir + "/forged.json", atomically: true, encoding: .utf8)
        let forged = try run(["--fallback", dir + "/forged.json", "--bootstrap-key", dir + "/k.pub"])
        #expect(forged.status == 20 && forged.stdout.contains("the signature does not verify"), "\(forged.stdout)")
        let wrongKey = try run(["--fallback", dir + "/b.json", "--bootstrap-key", "AAAA"])
        #expect(wrongKey.status == 64 && wrongKey.stderr.contains("not a base64 Ed25519 public key"), "\(wrongKey.stderr)")
        // An unsigned list where a key is pinned: not used, and said.
        let unsigned = try run(["--fallback", Harness.packageRoot + "/Fixtures/bootstrap.json", "--bootstrap-key", dir + "/k.pub"])
        #expect(unsigned.status == 20 && unsigned.stdout.contains("an unsigned list, not used"), "\(unsigned.stdout)")
    }
}
}
