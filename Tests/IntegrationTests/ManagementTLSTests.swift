import Foundation
import Testing

/// The management API over TLS with client certificates, certificates from `form-dns pki`: a node
/// certificate reports its own node without a token and nothing else; no client certificate or
/// plain HTTP gets nothing; the CLI speaks TLS; a bad certificate is a configuration error.
@Suite(.serialized) struct ManagementTLSTests {
    static let token = ManagementAPITests.token

    @Test func mutualTLSNodeCertificatesAndTheCLI() throws {
        let dir = Harness.tempDirectory()
        func pki(_ arguments: [String]) throws {
            let r = try Harness.run(Harness.formDNSBinary, ["pki"] + arguments)
            #expect(r.status == 0, "\(r.output)")
        }
        try pki(["init", "--dir", dir + "/pki", "--name", "test CA"])
        try pki(["issue", "--dir", dir + "/pki", "--out", dir + "/api", "--ip", "127.0.0.1"])
        try pki(["issue", "--dir", dir + "/pki", "--out", dir + "/n1", "--node", "entry/n1"])
        try pki(["issue", "--dir", dir + "/pki", "--out", dir + "/ops", "--client", "ops"])
        #expect(try Harness.run(Harness.formDNSBinary, ["pki", "issue", "--dir", dir + "/pki", "--out", dir + "/x"]).status != 0)
        func config(certFile: String) throws {
            try """
            listen: ["127.0.0.1:0"]
            zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
            management:
              listen: "127.0.0.1:0"
              token: \(Self.token)
              tls: {cert_file: \(certFile), key_file: api-key.pem, client_ca_file: pki/ca.pem}
            pools:
              - name: entry
                names: [entry.formation.test]
                health: {check: none}
                nodes: [{id: n1, ipv4: 127.0.0.36, latitude: 1, longitude: 1}, {id: n2, ipv4: 127.0.0.37, latitude: 1, longitude: 1}]
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        }
        try config(certFile: "api.pem")
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let word = try #require(dns.log.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("apis://") })
        let api = String(word.dropFirst("apis://".count))
        func curl(_ path: String, scheme: String = "https", cert: String?, token: String? = nil, body: String? = nil)
            throws -> Int
        {
            var args = ["-s", "--max-time", "5", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", dir + "/pki/ca.pem"]
            if let cert { args += ["--cert", dir + "/\(cert).pem", "--key", dir + "/\(cert)-key.pem"] }
            if let token { args += ["-H", "Authorization: Bearer \(token)"] }
            if let body { args += ["--data-binary", body] }
            return Int(try Harness.run("/usr/bin/curl", args + ["\(scheme)://\(api)\(path)"]).output) ?? -1
        }
        let report = #"{"state": "degraded"}"#
        #expect(try curl("/v1/pools/entry/nodes/n1/report", cert: "n1", body: report) == 200)
        #expect(try curl("/v1/pools/entry/nodes/n2/report", cert: "n1", body: report) == 403)
        #expect(try curl("/v1/pools/entry/nodes/n1/override", cert: "n1", body: #"{"override": "drain"}"#) == 403)
        #expect(try curl("/v1/health", cert: nil, token: Self.token) == 0, "no client certificate: no TLS session")
        #expect(try curl("/v1/health", scheme: "http", cert: nil, token: Self.token) == 0, "plain HTTP is not spoken")
        #expect(try curl("/v1/health", cert: "ops", token: nil) == 401, "a client certificate alone is no token")
        #expect(try curl("/v1/health", cert: "ops", token: Self.token) == 200)

        let health = try Harness.run(
            "/usr/bin/env",
            ["FORM_DNS_API_TOKEN=\(Self.token)", Harness.formDNSBinary, "health", "--api", api, "--ca-file",
             dir + "/pki/ca.pem", "--cert-file", dir + "/ops.pem", "--key-file", dir + "/ops-key.pem"])
        #expect(health.status == 0 && health.output.contains("n1") && health.output.contains("degraded"), "\(health.output)")
        let untrusted = try Harness.run(
            "/usr/bin/env",
            ["FORM_DNS_API_TOKEN=\(Self.token)", Harness.formDNSBinary, "health", "--api", api, "--ca-file",
             dir + "/api.pem", "--cert-file", dir + "/ops.pem", "--key-file", dir + "/ops-key.pem"])
        #expect(untrusted.status != 0 && untrusted.output.contains("TLS"), "\(untrusted.output)")

        try "not a certificate\n".write(toFile: dir + "/bad.pem", atomically: true, encoding: .utf8)
        try config(certFile: "bad.pem")
        let check = try Harness.run(Harness.formDNSBinary, ["check", "--config", dir + "/c.yaml"])
        #expect(check.status == 1 && check.output.contains("c.yaml:6: management.tls.cert_file:")
                    && check.output.contains("bad.pem is not a PEM certificate"), "\(check.output)")
    }
}
