import DNSWire
import FormAuthority
import FormConfig
import TestFixtures
import Testing

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
