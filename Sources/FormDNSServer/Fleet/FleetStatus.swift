import FormAuthority
import FormStore
import Foundation
import Synchronization

/// What this authority knows of its fleet, for the API, the metrics and the dashboard: whether
/// the shared store answers, and each authority's view of each node with the verdict agreed.
public final class FleetStatus: Sendable {
    public struct Snapshot: Sendable {
        public var authority: String
        public var quorum: HealthQuorum
        /// Whether the last exchange with the store worked.
        public var storeReachable: Bool
        /// Since when it has (or has not).
        public var since: Date
        public var lastError: String?
        /// The last time the store was read in full.
        public var lastSync: Date?
        /// Authorities whose views are fresh, by name.
        public var reporting: [String]
        /// Per node: each fresh authority's view, and the verdict.
        public var nodes: [NodeKey: (views: [String: HealthState], agreed: HealthState?)]
    }

    private let state: Mutex<Snapshot>

    public init(authority: String, quorum: HealthQuorum) {
        state = Mutex(
            Snapshot(
                authority: authority, quorum: quorum, storeReachable: true, since: Date(), lastError: nil,
                lastSync: nil, reporting: [], nodes: [:]))
    }

    public func snapshot() -> Snapshot { state.withLock { $0 } }

    /// Records a working exchange; true when the store has just come back.
    @discardableResult
    public func reached() -> Bool {
        state.withLock { s in
            let cameBack = !s.storeReachable
            if cameBack { s.since = Date() }
            s.storeReachable = true
            s.lastError = nil
            return cameBack
        }
    }

    /// Records a failed exchange; true when the store has just become unreachable.
    @discardableResult
    public func failed(_ error: StoreError) -> Bool {
        state.withLock { s in
            let wentAway = s.storeReachable
            if wentAway { s.since = Date() }
            s.storeReachable = false
            s.lastError = error.message
            return wentAway
        }
    }

    public func synced(reporting: [String], nodes: [NodeKey: (views: [String: HealthState], agreed: HealthState?)]) {
        state.withLock { s in
            s.lastSync = Date()
            s.reporting = reporting
            s.nodes = nodes
        }
    }

    /// As JSON for the API (`GET /v1/fleet`, and `fleet` in `GET /v1/health`).
    public func json(pools: (String) -> Bool = { _ in true }) -> [String: Any] {
        let s = snapshot()
        var nodes: [[String: Any]] = []
        for (key, node) in s.nodes.sorted(by: { $0.key.description < $1.key.description }) where pools(key.pool) {
            var entry: [String: Any] = [
                "pool": key.pool, "node": key.node, "views": node.views.mapValues(\.rawValue),
            ]
            entry["agreed"] = node.agreed?.rawValue ?? NSNull()
            nodes.append(entry)
        }
        var store: [String: Any] = [
            "reachable": s.storeReachable, "since": APIRoutes.iso(s.since),
        ]
        store["error"] = s.lastError ?? NSNull()
        store["last_sync"] = s.lastSync.map(APIRoutes.iso) ?? NSNull()
        return [
            "authority": s.authority, "quorum": s.quorum.description, "store": store,
            "authorities_reporting": s.reporting, "nodes": nodes,
        ]
    }
}
