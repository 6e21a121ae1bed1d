import DNSWire
import FormAuthority
import TestFixtures
import Testing

@testable import FormConfig

/// The schema reads any document, not only a file; its rules involve more than one key; its
/// defaults are the engine's.
@Suite struct ConfigSchemaTests {
    static let zones = "zones: [{origin: formation.test, file: \(FixturePaths.demoZone)}]"

    /// An API request body is JSON: it is checked by the same schema, with the same messages.
    @Test func aJSONDocumentIsCheckedByTheSameSchema() throws {
        let body = """
            {"zones": [{"origin": "formation.test", "file": "\(FixturePaths.demoZone)"}],
             "server": {"workers": 99, "udp_payload_size": 1400},
             "pools": [{"names": ["entry.formation.test"],
                        "nodes": [{"id": "a", "ipv4": "127.0.0.1", "latitude": 1, "longitude": 2, "colour": "red"}]}]}
            """
        do {
            _ = try ServerConfig.parse(ConfigDocument(parsing: body, source: "request body"))
            Issue.record("accepted")
        } catch {
            let lines = error.errors.map(\.description)
            #expect(lines.contains("request body:2: server.workers: '99' must be a whole number in 1...64"), "\(lines)")
            #expect(lines.contains { $0.hasPrefix("request body:4: pools[0].nodes[0].colour: unknown setting (expected id,") })
            #expect(lines.count == 2)
        }
        let good = body.replacingOccurrences(of: "99", with: "3").replacingOccurrences(of: ", \"colour\": \"red\"", with: "")
        let config = try ServerConfig.parse(ConfigDocument(parsing: good, source: "request body"))
        #expect(config.workers == 3 && config.udpPayloadSize == 1400 && config.geo.pools[0].nodes[0].id == "a")
    }

