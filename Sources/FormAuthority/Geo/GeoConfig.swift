import DNSWire
import DNSZone
import GeoIP
import Yams
#if canImport(Glibc)
import Glibc
#endif

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
