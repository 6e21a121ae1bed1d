import FormPKI
import Foundation
import Testing
import X509

@Suite struct CertificateAuthorityTests {
    static func directory() -> String { NSTemporaryDirectory() + "form-pki-\(UUID().uuidString)" }

    @Test func issuesServerAndNodeCertificatesThatChainToTheCA() throws {
        let dir = Self.directory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try CertificateAuthority.create(in: dir, name: "test CA")
        let keyMode = try FileManager.default.attributesOfItem(atPath: dir + "/ca-key.pem")[.posixPermissions] as? Int
        #expect(keyMode == 0o600)
        #expect(throws: PKIError.self) { try CertificateAuthority.create(in: dir, name: "again") }
        let loaded = try CertificateAuthority.load(from: dir)
        #expect(loaded.certificate == ca.certificate)

        let server = try loaded.issue(.server(names: ["api.test"], addresses: [[127, 0, 0, 1]]))
        let certificate = try Certificate(pemEncoded: server.certificate)
        #expect(certificate.issuer == ca.certificate.subject)
        let names = try #require(try certificate.extensions.subjectAlternativeNames)
        #expect(names.contains(.dnsName("api.test")))
        #expect(try certificate.extensions.extendedKeyUsage?.contains(.serverAuth) == true)
        #expect(try certificate.extensions.basicConstraints == .notCertificateAuthority)

        let node = try Certificate(pemEncoded: try loaded.issue(.node(pool: "entry", node: "n1")).certificate)
        #expect(node.subject.description.contains("CN=entry/n1"), "\(node.subject)")
        #expect(try node.extensions.extendedKeyUsage?.contains(.clientAuth) == true)
    }

    @Test func unusableCertificatesAreNamedWithTheirFile() throws {
        let dir = Self.directory()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let ca = try CertificateAuthority.create(in: dir, name: "test CA")
        let expired = try ca.issue(.client(name: "old"), days: -1)
        try PEMFile.write(expired.certificate, to: dir + "/old.pem", mode: 0o644)
        #expect(PEMFile.problem(certificate: dir + "/old.pem")?.contains("old.pem expired on") == true)
        try PEMFile.write("not a certificate", to: dir + "/bad.pem", mode: 0o644)
        #expect(PEMFile.problem(certificate: dir + "/bad.pem")?.contains("bad.pem is not a PEM certificate") == true)
        #expect(PEMFile.problem(certificate: dir + "/missing.pem")?.contains("cannot read") == true)
        #expect(PEMFile.problem(certificate: dir + "/ca.pem") == nil)
    }
}