    /// A YAML 1.1 base-60 integer too large for an Int is an error with its line, not a crash
    /// (Yams multiplies them out unchecked; the config fuzzer found one that trapped). A small one
    /// still reads as YAML 1.1 says.
    @Test func aHugeBase60IntegerIsAnErrorNotACrash() throws {
        let huge = "+7773833333333333333:-333333333333333:-33777725"
        do {
            _ = try ServerConfig.parse(ConfigDocument(parsing: "\(Self.zones)\nserver: {workers: \(huge)}", source: "c"))
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.description) == ["c:2: server.workers: '\(huge)' must be a whole number in 1...64"])
        }
        let small = try ServerConfig.parse(
            ConfigDocument(parsing: "\(Self.zones)\nserver: {tcp_idle_timeout_ms: 1:40:00}", source: "c"))
        #expect(small.tcpIdleTimeoutMilliseconds == 6_000)
        #expect(ConfigDocument.sexagesimal("1:30") == 90 && ConfigDocument.sexagesimal("-2:00:01") == -7201)
        #expect(ConfigDocument.sexagesimal("999999999999999999:1") == nil)
        #expect(ConfigDocument.sexagesimal("01:30") == nil && ConfigDocument.sexagesimal("1::3") == nil)
        #expect(ConfigDocument.sexagesimal("153722867280912930:8") == nil)   // fits as digits, not as 60·a + 8
        // Writing such text back out (a stored version) asks the same question of it.
        let text = ConfigNode(.scalar(ConfigScalar(text: "7773833333333333333:333333333333333:3")), line: 1)
        let written = ConfigNode(.mapping([ConfigEntry(key: "id", keyLine: 1, value: text)]), line: 1).yaml
        let reread = try ConfigDocument(parsing: written, source: "w").root
        #expect(reread.yaml == written, "\(written)")
    }

    /// Errors come in file order, whatever order the schema reads keys in.
    @Test func errorsAreInFileOrder() {
        let yaml = """
            \(Self.zones)
            server: {tcp_max_connections: 0}
            listen: nowhere
            management: {listen: x}
            """
        do {
            _ = try ServerConfig.parse(yaml: yaml, file: "o.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.line) == [2, 3, 4])
        }
    }

    @Test func stepsBelongToTheSteppedStrategy() {
        func problems(_ policy: String) -> [String] {
            let yaml = """
                \(Self.zones)
                pools:
                  - names: [entry.formation.test]
                    policy: \(policy)
                    nodes: [{id: a, ipv4: 127.0.0.1, latitude: 1, longitude: 2}]
                """
            do {
                _ = try ServerConfig.parse(yaml: yaml, file: "s.yaml")
                return []
            } catch { return error.errors.map(\.description) }
        }
        #expect(problems("{steps_km: [100, 500], strategy: stepped}") == [], "order in the file does not matter")
        #expect(problems("{strategy: stepped}") == [
            "s.yaml:4: pools[0].policy.steps_km: stepped needs steps_km: an ascending list of band limits in km"
        ])
        #expect(problems("{strategy: stepped, steps_km: [500, 100]}").count == 1)
        #expect(problems("{steps_km: [100]}") == ["s.yaml:4: pools[0].policy.steps_km: is only read with strategy: stepped"])
        #expect(problems("{default_region: eu, default_location: {latitude: 1, longitude: 2}}").contains(
            "s.yaml:4: pools[0].policy.default_location: give default_location or default_region, not both"))
    }

    /// Defaults live in the engine's types; the schema starts from them.
    @Test func defaultsAreTheEngineTypesDefaults() throws {
        let yaml = """
            \(Self.zones)
            pools:
              - names: [entry.formation.test]
                health: {check: tcp}
                nodes: [{id: a, ipv6: "::1", latitude: 1, longitude: 2, continent: eu}]
            """
        let config = try ServerConfig.parse(yaml: yaml, file: "d.yaml")
        let pool = config.geo.pools[0]
        let reference = GeoPool(name: "x", names: [], nodes: [])
        #expect(pool.name == "entry.formation.test.")
        #expect(pool.ttl == reference.ttl && pool.policy == SelectionPolicy() && pool.health == PoolHealthConfig())
        #expect(pool.nodes[0].location.region == "EU" && pool.nodes[0].weight == 1 && pool.nodes[0].enabled)
        #expect(config.geo.poolLines == [3])
    }

    /// A restart-only key is one the schema marks so; reload-applied keys are not reported.
    @Test func restartOnlyKeysComeFromTheSchema() throws {
        let running = try ServerConfig.parse(yaml: Self.zones, file: "r.yaml")
        var next = running
        next.udpPayloadSize = 1400
        next.geo.useRegisteredCountry = false
        #expect(next.restartOnlyChanges(from: running) == [])
        next.tcpMessageTimeoutMilliseconds = 700
        #expect(next.restartOnlyChanges(from: running) == ["server.tcp_message_timeout_ms"])
    }

    @Test func aRepeatedKeyIsRefusedWithItsLine() {
        do {
            _ = try ServerConfig.parse(yaml: "\(Self.zones)\nserver:\n  workers: 2\n  workers: 3\n", file: "k.yaml")
            Issue.record("accepted")
        } catch {
            #expect(error.description.hasPrefix("k.yaml:3: invalid YAML: a key is given twice: workers"), "\(error)")
        }
    }

    /// A CSV network map row is a document too: the YAML entry's rules and messages apply.
    @Test func csvRowsAreCheckedLikeYAMLEntries() {
        let csv = "network,latitude,longitude,country,continent,region,city\n10.0.0.0/8,91,2,GBR,,,\n"
        do {
            _ = try NetworkMapFile.parseCSV(csv, file: "m.csv")
            Issue.record("accepted")
        } catch {
            #expect(error.errors.map(\.description) == [
                "m.csv:2: latitude: '91' must be a number in -90.0...90.0",
                "m.csv:2: country: 'GBR' must be an ISO 3166-1 alpha-2 code like GB",
            ])
        }
    }
}

@Suite struct DiscoverySchemaTests {
    @Test func discoveryKeysAreCheckedAndNeedTheKey() {
        let key = "Zm9ybWF0aW9uLWdlbmVyYXRlZC1rZXktb25lLTAwMDA="
        func problems(_ node: String) -> [String] {
            let yaml = """
                \(ConfigSchemaTests.zones)
                pools:
                  - names: [gen.formation.test]
                    nodes: [\(node)]
                """
            do {
                _ = try ServerConfig.parse(yaml: yaml, file: "d.yaml")
                return []
            } catch { return error.errors.map(\.description) }
        }
        let base = "id: a, ipv4: 127.0.0.1, latitude: 1, longitude: 2"
        #expect(problems("{\(base), wireguard_key: \"\(key)\", join_port: 51830}") == [])
        #expect(problems("{\(base), wireguard_key: \"c2hvcnQ=\"}") == [
            "d.yaml:4: pools[0].nodes[0].wireguard_key: 'c2hvcnQ=' is not base64 of a 32-octet WireGuard public key"
        ])
        #expect(problems("{\(base), join_port: 51830}") == ["d.yaml:4: pools[0].nodes[0].join_port: needs wireguard_key"])
        #expect(problems("{id: a b, ipv4: 127.0.0.1, latitude: 1, longitude: 2, wireguard_key: \"\(key)\"}").first?
            .contains("cannot be published in a _formnet TXT record") == true)
        #expect(problems("{\(base), wireguard_key: \"\(key)\", internal_endpoint: nowhere}").first?
            .contains("internal_endpoint: 'nowhere' is not an address") == true)
    }
}
