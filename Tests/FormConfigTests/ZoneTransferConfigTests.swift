import FormConfig
import NetAddress
import TestFixtures
import Testing

/// `zones[].transfer`: who may copy a zone, read with file, line and field on every mistake.
@Suite struct ZoneTransferConfigTests {
    func parse(_ transfer: String, extra: String = "") throws(ConfigErrors) -> ServerConfig {
        try ServerConfig.parse(
            yaml: "zones:\n  - origin: formation.test\n    file: \(FixturePaths.demoZone)\n    transfer: \(transfer)\n" + extra,
            file: "t.yaml")
    }

    func errors(_ transfer: String, extra: String = "") -> [String] {
        do throws(ConfigErrors) {
            _ = try parse(transfer, extra: extra)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func allowedNetworksAreRead() throws {
        let t = try #require(try parse("{allow: [127.0.0.0/8, \"2001:db8::/32\"]}").zones[0].transfer)
        #expect(t.allows(IPAddress("127.0.0.9")) && t.allows(IPAddress("2001:db8::1")))
        #expect(!t.allows(IPAddress("192.0.2.1")) && !t.allows(nil))
        #expect(try ServerConfig.parse(yaml: "zones: []", file: "t.yaml").zones.isEmpty)
    }

    @Test func mistakesAreNamed() {
        #expect(errors("{allow: [10.0.0.1/8]}") == [
            "t.yaml:4: zones[0].transfer.allow[0]: '10.0.0.1/8' is not a network like 192.0.2.0/24 (host bits must be zero)"
        ])
        #expect(errors("{allow: []}") == ["t.yaml:4: zones[0].transfer.allow: needs at least 1 entry"])
        #expect(errors("{}").first?.contains("zones[0].transfer.allow") == true, "\(errors("{}"))")
        #expect(errors("{alow: [127.0.0.0/8]}").first?.contains("alow: unknown setting") == true)
        let signed = errors("{allow: [127.0.0.0/8]}\n    dnssec: {}", extra: "state_dir: /tmp\n")
        #expect(signed.contains { $0.contains("zones[0].transfer: cannot be combined with dnssec") }, "\(signed)")
    }

    /// TSIG keys: named from update_keys (one with no names may only transfer), alone or with
    /// allow; a key that is not there is named.
    @Test func transferKeysAreUpdateKeys() throws {
        let keys = "update_keys: [{name: xfr, secret: \"c2VjcmV0LXNlY3JldC1zZWNyZXQ=\", names: []}]\n"
        let t = try #require(try parse("{keys: [xfr]}", extra: keys).zones[0].transfer)
        #expect(t.keys.map(\.description) == ["xfr."])
        #expect(t.allow.isEmpty && t.allows(IPAddress("192.0.2.1")))  // (any address, with the key)
        let both = try #require(try parse("{allow: [127.0.0.0/8], keys: [xfr]}", extra: keys).zones[0].transfer)
        #expect(!both.allows(IPAddress("192.0.2.1")) && both.allows(IPAddress("127.0.0.1")))
        #expect(errors("{keys: [nokey]}", extra: keys).contains {
            $0.contains("zones[0].transfer.keys[0]") && $0.contains("no key nokey. in update_keys")
        }, "\(errors("{keys: [nokey]}", extra: keys))")
        #expect(errors("{keys: []}", extra: keys).contains { $0.contains("zones[0].transfer.keys: needs at least 1") })
    }

    @Test func aCatalogListsTheTransferableZones() throws {
        let config = try parse("{allow: [127.0.0.0/8]}", extra: "catalog: {origin: catalog.test, transfer: {allow: [127.0.0.0/8]}}\n")
        #expect(config.catalog?.origin.description == "catalog.test.")
        #expect(config.catalogMembers.map(\.description) == ["formation.test."])
        #expect(config.transferSettings(for: "catalog.test.") != nil)
        #expect(errors("{allow: [127.0.0.0/8]}", extra: "catalog: {origin: formation.test, transfer: {allow: [10.0.0.0/8]}}\n")
            .contains { $0.contains("catalog.origin") && $0.contains("is a zone served here") })
        #expect(errors("{allow: [127.0.0.0/8]}", extra: "catalog: {origin: catalog.test}\n")
            .contains { $0.contains("catalog.transfer") && $0.contains("is required") })
    }
}
