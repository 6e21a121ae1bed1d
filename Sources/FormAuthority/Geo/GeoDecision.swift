/// Why a pool answer is what it is, in the few words metrics and decision logs use, and which
/// nodes it holds. Made with the answer (on a GeoDNS cache miss), so answering from the cache
/// only reads it.
public struct GeoDecision: Sendable {
    /// The reason, most telling first: a fail-open answer says so even if it was also the nearest.
    public enum Reason: Int, CaseIterable, Sendable {
        /// The lowest-cost nodes are simply the nearest (weights aside).
        case nearest
        /// A country or region bias (or a weight) put another node before the nearest.
        case bias
        /// A region with too few nodes up spilled its clients to other regions.
        case spillOver
        /// Every node failed its checks, so all were answered (fail-open).
        case failOpen
        /// The client could not be placed; the pool's default location stood in.
        case defaultLocation

        public var label: String {
            switch self {
            case .nearest: return "nearest"
            case .bias: return "bias"
            case .spillOver: return "spill-over"
            case .failOpen: return "fail-open"
            case .defaultLocation: return "default-location"
            }
        }
    }

    public var reason: Reason
    /// Index into `GeoContext.regionNames` of the client's region.
    public var clientRegion: Int32
    /// Indices into the pool's nodes of the nodes in the A and in the AAAA answer.
    public var ipv4Nodes: [Int32]
    public var ipv6Nodes: [Int32]

    public init(reason: Reason, clientRegion: Int32, ipv4Nodes: [Int32], ipv6Nodes: [Int32]) {
        self.reason = reason
        self.clientRegion = clientRegion
        self.ipv4Nodes = ipv4Nodes
        self.ipv6Nodes = ipv6Nodes
    }

    /// The decision as plain numbers (no array, so reading it per query takes no reference count):
    /// the first four nodes of each family, 16 bits each. Answers with more nodes read the rest
    /// from the arrays.
    public struct Tally: Sendable {
        public var ipv4Nodes: UInt64 = 0
        public var ipv6Nodes: UInt64 = 0
        public var ipv4Count: UInt8 = 0
        public var ipv6Count: UInt8 = 0
        public var reason: UInt8 = 0
        public var clientRegion: Int32 = 0

        public static let packed = 4

        @inline(__always)
        public static func node(_ packed: UInt64, _ i: Int) -> Int {
            Int(truncatingIfNeeded: packed >> (16 * i) & 0xFFFF)
        }
    }

    public var tally: Tally {
        func pack(_ nodes: [Int32]) -> UInt64 {
            var out: UInt64 = 0
            for (i, n) in nodes.prefix(Tally.packed).enumerated() {
                out |= UInt64(UInt16(truncatingIfNeeded: n)) << (16 * i)
            }
            return out
        }
        return Tally(
            ipv4Nodes: pack(ipv4Nodes), ipv6Nodes: pack(ipv6Nodes), ipv4Count: UInt8(min(ipv4Nodes.count, 255)),
            ipv6Count: UInt8(min(ipv6Nodes.count, 255)), reason: UInt8(reason.rawValue), clientRegion: clientRegion)
    }

    /// The reason for answering `answered` from `ranked` to a client placed as `placement`.
    static func reason(
        ranked: [GeoSelector.Candidate], answered: [PoolNode], placement: GeoContext.ClientPlacement
    ) -> Reason {
        if ranked.contains(where: { if case .failOpen = $0.verdict { return true } else { return false } }) {
            return .failOpen
        }
        if ranked.contains(where: \.regionDegraded) { return .spillOver }
        if placement.defaulted { return .defaultLocation }
        // The first answered node against the nearest node that could have been answered.
        let eligible = ranked.filter {
            switch $0.verdict {
            case .selected, .belowCut: return true
            default: return false
            }
        }
        if let first = answered.first, let nearest = eligible.min(by: { $0.distanceKm < $1.distanceKm }),
            nearest.node.id != first.id,
            nearest.distanceKm < (eligible.first { $0.node.id == first.id }?.distanceKm ?? 0)
        {
            return .bias
        }
        return .nearest
    }
}
