import DNSWire
import DNSZone
import GeoIP
import Yams
#if canImport(Glibc)
import Glibc
#endif

/// Collects `file:line: field: message` errors while reading YAML nodes.
struct YAMLReader {
    let file: String
    var errors: [ConfigError] = []

    mutating func fail(_ node: Node?, _ field: String, _ message: String) {
        errors.append(ConfigError(file: file, line: node?.mark?.line ?? 0, field: field, message: message))
    }

    mutating func double(_ node: Node, _ field: String, _ range: ClosedRange<Double>) -> Double? {
        guard let v = node.float ?? node.int.map(Double.init), range.contains(v) else {
            fail(node, field, "'\(node.string ?? "?")' must be a number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    mutating func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>) -> Int? {
        guard let v = node.int, range.contains(v) else {
            fail(
                node, field,
                "'\(node.string ?? "?")' must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    mutating func string(_ node: Node, _ field: String) -> String? {
        guard node.scalar != nil, let s = node.string, !s.isEmpty else {
            fail(node, field, "must be a non-empty string")
            return nil
        }
        return s
    }

    mutating func bool(_ node: Node, _ field: String) -> Bool? {
        guard let b = node.bool else {
            fail(node, field, "must be true or false")
            return nil
        }
        return b
    }

    mutating func list(_ node: Node, _ field: String) -> [Node] {
        if let seq = node.sequence { return Array(seq) }
        fail(node, field, "must be a list")
        return []
    }
}

/// Location fields shared by pool nodes, network map entries and default locations.
struct LocationFields {
    var present: Set<String> = []
    var latitude: Double?
    var longitude: Double?
    var country: String?
    var continent: String?
    var region: String?
    var city: String?

    /// Consumes `key` if it is a location field; returns false if it is not one.
    mutating func read(_ key: String, _ value: Node, field: String, reader: inout YAMLReader) -> Bool {
        present.insert(key)
        switch key {
        case "latitude": latitude = reader.double(value, field, -90...90)
        case "longitude": longitude = reader.double(value, field, -180...180)
        case "country":
            guard let c = reader.string(value, field) else { return true }
            guard c.count == 2, c.allSatisfy({ $0.isASCII && $0.isLetter }) else {
                reader.fail(value, field, "'\(c)' must be an ISO 3166-1 alpha-2 code like GB")
                return true
            }
            country = c.uppercased()
        case "continent": continent = reader.string(value, field)?.uppercased()
        case "region": region = reader.string(value, field)
        case "city": city = reader.string(value, field)
        default: return false
        }
        return true
    }

    func location(node: Node, field: String, reader: inout YAMLReader) -> GeoLocation? {
        guard let latitude, let longitude else {
            // A value that was given but invalid has been reported already.
            if !present.contains("latitude") { reader.fail(node, "\(field).latitude", "is required") }
            if !present.contains("longitude") { reader.fail(node, "\(field).longitude", "is required") }
            return nil
        }
        return GeoLocation(
            latitude: latitude, longitude: longitude, country: country, region: region ?? continent, city: city)
    }
}

/// GeoIP sources and pools as configured (paths resolved, not yet loaded).
public struct GeoConfig: Sendable {
    public var databases: [(path: String, line: Int)] = []
    public var networkMaps: [(path: String, line: Int)] = []
    /// Whether a database record without `country` places the client by `registered_country` (where
    /// the network is registered, which need not be where the client is). On by default.
    public var useRegisteredCountry = true
    public var pools: [GeoPool] = []
    public var poolLines: [Int] = []

    public init() {}

    static func parseGeoIP(_ node: Node, directory: String, into config: inout GeoConfig, reader: inout YAMLReader) {
        guard let m = node.mapping else {
            reader.fail(node, "geoip", "must be a mapping")
            return
        }
        for (k, v) in m {
            let key = k.string ?? "?"
            switch key {
            case "databases", "network_maps":
                for (i, item) in reader.list(v, "geoip.\(key)").enumerated() {
                    guard let p = reader.string(item, "geoip.\(key)[\(i)]") else { continue }
                    let path = p.hasPrefix("/") ? p : directory + p
                    if key == "databases" {
                        config.databases.append((path, item.mark?.line ?? 0))
                    } else {
                        config.networkMaps.append((path, item.mark?.line ?? 0))
                    }
                }
            case "registered_country":
                config.useRegisteredCountry = reader.bool(v, "geoip.registered_country") ?? config.useRegisteredCountry
            default:
                reader.fail(k, "geoip.\(key)", "unknown setting (expected databases, network_maps, registered_country)")
            }
        }
    }

    static func parsePools(
        _ node: Node, directory: String = "", into config: inout GeoConfig,
        reader: inout YAMLReader
    ) {
        for (index, item) in reader.list(node, "pools").enumerated() {
            let field = "pools[\(index)]"
            guard let m = item.mapping else {
                reader.fail(item, field, "must be a mapping")
                continue
            }
            var name: String? = nil
            var names: [DNSName] = []
            var nodes: [PoolNode] = []
            var policy = SelectionPolicy()
            var ttl: UInt32 = 30
            var ecs = true
            var trusted: [IPNetwork] = []
            var health: PoolHealthConfig? = nil
            for (k, v) in m {
                let key = k.string ?? "?"
                let f = "\(field).\(key)"
                switch key {
                case "name": name = reader.string(v, f)
                case "names":
                    for (i, n) in reader.list(v, f).enumerated() {
                        do { names.append(try DNSName(parsing: n.string ?? "", origin: .root)) } catch {
                            reader.fail(n, "\(f)[\(i)]", "\(error)")
                        }
                    }
                case "ttl": if let t = reader.int(v, f, 0...86400) { ttl = UInt32(t) }
                case "ecs": if let b = reader.bool(v, f) { ecs = b }
                case "trusted_resolvers":
                    for (i, n) in reader.list(v, f).enumerated() {
                        guard let net = IPNetwork(n.string ?? "") else {
                            reader.fail(n, "\(f)[\(i)]", "'\(n.string ?? "?")' is not a network like 192.0.2.0/24")
                            continue
                        }
                        trusted.append(net)
                    }
                case "policy": parsePolicy(v, field: f, into: &policy, reader: &reader)
                case "health": health = parseHealth(v, field: f, directory: directory, reader: &reader)
                case "nodes":
                    for (i, n) in reader.list(v, f).enumerated() {
                        if let node = parseNode(n, field: "\(f)[\(i)]", reader: &reader) {
                            if nodes.contains(where: { $0.id == node.id }) {
                                reader.fail(n, "\(f)[\(i)].id", "node id '\(node.id)' is used twice in this pool")
                            }
                            nodes.append(node)
                        }
                    }
                default:
                    reader.fail(
                        k, f,
                        "unknown setting (expected name, names, ttl, ecs, trusted_resolvers, policy, health, nodes)")
                }
            }
            if names.isEmpty { reader.fail(item, "\(field).names", "at least one name is required") }
            if nodes.isEmpty { reader.fail(item, "\(field).nodes", "at least one node is required") }
            if case .region(let r)? = policy.defaultLocation, !nodes.contains(where: { $0.location.region == r }) {
                reader.fail(item, "\(field).policy.default_region", "no node of this pool is in region '\(r)'")
            }
            var pool = GeoPool(
                name: name ?? names.first?.description ?? "pool\(index)", names: names, nodes: nodes,
                policy: policy, ttl: ttl, ecsEnabled: ecs, trustedResolvers: trusted)
            pool.health = health
            config.pools.append(pool)
            config.poolLines.append(item.mark?.line ?? 0)
        }
    }

    static func parseHealth(_ node: Node, field: String, directory: String, reader: inout YAMLReader)
        -> PoolHealthConfig?
    {
        guard let m = node.mapping else {
            reader.fail(node, field, "must be a mapping")
            return nil
        }
        var h = PoolHealthConfig()
        for (k, v) in m {
            let key = k.string ?? "?"
            let f = "\(field).\(key)"
            switch key {
            case "check":
                guard let c = PoolHealthConfig.Check(rawValue: v.string ?? "") else {
                    reader.fail(v, f, "must be tcp, http, https, dns or none")
                    continue
                }
                h.check = c
            case "port": if let p = reader.int(v, f, 1...65535) { h.port = UInt16(p) }
            case "path": h.path = reader.string(v, f) ?? h.path
            case "expect_status": h.expectStatus = reader.int(v, f, 100...599)
            case "tls_verify": h.tlsVerify = reader.bool(v, f) ?? h.tlsVerify
            case "tls_ca_file":
                guard let path = reader.string(v, f) else { continue }
                let full = path.hasPrefix("/") ? path : directory + path
                // Checked here, so a typo is a config error and not a check that never runs.
                guard let file = fopen(full, "r") else {
                    reader.fail(v, f, "cannot read \(full): \(String(cString: strerror(errno)))")
                    continue
                }
                fclose(file)
                h.tlsCAFile = full
            case "tls_server_name": h.tlsServerName = reader.string(v, f)
            case "query":
                do { h.query = try DNSName(parsing: v.string ?? "", origin: .root) } catch {
                    reader.fail(v, f, "\(error)")
                }
            case "interval_ms": h.intervalMs = reader.int(v, f, 50...3_600_000) ?? h.intervalMs
            case "timeout_ms": h.timeoutMs = reader.int(v, f, 10...60_000) ?? h.timeoutMs
            case "rise": h.policy.rise = reader.int(v, f, 1...100) ?? h.policy.rise
            case "fall": h.policy.fall = reader.int(v, f, 1...100) ?? h.policy.fall
            case "unknown":
                switch v.string {
                case "healthy": h.policy.unknownAs = .healthy
                case "unhealthy": h.policy.unknownAs = .unhealthy
                default: reader.fail(v, f, "must be healthy or unhealthy")
                }
            case "push":
                guard let pm = v.mapping else {
                    reader.fail(v, f, "must be a mapping with stale_after_s and rules")
                    continue
                }
                for (pk, pv) in pm {
                    let pf = "\(f).\(pk.string ?? "?")"
                    switch pk.string {
                    case "stale_after_s": h.push.staleAfter = reader.double(pv, pf, 1...86400) ?? h.push.staleAfter
                    case "rules":
                        for (ri, rn) in reader.list(pv, pf).enumerated() {
                            let rf = "\(pf)[\(ri)]"
                            guard let rm = rn.mapping, let metric = rm["metric"]?.string, let aboveNode = rm["above"],
                                let above = reader.double(aboveNode, "\(rf).above", -1e12...1e12)
                            else {
                                reader.fail(rn, rf, "needs metric and above (and optional for_s, state)")
                                continue
                            }
                            guard MetricName.isValid(metric) else {
                                reader.fail(rn, "\(rf).metric", MetricName.rule)
                                continue
                            }
                            let forS = rm["for_s"].flatMap { reader.double($0, "\(rf).for_s", 0...86400) } ?? 0
                            let state: HealthState
                            switch rm["state"]?.string ?? "degraded" {
                            case "degraded": state = .degraded
                            case "unhealthy": state = .unhealthy
                            default:
                                reader.fail(rn, "\(rf).state", "must be degraded or unhealthy")
                                continue
                            }
                            h.push.rules.append(
                                ThresholdRule(metric: metric, above: above, forSeconds: forS, state: state))
                        }
                    default: reader.fail(pk, pf, "unknown setting (expected stale_after_s, rules)")
                    }
                }
            case "degraded_ttl": if let t = reader.int(v, f, 0...86400) { h.degradedTTL = UInt32(t) }
            case "min_ttl": if let t = reader.int(v, f, 0...86400) { h.minimumTTL = UInt32(t) }
            default:
                reader.fail(
                    k, f,
                    "unknown setting (expected check, port, path, expect_status, tls_verify, tls_ca_file, "
                        + "tls_server_name, query, interval_ms, timeout_ms, rise, fall, unknown, push, "
                        + "degraded_ttl, min_ttl)")
            }
        }
        if h.timeoutMs >= h.intervalMs { reader.fail(node, "\(field).timeout_ms", "must be shorter than interval_ms") }
        return h
    }

    static func parsePolicy(_ node: Node, field: String, into policy: inout SelectionPolicy, reader: inout YAMLReader) {
        guard let m = node.mapping else {
            reader.fail(node, field, "must be a mapping")
            return
        }
        var strategyName = "linear"
        var strategyNode: Node? = nil
        var steps: [Double] = []
        var stepsNode: Node? = nil
        for (k, v) in m {
            let key = k.string ?? "?"
            let f = "\(field).\(key)"
            switch key {
            case "strategy":
                strategyName = reader.string(v, f) ?? strategyName
                strategyNode = v
            case "steps_km":
                stepsNode = v
                steps = reader.list(v, f).enumerated().compactMap { reader.double($1, "\(f)[\($0)]", 0...40_075) }
            case "country_bias": policy.countryBias = reader.double(v, f, 0.001...1000) ?? 1
            case "region_bias": policy.regionBias = reader.double(v, f, 0.001...1000) ?? 1
            case "max_answers": policy.maxAnswers = reader.int(v, f, 1...64) ?? policy.maxAnswers
            case "degraded_penalty":
                policy.degradedPenalty = reader.double(v, f, 1...1_000_000) ?? policy.degradedPenalty
            case "fail_open": policy.failOpen = reader.bool(v, f) ?? policy.failOpen
            case "region_spill_threshold":
                policy.regionSpillThreshold = reader.double(v, f, 0...1) ?? policy.regionSpillThreshold
            case "spill_penalty": policy.spillPenalty = reader.double(v, f, 1...1e12) ?? policy.spillPenalty
            case "default_region": if let r = reader.string(v, f) { policy.defaultLocation = .region(r) }
            case "default_location":
                guard let dm = v.mapping else {
                    reader.fail(v, f, "must be a mapping with latitude and longitude")
                    continue
                }
                var fields = LocationFields()
                for (dk, dv) in dm
                where !fields.read(dk.string ?? "?", dv, field: "\(f).\(dk.string ?? "?")", reader: &reader) {
                    reader.fail(dk, "\(f).\(dk.string ?? "?")", "unknown setting")
                }
                if let l = fields.location(node: v, field: f, reader: &reader) {
                    policy.defaultLocation = .coordinate(l)
                }
            default:
                reader.fail(
                    k, f,
                    "unknown setting (expected strategy, steps_km, country_bias, region_bias, max_answers, "
                        + "degraded_penalty, fail_open, region_spill_threshold, spill_penalty, default_location, "
                        + "default_region)"
                )
            }
        }
        switch strategyName {
        case "linear": policy.strategy = .linear
        case "quadratic": policy.strategy = .quadratic
        case "logarithmic": policy.strategy = .logarithmic
        case "stepped":
            guard !steps.isEmpty, zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else {
                reader.fail(
                    stepsNode ?? node, "\(field).steps_km",
                    "stepped needs steps_km: an ascending list of band limits in km")
                return
            }
            policy.strategy = .stepped(bandsKm: steps)
        default:
            reader.fail(
                strategyNode ?? node, "\(field).strategy",
                "'\(strategyName)' is not one of linear, quadratic, logarithmic, stepped")
        }
    }

    static func parseNode(_ node: Node, field: String, reader: inout YAMLReader) -> PoolNode? {
        guard let m = node.mapping else {
            reader.fail(node, field, "must be a mapping")
            return nil
        }
        var id: String? = nil
        var v4: [UInt8]? = nil
        var v6: [UInt8]? = nil
        var weight = 1.0
        var enabled = true
        var fields = LocationFields()
        for (k, v) in m {
            let key = k.string ?? "?"
            let f = "\(field).\(key)"
            if fields.read(key, v, field: f, reader: &reader) { continue }
            switch key {
            case "id": id = reader.string(v, f)
            case "ipv4":
                guard let a = IPAddressText.parseIPv4(v.string ?? "") else {
                    reader.fail(v, f, "'\(v.string ?? "?")' is not an IPv4 address")
                    continue
                }
                v4 = a
            case "ipv6":
                guard let a = IPAddressText.parseIPv6(v.string ?? "") else {
                    reader.fail(v, f, "'\(v.string ?? "?")' is not an IPv6 address")
                    continue
                }
                v6 = a
            case "weight": weight = reader.double(v, f, 0.001...1_000_000) ?? 1
            case "enabled": enabled = reader.bool(v, f) ?? true
            default: reader.fail(k, f, "unknown setting")
            }
        }
        if id == nil { reader.fail(node, "\(field).id", "is required") }
        if v4 == nil && v6 == nil { reader.fail(node, field, "needs ipv4 and/or ipv6") }
        guard let id, let location = fields.location(node: node, field: field, reader: &reader) else { return nil }
        return PoolNode(id: id, ipv4: v4, ipv6: v6, location: location, weight: weight, enabled: enabled)
    }
}

/// A list of networks with locations: the input of `form-dns geo compile` and of network maps.
/// YAML (`networks:` list of {network, latitude, longitude, country, continent, region, city}) or
/// CSV with the header `network,latitude,longitude,country,continent,region,city`.
public struct NetworkMapFile: Sendable {
    public struct Row: Sendable {
        public var network: IPNetwork
        public var location: GeoLocation
        public var continent: String?
    }

    public var rows: [Row] = []
    public var databaseType = "Formation-Network-Map"
    public var description = "formation-anycast network map"
    public var buildEpoch: UInt64? = nil
    /// 6 (default): IPv4 and IPv6 in one tree; 4: an IPv4-only database.
    public var ipVersion = 6

    public static func load(path: String) throws(ConfigErrors) -> NetworkMapFile {
        let text: String
        do { text = try ZoneFileParser.readFromDisk(path) } catch {
            throw ConfigErrors([ConfigError(file: path, line: 0, field: "", message: "cannot read: \(error)")])
        }
        return path.lowercased().hasSuffix(".csv") ? try parseCSV(text, file: path) : try parseYAML(text, file: path)
    }

    public static func parseYAML(_ text: String, file: String) throws(ConfigErrors) -> NetworkMapFile {
        var reader = YAMLReader(file: file)
        var out = NetworkMapFile()
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "", message: "invalid YAML: \(error)")])
        }
        guard let root, let m = root.mapping else {
            throw ConfigErrors([
                ConfigError(file: file, line: 1, field: "", message: "must be a mapping with a networks list")
            ])
        }
        for (k, v) in m {
            switch k.string {
            case "database_type": out.databaseType = reader.string(v, "database_type") ?? out.databaseType
            case "description": out.description = reader.string(v, "description") ?? out.description
            case "build_epoch": out.buildEpoch = reader.int(v, "build_epoch", 0...253_402_300_799).map(UInt64.init)
            case "ip_version":
                guard let n = v.int, n == 4 || n == 6 else {
                    reader.fail(v, "ip_version", "must be 4 or 6")
                    continue
                }
                out.ipVersion = n
            case "networks":
                for (i, item) in reader.list(v, "networks").enumerated() {
                    let field = "networks[\(i)]"
                    guard let im = item.mapping else {
                        reader.fail(item, field, "must be a mapping")
                        continue
                    }
                    var network: IPNetwork? = nil
                    var fields = LocationFields()
                    for (ik, iv) in im {
                        let key = ik.string ?? "?"
                        if fields.read(key, iv, field: "\(field).\(key)", reader: &reader) { continue }
                        if key == "network" {
                            network = IPNetwork(iv.string ?? "")
                            if network == nil {
                                reader.fail(
                                    iv, "\(field).network",
                                    "'\(iv.string ?? "?")' is not a network like 10.0.0.0/8 (host bits must be zero)")
                            }
                        } else {
                            reader.fail(ik, "\(field).\(key)", "unknown setting")
                        }
                    }
                    if im["network"] == nil { reader.fail(item, "\(field).network", "is required") }
                    if let network, !network.address.isIPv4, out.ipVersion == 4 {
                        reader.fail(item, "\(field).network", "\(network) is IPv6 but ip_version is 4")
                    } else if let network, let loc = fields.location(node: item, field: field, reader: &reader) {
                        out.rows.append(Row(network: network, location: loc, continent: fields.continent))
                    }
                }
            default:
                reader.fail(
                    k, k.string ?? "?",
                    "unknown setting (expected database_type, description, build_epoch, ip_version, networks)")
            }
        }
        if !reader.errors.isEmpty { throw ConfigErrors(reader.errors) }
        return out
    }

