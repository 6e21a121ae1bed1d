import Foundation

/// Something that happened to what form-dns answers, kept in the store's event history so an
/// operator can see what happened last night: a node's health changing, an override, a change to
/// records or the configuration, a reload, a pool answering fail-open or spilling a region over.
public struct DNSEvent: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        /// A node's checked state changed (`detail`: from, to, reason).
        case health
        /// An override was set or cleared (`detail`: override, by).
        case override
        /// A new configuration version serves (`detail`: version, author, action).
        case config
        /// Records of a zone changed (through the API, `ctl` or DNS UPDATE; `detail` as config).
        case record
        /// SIGHUP: applied, unchanged or failed (`detail`: result, version or errors).
        case reload
        /// A pool began or stopped answering fail-open (every node down; `detail`: state).
        case failOpen = "fail-open"
        /// A region of a pool fell below, or came back above, `region_spill_threshold`
        /// (`detail`: state, region).
        case spillOver = "spill-over"
    }

    /// The row id (increasing with time); 0 before it is stored.
    public var id: Int64
    public var time: Date
    public var kind: Kind
    public var pool: String?
    public var node: String?
    /// One line, as `ctl events` prints it.
    public var summary: String
    /// The same as fields.
    public var detail: [String: String]

    public init(
        id: Int64 = 0, time: Date = Date(), kind: Kind, pool: String? = nil, node: String? = nil, summary: String,
        detail: [String: String] = [:]
    ) {
        self.id = id
        self.time = time
        self.kind = kind
        self.pool = pool
        self.node = node
        self.summary = summary
        self.detail = detail
    }
}

/// Which events to read: a time range, a pool and node, kinds; the newest `limit` of them, oldest
/// first.
public struct DNSEventQuery: Sendable, Hashable {
    public var since: Date?
    public var until: Date?
    public var pool: String?
    public var node: String?
    /// Empty: every kind.
    public var kinds: Set<DNSEvent.Kind>
    /// Only events of these pools (a pool-limited token); nil: any, and events of no pool too.
    public var pools: [String]?
    public var limit: Int

    public init(
        since: Date? = nil, until: Date? = nil, pool: String? = nil, node: String? = nil,
        kinds: Set<DNSEvent.Kind> = [], pools: [String]? = nil, limit: Int = 1000
    ) {
        self.since = since
        self.until = until
        self.pool = pool
        self.node = node
        self.kinds = kinds
        self.pools = pools
        self.limit = limit
    }
}
