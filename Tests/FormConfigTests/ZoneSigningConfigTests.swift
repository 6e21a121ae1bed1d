import DNSSEC
import DNSWire
import FormAuthority
import FormConfig
import Foundation
import TestFixtures
import Testing

/// `zones[].dnssec`: keys read from (or made in) state_dir/keys, the DNSKEY RRset published at the
/// apex, and each mistake reported with its file, line and field.
@Suite struct ZoneSigningConfigTests {
    static func config(_ dnssec: String, stateDir: String?, zoneText: String? = nil) -> String {
        let zone =
            zoneText.map { "    content: |\n" + $0.split(separator: "\n").map { "      " + $0 }.joined(separator: "\n") }
            ?? "    file: \(FixturePaths.demoZone)"
        return """
            zones:
              - origin: formation.test
            \(zone)
                dnssec: \(dnssec)
            """ + (stateDir.map { "\nstate_dir: \($0)\n" } ?? "\n")
    }

    static func tempDirectory() -> String {
        let dir = NSTemporaryDirectory() + "zone-signing-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func aSignedZonePublishesItsKeysAndMakesOneOnlyWhenAsked() throws {
        let state = Self.tempDirectory()
        let c = try ServerConfig.parse(yaml: Self.config("{algorithm: ED25519}", stateDir: state), file: "f.yaml")
        #expect(c.zones[0].dnssec?.algorithm == .ed25519)
        // `check` (and tests) sign with a throwaway key and write nothing.
        let checked = try AuthorityLoader.build(c)
        #expect(checked.signer?.isSigned(zone: 0) == true)
        #expect((try? FileManager.default.contentsOfDirectory(atPath: state + "/keys")) == nil)
        // `serve` makes a CSK once, keeps it, and publishes it.
        let served = try AuthorityLoader.build(c, signing: .init(createMissingKeys: true))
        let keys = try ZoneKeyStore.keys(zone: "formation.test.", folder: state + "/keys")
        #expect(keys.count == 1 && keys[0].key.algorithm == .ed25519 && keys[0].key.flags == 257)
        let apex = try #require(served.engine.zones.first?.nodes["formation.test."]?[.dnskey])
        #expect(apex.records == [.dnskey(keys[0].key.dnskey)])
        _ = try AuthorityLoader.build(c, signing: .init(createMissingKeys: true))
        #expect(try ZoneKeyStore.keys(zone: "formation.test.", folder: state + "/keys").count == 1)
        // A KSK and a ZSK: the KSK signs the DNSKEY RRset, the ZSK the rest; both published.
        _ = try ZoneKeyStore.generate(
            zone: "formation.test.", algorithm: .ed25519, flags: 256, folder: state + "/keys")
        let pair = try AuthorityLoader.build(c)
        let signer = try #require(pair.signer?.zones[0])
        #expect(signer.published.count == 2)
        #expect(signer.keySigning.map(\.flags) == [257] && signer.zoneSigning.map(\.flags) == [256])
    }

    @Test func mistakesNameTheirFileLineAndField() throws {
        func errors(_ yaml: String) -> [String] {
            do {
                _ = try AuthorityLoader.build(try ServerConfig.parse(yaml: yaml, file: "f.yaml"))
                return []
            } catch {
                return error.errors.map(\.description)
            }
        }
        #expect(errors(Self.config("{}", stateDir: nil)) == ["f.yaml:2: zones[0].dnssec: needs state_dir (the zone's keys are kept in its keys/)"])
        let state = Self.tempDirectory()
        #expect(errors(Self.config("{algorithm: RSASHA256}", stateDir: state)) == [
            "f.yaml:4: zones[0].dnssec.algorithm: 'RSASHA256' is not one of ECDSAP256SHA256, ED25519"
        ])
        #expect(errors(Self.config("{signature_lifetime: 86400, signature_refresh: 86400}", stateDir: state)) == [
            "f.yaml:4: zones[0].dnssec.signature_refresh: must be at most half of signature_lifetime"
        ])
        let presigned = """
            $ORIGIN formation.test.
            @ 300 IN SOA ns1 hostmaster 1 3600 600 1209600 60
            @ 300 IN NS ns1
            ns1 300 IN A 127.0.0.1
            @ 300 IN DNSKEY 257 3 13 AAAA
            """
        let held = errors(Self.config("{}", stateDir: state, zoneText: presigned))
        #expect(held.count == 1 && held[0].contains("zones[0].dnssec: zone formation.test. holds DNSKEY records"), "\(held)")
        // A damaged key file: its path and what is wrong; nothing else is built.
        try FileManager.default.createDirectory(atPath: state + "/keys", withIntermediateDirectories: true)
        try "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: ???\n"
            .write(toFile: state + "/keys/Kformation.test.+013+00001.private", atomically: true, encoding: .utf8)
        try "formation.test. IN DNSKEY 257 3 13 AAAA\n"
            .write(toFile: state + "/keys/Kformation.test.+013+00001.key", atomically: true, encoding: .utf8)
        let broken = errors(Self.config("{}", stateDir: state))
        #expect(broken.count == 1 && broken[0].contains("Kformation.test.+013+00001.private"), "\(broken)")
    }
}
