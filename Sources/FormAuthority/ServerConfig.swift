import DNSWire
import DNSZone
import GeoIP
import Yams

/// A configuration problem, located as `file:line: field: message`.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var field: String
    public var message: String

    public init(file: String, line: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): \(field): \(message)"
    }
}

/// All problems found while loading a configuration and its zones.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}

/// An address to listen on: `127.0.0.1:5300`, `[::1]:5300`, or a bare address (port 53).
public struct ListenAddress: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    public init?(parsing text: String) {
        guard let (host, port) = HostPortText.parse(text, defaultPort: 53) else { return nil }
        self.init(host: host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One zone to serve.
public struct ZoneConfig: Sendable {
    public var origin: DNSName
    /// Path of the master file (relative paths in a config file are resolved against its folder).
    public var file: String
    /// Where the zone was declared, for error messages.
    public var declaredAt: (file: String, line: Int)

    public init(origin: DNSName, file: String, declaredAt: (file: String, line: Int) = ("command line", 0)) {
        self.origin = origin
        self.file = file
        self.declaredAt = declaredAt
    }
}

/// The `form-dns` configuration (YAML). Unknown keys are errors: a typo must not be silently ignored.
///
/// ```yaml
/// listen: ["127.0.0.1:5300", "[::1]:5300"]
/// server:
///   workers: 2                  # UDP threads per address, each with its own SO_REUSEPORT socket
///   cpu_affinity: auto          # auto: one worker pinned per CPU when workers == CPUs; off
///   udp_payload_size: 1232      # our EDNS buffer; cap on UDP responses
///   tcp_idle_timeout_ms: 10000  # RFC 7766 section 6.2.3
///   tcp_message_timeout_ms: 5000  # from a message's first octet to its last
///   tcp_max_connections: 1024
///   tcp_max_connections_per_client: 32  # per client address
/// zones:
///   - origin: formation.test
///     file: formation.test.zone
/// ```
/// `server.cpu_affinity`. `auto` pins one UDP worker per CPU and steers each datagram to the
/// worker on the CPU processing it, when the worker count equals the CPUs the process may use;
/// otherwise (and with `off`) the kernel's hash spreads datagrams and the threads float.
public enum CPUAffinity: String, Sendable {
    case auto
    case off
}

public struct ServerConfig: Sendable {
    public var listen: [ListenAddress] = [ListenAddress(host: "127.0.0.1", port: 53)]
    public var workers: Int = 2
    /// Whether UDP workers are pinned to CPUs and datagrams steered to the worker on their CPU.
    public var cpuAffinity: CPUAffinity = .auto
    public var udpPayloadSize: Int = Int(EDNS.defaultPayloadSize)
    public var tcpIdleTimeoutMilliseconds: Int = 10_000
    public var tcpMaxConnections: Int = 1024
    /// Connections one client address may hold at once, so a few slow clients cannot take every slot.
    public var tcpMaxConnectionsPerClient: Int = 32
    /// A query that has started arriving must be complete within this (a drip-feeding client is
    /// closed however often it sends a byte).
    public var tcpMessageTimeoutMilliseconds: Int = 5_000
    public var zones: [ZoneConfig] = []
    /// GeoIP databases, network maps and GeoDNS pools.
    public var geo = GeoConfig()
    /// The management API's address (nil: not served) and bearer token.
    public var managementListen: ListenAddress? = nil
    public var managementToken: String? = nil
    /// The file this configuration came from, if any (reload re-reads it).
    public var sourceFile: String?

    public init() {}

    /// Parses YAML text; `file` names it in errors and anchors relative zone paths.
    public static func parse(yaml text: String, file: String) throws(ConfigErrors) -> ServerConfig {
        var errors: [ConfigError] = []
        var config = ServerConfig()
        config.sourceFile = file
        func fail(_ node: Node?, _ field: String, _ message: String) {
            errors.append(ConfigError(file: file, line: node?.mark?.line ?? 0, field: field, message: message))
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let error as YamlError {
            throw ConfigErrors([
                ConfigError(
                    file: file, line: yamlErrorLine(error), field: "",
                    message: "invalid YAML: \(yamlErrorProblem(error))")
            ])
        } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "", message: "invalid YAML: \(error)")])
        }
        guard let root, let top = root.mapping else {
            throw ConfigErrors([
                ConfigError(
                    file: file, line: root?.mark?.line ?? 1, field: "", message: "the configuration must be a mapping")
            ])
        }
        let directory = file.contains("/") ? String(file[...file.lastIndex(of: "/")!]) : ""
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "listen":
                let items = value.sequence.map(Array.init) ?? [value]
                var addresses: [ListenAddress] = []
                for item in items {
                    guard let s = item.string, let a = ListenAddress(parsing: s) else {
                        fail(
                            item, "listen",
                            "'\(item.string ?? "?")' is not an address like 127.0.0.1:5300 or [::1]:5300")
                        continue
                    }
                    addresses.append(a)
                }
                if addresses.isEmpty && items.isEmpty { fail(value, "listen", "needs at least one address") }
                config.listen = addresses
            case "server":
                guard let m = value.mapping else {
                    fail(value, "server", "must be a mapping")
                    continue
                }
                for (k, v) in m {
                    let name = "server.\(k.string ?? "?")"
                    func int(_ range: ClosedRange<Int>) -> Int? {
                        guard let n = v.int, range.contains(n) else {
                            fail(
                                v, name,
                                "'\(v.string ?? "?")' must be a whole number in "
                                    + "\(range.lowerBound)...\(range.upperBound)"
                            )
                            return nil
                        }
                        return n
                    }
                    switch k.string {
                    case "workers": if let n = int(1...64) { config.workers = n }
                    case "cpu_affinity":
                        if let mode = v.string.flatMap(CPUAffinity.init(rawValue:)) {
                            config.cpuAffinity = mode
                        } else {
                            fail(v, name, "'\(v.string ?? "?")' must be auto or off")
                        }
                    case "udp_payload_size": if let n = int(512...4096) { config.udpPayloadSize = n }
                    case "tcp_idle_timeout_ms": if let n = int(100...600_000) { config.tcpIdleTimeoutMilliseconds = n }
                    case "tcp_max_connections": if let n = int(1...1_000_000) { config.tcpMaxConnections = n }
                    case "tcp_max_connections_per_client":
                        if let n = int(1...1_000_000) { config.tcpMaxConnectionsPerClient = n }
                    case "tcp_message_timeout_ms":
                        if let n = int(100...600_000) { config.tcpMessageTimeoutMilliseconds = n }
                    default: fail(k, name, "unknown setting")
                    }
                }
            case "zones":
                guard let seq = value.sequence else {
                    fail(value, "zones", "must be a list of {origin, file}")
                    continue
                }
                for (index, item) in seq.enumerated() {
                    let field = "zones[\(index)]"
                    guard let m = item.mapping else {
                        fail(item, field, "must be a mapping with origin and file")
                        continue
                    }
                    var origin: DNSName? = nil
                    var path: String? = nil
                    for (k, v) in m {
                        switch k.string {
                        case "origin":
                            do { origin = try DNSName(parsing: v.string ?? "", origin: .root) } catch {
                                fail(v, "\(field).origin", "\(error)")
                            }
                        case "file":
                            guard let s = v.string, !s.isEmpty else {
                                fail(v, "\(field).file", "must be a path")
                                continue
                            }
                            path = s.hasPrefix("/") ? s : directory + s
                        default:
                            fail(k, "\(field).\(k.string ?? "?")", "unknown setting")
                        }
                    }
                    if origin == nil, m["origin"] == nil { fail(item, "\(field).origin", "is required") }
                    if path == nil, m["file"] == nil { fail(item, "\(field).file", "is required") }
                    if let origin, let path {
                        if config.zones.contains(where: { $0.origin == origin }) {
                            fail(item, "\(field).origin", "zone \(origin) is declared twice")
                        }
                        config.zones.append(
                            ZoneConfig(origin: origin, file: path, declaredAt: (file, item.mark?.line ?? 0)))
                    }
                }
            case "geoip":
                var reader = YAMLReader(file: file)
                GeoConfig.parseGeoIP(value, directory: directory, into: &config.geo, reader: &reader)
                errors += reader.errors
            case "management":
                guard let m = value.mapping else {
                    fail(value, "management", "must be a mapping with listen and token")
                    continue
                }
                for (k, v) in m {
                    switch k.string {
                    case "listen":
                        guard let a = ListenAddress(parsing: v.string ?? "") else {
                            fail(v, "management.listen", "'\(v.string ?? "?")' is not an address like 127.0.0.1:8053")
                            continue
                        }
                        config.managementListen = a
                    case "token":
                        guard let t = v.string, ManagementToken.isAcceptable(t) else {
                            fail(v, "management.token", ManagementToken.rule)
                            continue
                        }
                        config.managementToken = t
                    case "token_file":
                        guard let path = v.string else {
                            fail(v, "management.token_file", "must be a path")
                            continue
                        }
                        let full = path.hasPrefix("/") ? path : directory + path
                        switch ManagementToken.read(file: full) {
                        case .success(let t): config.managementToken = t
                        case .failure(let why): fail(v, "management.token_file", why.message)
                        }
                    default:
                        fail(k, "management.\(k.string ?? "?")", "unknown setting (expected listen, token, token_file)")
                    }
                }
                if m["token"] != nil, let file = m["token_file"] {
                    fail(file, "management.token_file", "give token or token_file, not both")
                }
            case "pools":
                var reader = YAMLReader(file: file)
                GeoConfig.parsePools(value, directory: directory, into: &config.geo, reader: &reader)
                errors += reader.errors
            default:
                fail(keyNode, key, "unknown setting (expected listen, server, zones, geoip, pools, management)")
            }
        }
        if config.zones.isEmpty, top["zones"] == nil { fail(root, "zones", "no zones configured") }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return config
    }

    public static func load(file: String) throws(ConfigErrors) -> ServerConfig {
        let text: String
        do { text = try ZoneFileParser.readFromDisk(file) } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "", message: "cannot read: \(error)")])
        }
        return try parse(yaml: text, file: file)
    }

    static func yamlErrorLine(_ e: YamlError) -> Int {
        switch e {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _): return mark.line
        default: return 0
        }
    }

    static func yamlErrorProblem(_ e: YamlError) -> String {
        switch e {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _): return problem
        default: return "\(e)"
        }
    }
}

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
                zones.append(try Zone.load(origin: z.origin, file: z.file, readFile: readFile))
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
    /// a reload does not forget what the checks know.
    public static func build(
        _ config: ServerConfig, previous: ResponseBuilder? = nil,
        onHealthTransition: @escaping @Sendable (String, HealthTransition) -> Void = { _, _ in }
    ) throws(ConfigErrors) -> ResponseBuilder {
        var errors: [ConfigError] = []
        var zones: [Zone] = []
        do { zones = try loadZones(config) } catch { errors += error.errors }
        var geo: GeoContext? = nil
        do { geo = try loadGeo(config, zones: zones) } catch { errors += error.errors }
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
                        onTransition: { id, t in onHealthTransition("\(pool.name)/\(id)", t) })
            }
            geo = g
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return ResponseBuilder(zones: zones, udpPayloadSize: config.udpPayloadSize, geo: geo)
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
                databases.append(try GeoDatabase(path: db.path, useRegisteredCountry: geo.useRegisteredCountry))
            } catch {
                errors.append(
                    ConfigError(file: file, line: db.line, field: "geoip.databases[\(i)]", message: error.description))
            }
        }
        var entries: [NetworkMap.Entry] = []
        for m in geo.networkMaps {
            do {
                entries += try NetworkMapFile.load(path: m.path).rows.map {
                    NetworkMap.Entry(network: $0.network, location: $0.location)
                }
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

extension ServerConfig {
    /// The settings a reload cannot apply (sockets, threads and the management listener are set up
    /// once, at start) that differ between `running` and this configuration, by their YAML names.
    /// A reload applies everything else (zones, GeoIP, pools, health, udp_payload_size) and logs
    /// these, so an operator is not left believing a new `listen` took effect.
    public func restartOnlyChanges(from running: ServerConfig) -> [String] {
        var changed: [String] = []
        if listen != running.listen { changed.append("listen") }
        if workers != running.workers { changed.append("server.workers") }
        if cpuAffinity != running.cpuAffinity { changed.append("server.cpu_affinity") }
        if tcpIdleTimeoutMilliseconds != running.tcpIdleTimeoutMilliseconds {
            changed.append("server.tcp_idle_timeout_ms")
        }
        if tcpMaxConnections != running.tcpMaxConnections { changed.append("server.tcp_max_connections") }
        if tcpMaxConnectionsPerClient != running.tcpMaxConnectionsPerClient {
            changed.append("server.tcp_max_connections_per_client")
        }
        if tcpMessageTimeoutMilliseconds != running.tcpMessageTimeoutMilliseconds {
            changed.append("server.tcp_message_timeout_ms")
        }
        if managementListen != running.managementListen { changed.append("management.listen") }
        if managementToken != running.managementToken { changed.append("management.token") }
        return changed
    }
}
