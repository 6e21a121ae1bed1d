import FormAuthority
import Foundation

/// `fleet`: this authority as one of several that answer as one, sharing a PostgreSQL store.
/// Every key is this authority's own: a configuration version stored by another authority never
/// changes them (nor `listen`, `workers`, `state_dir`, `management` or `decision_log.file`).
public struct FleetSettings: Sendable, Equatable {
    /// The shared store; nil: no fleet (state_dir's SQLite, or nothing).
    public var store: PostgresLocation? = nil
    /// A file whose first line is the store's password (instead of the URI or $PGPASSWORD).
    public var passwordFile: String? = nil
    /// This authority's name in health views, events and the API; the host name by default.
    public var authority: String = FleetSettings.hostName
    /// How many authorities must see a node down before every authority drops it.
    public var quorum: HealthQuorum = .majority
    /// How often this authority publishes its view of every node (a heartbeat).
    public var reportIntervalSeconds = 5
    /// An authority's view counts toward verdicts for this long after it published it.
    public var reportFreshSeconds = 20
    /// How often the store is read even without a notification, so a missed one only delays.
    public var catchUpSeconds = 5

    public init() {}

    public static let hostName: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "form-dns" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return name.isEmpty ? "form-dns" : name
    }()
}

extension ServerConfig {
    /// This configuration with `local`'s per-authority settings: what a version stored by another
    /// authority of the fleet is served with.
    public func keepingLocalSettings(of local: ServerConfig) -> ServerConfig {
        var config = self
        config.listen = local.listen
        config.workers = local.workers
        config.cpuAffinity = local.cpuAffinity
        config.stateDirectory = local.stateDirectory
        config.managementListen = local.managementListen
        config.managementTLS = local.managementTLS
        config.managementToken = local.managementToken
        config.decisionLogFile = local.decisionLogFile
        config.fleet = local.fleet
        return config
    }
}
