import DNSWire
import DNSZone
import FormAuthority
import NetAddress

/// `server.cpu_affinity`. `auto` pins one UDP worker per CPU and steers each datagram to the
/// worker on the CPU processing it, when the worker count equals the CPUs the process may use;
/// otherwise (and with `off`) the kernel's hash spreads datagrams and the threads float.
public enum CPUAffinity: String, Sendable, CaseIterable {
    case auto
    case off
}

/// The `form-dns` configuration. Its keys, types, ranges and meanings are in `ServerConfig.schema`
/// (and generated from it, Docs/configuration.md); the defaults are the initial values here.
/// Unknown keys are errors: a typo must not be silently ignored.
public struct ServerConfig: Sendable {
    public var listen: [Endpoint] = [Endpoint(host: "127.0.0.1", port: 53)]
    public var workers: Int = 2
    /// Threads of each kind the active health checks run on (`server.health_check_threads`).
    public var healthCheckThreads: Int = 1
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
    /// Whether the query path counts every query for /metrics.
    public var queryMetrics = true
    public var zones: [ZoneConfig] = []
    /// GeoIP databases, network maps and GeoDNS pools.
    public var geo = GeoConfig()
    /// The management API's address (nil: not served) and bearer token.
    public var managementListen: Endpoint? = nil
    public var managementToken: String? = nil
    /// The changes that wait for a second administrator's approval, and how long they wait.
    public var approvalRules: [ApprovalRule] = ApprovalRule.allCases
    public var approvalExpirySeconds: Int = 86_400
    /// `/metrics` without a token (for a Prometheus that scrapes without credentials).
    public var metricsOpen = false
    /// How long the event history (`state_dir`) keeps events.
    public var eventRetentionDays = 30
    /// The share of GeoDNS decisions written to the decision log (0: none).
    public var decisionLogSampleRate = 0.0
    /// Where the decision log goes (JSON lines, appended); nil: standard output.
    public var decisionLogFile: String? = nil
    /// Webhooks told about health, spill-over, fail-open, changes and failed reloads.
    public var alerts = AlertSettings()
    /// TSIG keys that may send DNS UPDATEs, and what each may change.
    public var updateKeys: [UpdateKey] = []
    /// TLS for the management API (nil: plain HTTP).
    public var managementTLS: ManagementTLS? = nil
    /// Where form-dns keeps what survives a restart (config versions, the audit chain, overrides,
    /// last health states); nil: nothing is kept.
    public var stateDirectory: String? = nil
    /// This authority as one of a fleet sharing a PostgreSQL store; nil: alone.
    public var fleet: FleetSettings? = nil
    /// A catalog zone (RFC 9432) of the transferable zones; nil: none.
    public var catalog: CatalogSettings? = nil
    /// Response rate limiting over UDP (`rate_limit`).
    public var rateLimit = RateLimitSettings()
    /// DNS cookies (`cookies`).
    public var cookies = CookieSettings()
    /// The file this configuration came from, if any (reload re-reads it).
    public var sourceFile: String?
    /// Every file and folder it refers to, anchored.
    public var paths: Set<String> = []

    public init() {}

    /// Reads a configuration document (a file's, or an API request's) against the schema.
    public static func parse(
        _ document: ConfigDocument, pathPolicy: (@Sendable (String) -> String?)? = nil
    ) throws(ConfigErrors) -> ServerConfig {
        var reader = ConfigReader(document, pathPolicy: pathPolicy)
        var config = schema.read(document.root, field: "", reader: &reader)
        config.sourceFile = document.source
        config.paths = reader.paths
        if !reader.errors.isEmpty { throw ConfigErrors(reader.errors.sortedByLine()) }
        return config
    }

    /// Parses YAML text; `file` names it in errors and anchors relative paths.
    public static func parse(yaml text: String, file: String) throws(ConfigErrors) -> ServerConfig {
        try parse(ConfigDocument(parsing: text, source: file))
    }

    public static func load(file: String) throws(ConfigErrors) -> ServerConfig {
        let text: String
        do { text = try ZoneFileParser.readFromDisk(file) } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "", message: "cannot read: \(error)")])
        }
        return try parse(yaml: text, file: file)
    }

    /// The settings a reload cannot apply (sockets, threads and the management listener are set up
    /// once, at start) that differ between `running` and this configuration, by their YAML names.
    /// A reload applies everything else (zones, GeoIP, pools, health, udp_payload_size) and logs
    /// these, so an operator is not left believing a new `listen` took effect.
    public func restartOnlyChanges(from running: ServerConfig) -> [String] {
        Self.schema.restartOnlyChanges(from: running, to: self)
    }
}

extension [ConfigError] {
    /// In file order (a schema reads keys in its own order; people read files top down).
    func sortedByLine() -> [ConfigError] {
        enumerated().sorted { ($0.element.line, $0.offset) < ($1.element.line, $1.offset) }.map(\.element)
    }
}