    public static func parseCSV(_ text: String, file: String) throws(ConfigErrors) -> NetworkMapFile {
        var errors: [ConfigError] = []
        var out = NetworkMapFile()
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
            $0.hasSuffix("\r") ? $0.dropLast() : $0
        }
        let expected = ["network", "latitude", "longitude", "country", "continent", "region", "city"]
        guard let header = lines.first,
            header.split(separator: ",", omittingEmptySubsequences: false).map({
                $0.trimmingCharacters(in: .whitespaces)
            }) == expected
        else {
            throw ConfigErrors([
                ConfigError(
                    file: file, line: 1, field: "", message: "header must be \(expected.joined(separator: ","))")
            ])
        }
        for (i, line) in lines.enumerated().dropFirst()
        where !line.trimmingCharacters(in: .whitespaces).isEmpty && !line.hasPrefix("#") {
            let cols = line.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            func fail(_ f: String, _ m: String) {
                errors.append(ConfigError(file: file, line: i + 1, field: f, message: m))
            }
            guard cols.count == expected.count else {
                fail("", "expected \(expected.count) columns, got \(cols.count)")
                continue
            }
            guard let network = IPNetwork(cols[0]) else {
                fail("network", "'\(cols[0])' is not a network like 10.0.0.0/8")
                continue
            }
            guard let lat = Double(cols[1]), (-90...90).contains(lat) else {
                fail("latitude", "'\(cols[1])' must be in -90...90")
                continue
            }
            guard let lon = Double(cols[2]), (-180...180).contains(lon) else {
                fail("longitude", "'\(cols[2])' must be in -180...180")
                continue
            }
            func opt(_ s: String) -> String? { s.isEmpty ? nil : s }
            let loc = GeoLocation(
                latitude: lat, longitude: lon, country: opt(cols[3])?.uppercased(),
                region: opt(cols[5]) ?? opt(cols[4])?.uppercased(), city: opt(cols[6]))
            out.rows.append(Row(network: network, location: loc, continent: opt(cols[4])?.uppercased()))
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return out
    }

    /// Compiles the rows into a MaxMind DB v2 file.
    public func mmdb(buildEpoch fallback: UInt64) -> [UInt8] {
        var w = MMDBWriter(
            databaseType: databaseType, description: description, buildEpoch: buildEpoch ?? fallback,
            ipVersion: ipVersion)
        for r in rows { w.insert(r.network, MMDBValue(location: r.location, continent: r.continent)) }
        return w.serialize()
    }
}
