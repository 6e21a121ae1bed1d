import DNSWire
import DNSZone
import FormAuthority
import Foundation
import GeoIP

/// Loads every configured zone and builds the engine; all errors are collected, none is fatal alone.
public enum AuthorityLoader {
    public static func loadZones(
        _ config: ServerConfig,
        readFile: @escaping ZoneFileParser.FileReader = ZoneFileParser.readFromDisk
    ) throws(ConfigErrors) -> [Zone] {
        var zones: [Zone] = []
        var errors: [ConfigError] = []
        for z in config.zones {
            do {
                if let text = z.content {
                    // $INCLUDE in inline text still reads files (anchored where the config is).
                    let name = z.textName
                    zones.append(
                        try ParsedZoneTexts.shared.zone(origin: z.origin, text: text, file: name) {
                            () throws(ZoneLoadErrors) in
                            let records = try ParsedZoneTexts.shared.records(origin: z.origin, text: text, file: name) {
                                () throws(ZoneLoadErrors) in
                                try ZoneFileParser(origin: z.origin) { path in path == name ? text : try readFile(path)
                                }
                                .parse(text: text, file: name)
                            }
                            return try Zone(origin: z.origin, records: records, file: name)
                        })
                } else {
                    zones.append(try Zone.load(origin: z.origin, file: z.file, readFile: readFile))
                }
            } catch {
                for e in error.errors {
                    errors.append(ConfigError(file: e.file, line: e.line, field: "", message: e.message))
                }
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return zones
    }

    /// Builds the answer path. Health repositories of `previous` are carried over by pool name, so
    /// a reload does not forget what the checks know. `onCheckedState` hears every change of a
    /// node's checked state (what a store keeps, so a restart is not a cold start).
    public static func build(
        _ config: ServerConfig, previous: ResponseBuilder? = nil,
        onHealthTransition: @escaping @Sendable (String, HealthTransition) -> Void = { _, _ in },
        onCheckedState: @escaping @Sendable (_ pool: String, _ node: String, HealthState) -> Void = { _, _, _ in },
        onDecision: (@Sendable (DecisionRecord) -> Void)? = nil, signing support: SigningSupport = SigningSupport(),
        onRateLimit: (@Sendable (String) -> Void)? = nil
    ) throws(ConfigErrors) -> ResponseBuilder {
        var errors: [ConfigError] = []
        var zones: [Zone] = []
        do { zones = try loadZones(config) } catch { errors += error.errors }
        var geo: GeoContext? = nil
        do { geo = try loadGeo(config, zones: zones) } catch { errors += error.errors }
        if errors.isEmpty {
            do { zones = try publishDiscovery(config, zones: zones) } catch { errors += error.errors }
        }
        var signing: SigningSetup? = nil
        if errors.isEmpty {
            do { signing = try Self.signing(config, zones: &zones, support: support) } catch { errors += error.errors }
        }
        if errors.isEmpty, let catalog = config.catalog {
            // The catalog zone (RFC 9432) of the transferable zones, made here: it is served and
            // transferred like any other, never signed.
            let members = config.catalogMembers
            let previousCatalog = previous?.engine.zones.first { $0.origin == catalog.origin }
            let now = UInt32(truncatingIfNeeded: Int(Date().timeIntervalSince1970))
            let serial = CatalogZone.serial(previous: previousCatalog, members: members, now: now)
            do { zones.append(try CatalogZone.make(origin: catalog.origin, members: members, serial: serial)) } catch {
                errors += error.errors.map {
                    ConfigError(file: $0.file, line: $0.line, field: "catalog", message: $0.message)
                }
            }
        }
        if var g = geo {
            for (i, pool) in g.pools.enumerated() {
                guard let h = pool.health else { continue }
                let old = previous?.geo.flatMap { p in
                    p.pools.firstIndex { $0.name == pool.name }.flatMap { p.health[$0] }
                }
                g.health[i] =
                    old.flatMap { $0.policy == h.policy && $0.push == h.push ? $0 : nil }
                    ?? HealthRepository(
                        policy: h.policy, push: h.push, nodeIDs: pool.nodes.map(\.id),
                        onTransition: { id, t in onHealthTransition("\(pool.name)/\(id)", t) },
                        onCheckedState: { id, state in onCheckedState(pool.name, id, state) })
            }
            if let onDecision, config.decisionLogSampleRate > 0 {
                g.decisionLog = DecisionLog(rate: config.decisionLogSampleRate, sink: onDecision)
            }
            geo = g
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return ResponseBuilder(
            zones: zones, udpPayloadSize: config.udpPayloadSize, geo: geo, signing: signing,
            limits: limits(config, previous: previous?.limits, onRateLimit: onRateLimit), reusing: previous)
    }

    /// Rate limiting and cookies as configured. The previous limiter is kept while its settings
    /// stay (a reload does not forgive a flood); a random cookie secret is kept while no file is
    /// named (a reload does not turn every client's cookie away).
    public static func limits(
        _ config: ServerConfig, previous: QueryLimits?, onRateLimit: (@Sendable (String) -> Void)?
    ) -> QueryLimits {
        var limits = QueryLimits()
        if config.rateLimit.enabled {
            limits.rateLimiter =
                previous?.rateLimiter.flatMap { $0.settings == config.rateLimit ? $0 : nil }
                ?? ResponseRateLimiter(settings: config.rateLimit, log: onRateLimit ?? previous?.rateLimiter?.log)
        }
        if config.cookies.enabled {
            if let current = config.cookies.secrets.first {
                limits.cookies = ServerCookies(current: current, previous: config.cookies.secrets.dropFirst().first)
                limits.cookieSecretFile = config.cookies.secretFile
            } else {
                let kept = previous.flatMap { $0.cookieSecretFile == nil ? $0.cookies : nil }
                limits.cookies = kept ?? QueryLimits.randomCookies()
            }
        }
        return limits
    }

    /// The zones with each pool name's `_formnet` TXT records made from its nodes' discovery data
    /// (`wireguard_key`, ...). A pool whose nodes have none publishes nothing, and a zone file's own
    /// `_formnet` records keep working; a zone file record where one is generated is an error.
    public static func publishDiscovery(_ config: ServerConfig, zones: [Zone]) throws(ConfigErrors) -> [Zone] {
        var zones = zones
        var errors: [ConfigError] = []
        let file = config.sourceFile ?? "command line"
        let engine = AuthorityEngine(zones: zones)
        for (i, pool) in config.geo.pools.enumerated() {
            let records = pool.nodes.filter(\.enabled).compactMap(\.discoveryRecord).map(RData.txt)
            guard !records.isEmpty else { continue }
            let line = i < config.geo.poolLines.count ? config.geo.poolLines[i] : 0
            for name in pool.names {
                // A pool name outside every zone is reported by loadGeo.
                guard let owner = try? name.prepending(label: Array("_formnet".utf8)),
                    let zone = engine.zone(for: owner), let z = zones.firstIndex(where: { $0.origin == zone.origin })
                else { continue }
                let existing = zones[z].nodes[owner]
                if existing?[.txt] != nil || existing?[.cname] != nil {
                    errors.append(
                        ConfigError(
                            file: file, line: line, field: "pools[\(i)].nodes",
                            message: "\(owner) is generated from the nodes' wireguard_key; remove its TXT/CNAME "
                                + "records from zone \(zone.origin)"))
                    continue
                }
                zones[z] = zones[z].addingRRSets([RRSet(name: owner, type: .txt, ttl: pool.ttl, records: records)])
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return zones
    }

    /// Opens the GeoIP databases and network maps and checks the pools against the zones.
    /// Nil when no pool is configured.
    public static func loadGeo(_ config: ServerConfig, zones: [Zone]) throws(ConfigErrors) -> GeoContext? {
        let geo = config.geo
        let file = config.sourceFile ?? "command line"
        var errors: [ConfigError] = []
        var databases: [GeoDatabase] = []
        for (i, db) in geo.databases.enumerated() {
            do {
                databases.append(
                    try LoadedFiles.shared.database(path: db.path, useRegisteredCountry: geo.useRegisteredCountry))
            } catch {
                errors.append(
                    ConfigError(file: file, line: db.line, field: "geoip.databases[\(i)]", message: error.description))
            }
        }
        var entries: [NetworkMap.Entry] = []
        for m in geo.networkMaps {
            do {
                entries += try LoadedFiles.shared.networkMap(path: m.path)
            } catch {
                errors += error.errors
            }
        }
        let engine = AuthorityEngine(zones: zones)
        var seen: [DNSName: String] = [:]
        for (i, pool) in geo.pools.enumerated() {
            let line = i < geo.poolLines.count ? geo.poolLines[i] : 0
            for name in pool.names {
                func fail(_ m: String) {
                    errors.append(ConfigError(file: file, line: line, field: "pools[\(i)].names", message: m))
                }
                if let other = seen[name] { fail("\(name) is already answered by pool \(other)") }
                seen[name] = pool.name
                guard let zone = engine.zone(for: name) else {
                    fail("\(name) is not inside any served zone")
                    continue
                }
                if let node = zone.nodes[name], node[.a] != nil || node[.aaaa] != nil || node[.cname] != nil {
                    fail("\(name) also has static A/AAAA/CNAME records in zone \(zone.origin)")
                }
                if zone.delegation(covering: name) != nil { fail("\(name) is below a zone cut in \(zone.origin)") }
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        guard !geo.pools.isEmpty else { return nil }
        return GeoContext(
            pools: geo.pools, locator: ClientLocator(networkMap: NetworkMap(entries: entries), databases: databases))
    }
}
