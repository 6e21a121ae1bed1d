import FormAuthority
import FormConfig
import NetAddress
import TestFixtures
import Testing

/// `fleet`: the shared store and the quorum, read with file, line and field on every mistake; a
/// version stored by another authority never changes this one's own settings.
@Suite struct FleetConfigTests {
    func parse(_ fleet: String, extra: String = "") throws(ConfigErrors) -> ServerConfig {
        try ServerConfig.parse(
            yaml: "zones:\n  - origin: formation.test\n    file: \(FixturePaths.demoZone)\nfleet: \(fleet)\n" + extra,
            file: "t.yaml")
    }

    func errors(_ fleet: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try parse(fleet)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func aFleetIsRead() throws {
        let fleet = try #require(
            try parse(
                "{store: \"postgresql://form@db.example:6432/dns?sslmode=verify-full\", authority: ams-1, quorum: 2, "
                    + "report_interval_s: 2, report_fresh_s: 9, catch_up_s: 3}"
            ).fleet)
        #expect(fleet.store == PostgresLocation(
            host: "db.example", port: 6432, user: "form", password: nil, database: "dns", tls: .verifyFull))
        #expect(fleet.authority == "ams-1")
        #expect(fleet.quorum == .authorities(2))
        #expect((fleet.reportIntervalSeconds, fleet.reportFreshSeconds, fleet.catchUpSeconds) == (2, 9, 3))
        let defaults = try #require(try parse("{store: \"postgres://form@127.0.0.1/dns\"}").fleet)
        #expect(defaults.quorum == .majority)
        #expect(defaults.authority == FleetSettings.hostName)
        #expect(defaults.store?.tls == .prefer)
        #expect(try parse("{store: \"postgres://form@127.0.0.1/dns\"}").fleet != nil)
        #expect(try ServerConfig.parse(yaml: "zones: []", file: "t.yaml").fleet == nil)
    }

    @Test func mistakesAreNamed() {
        #expect(errors("{authority: a}").contains { $0.contains("fleet.store") && $0.contains("required") })
        #expect(errors("{store: \"mysql://u@h/d\"}").contains {
            $0.hasPrefix("t.yaml:4") && $0.contains("fleet.store") && $0.contains("not a postgresql://")
        })
        #expect(errors("{store: \"postgresql://u:hunter2@h/\"}").allSatisfy { !$0.contains("hunter2") })
        #expect(errors("{store: \"postgresql://u@h/d\", quorum: most}").contains {
            $0.contains("fleet.quorum") && $0.contains("1...99")
        })
        #expect(errors("{store: \"postgresql://u@h/d\", report_interval_s: 10, report_fresh_s: 5}").contains {
            $0.contains("fleet.report_fresh_s") && $0.contains("more than report_interval_s")
        })
        #expect(errors("{store: \"postgresql://u@h/d\", colour: blue}").contains { $0.contains("colour") })
    }

    /// Another authority's version keeps this authority's listeners, API, store and name.
    @Test func localSettingsSurviveAnotherAuthoritysVersion() throws {
        let local = try parse(
            "{store: \"postgresql://u@h/d\", authority: ns1}",
            extra: "listen: [\"127.0.0.1:5301\"]\nmanagement: {listen: \"127.0.0.1:8081\"}\n")
        let other = try parse(
            "{store: \"postgresql://u@h/d\", authority: ns2}",
            extra: "listen: [\"127.0.0.1:5302\"]\nmanagement: {listen: \"127.0.0.1:8082\"}\nserver: {udp_payload_size: 1400}\n")
        let serving = other.keepingLocalSettings(of: local)
        #expect(serving.listen == local.listen)
        #expect(serving.managementListen == local.managementListen)
        #expect(serving.fleet?.authority == "ns1")
        #expect(serving.udpPayloadSize == 1400)  // (shared settings are the version's)
    }
}
