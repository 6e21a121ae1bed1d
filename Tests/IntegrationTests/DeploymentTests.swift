import Foundation
import Testing

/// What Docs/deployment.md hands an operator works as given: the systemd unit passes systemd's
/// own checks, and the example configuration is one form-dns accepts.
@Suite struct DeploymentTests {
    @Test func theSystemdUnitPassesSystemdAnalyzeVerify() throws {
        let dir = Harness.tempDirectory()
        let unit = try String(contentsOfFile: Harness.packageRoot + "/Deploy/systemd/form-dns.service", encoding: .utf8)
        // The unit names the installed binary; here, the one under test.
        try unit.replacingOccurrences(of: "/usr/local/bin/form-dns", with: Harness.formDNSBinary)
            .write(toFile: dir + "/form-dns.service", atomically: true, encoding: .utf8)
        let r = try Harness.run(try Harness.which("systemd-analyze"), ["verify", dir + "/form-dns.service"])
        #expect(r.status == 0, "\(r.output)")
        #expect(r.output.isEmpty, "\(r.output)")
        // (A mistake is found: the check is not vacuous.)
        try (unit + "\nBogusKey=1\n").replacingOccurrences(of: "/usr/local/bin/form-dns", with: Harness.formDNSBinary)
            .write(toFile: dir + "/form-dns.service", atomically: true, encoding: .utf8)
        let bad = try Harness.run(try Harness.which("systemd-analyze"), ["verify", dir + "/form-dns.service"])
        #expect(bad.output.contains("BogusKey"), "\(bad.output)")
    }

    @Test func theExampleConfigurationIsAccepted() throws {
        let dir = Harness.tempDirectory()
        let text = try String(contentsOfFile: Harness.packageRoot + "/Deploy/form-dns.yaml", encoding: .utf8)
        try text.replacingOccurrences(of: "/etc/form-dns/", with: dir + "/")
            .replacingOccurrences(of: "/var/lib/form-dns", with: dir + "/state")
            .write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        try """
        $ORIGIN formation.example.
        $TTL 300
        @ SOA ns1 hostmaster 1 3600 600 1209600 60
        @ NS ns1
        ns1 A 192.0.2.53

        """.write(toFile: dir + "/formation.example.zone", atomically: true, encoding: .utf8)
        try "example-token-0123456789abcdef".write(toFile: dir + "/api-token", atomically: true, encoding: .utf8)
        try "secret".write(toFile: dir + "/pg-password", atomically: true, encoding: .utf8)
        let pki = try Harness.run(Harness.formDNSBinary, ["pki", "init", "--dir", dir + "/pki"])
        #expect(pki.status == 0, "\(pki.output)")
        let issue = try Harness.run(
            Harness.formDNSBinary,
            ["pki", "issue", "--dir", dir + "/pki", "--out", dir + "/api", "--ip", "10.0.0.11"])
        #expect(issue.status == 0, "\(issue.output)")
        let check = try Harness.run(Harness.formDNSBinary, ["check", "--config", dir + "/form-dns.yaml"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("ok"), "\(check.output)")
    }
}
