import GeoIP
import NetAddress

/// For one pool and one GeoIP database: the widest block around an address over which the pool's
/// answer is the same, so the ECS scope (RFC 7871 7.2.1) and the answer cache cover as much of the
/// address space as they truthfully can, as gdnsd's merged network lists do.
///
/// Built once when the configuration loads: every search-tree node of the database gets the id of
/// the answer signature (`GeoSelector.orderSignature`) shared by everything below it, or `mixed`.
/// A lookup walks from the root along the address and stops at the first node whose whole subtree
/// answers alike: that depth is the scope. No work per query beyond the walk, done on a cache miss.
public final class AnswerScopeMap: Sendable {
    static let mixed: Int32 = -1
    static let unvisited: Int32 = -2

    private let database: GeoDatabase
    /// Signature id per search-tree node (`mixed` when its subtree answers differently).
    private let uniform: [Int32]
    private let ipv4Start: Int?

    /// - Parameters:
    ///   - emptyIsDecided: an address with no record is placed by the pool's default (true when this
    ///     is the only database); otherwise a later database decides, so an empty record is `mixed`.
    ///   - signature: the answer signature for a record's location (nil: no record).
    ///   - maxSignatures: a bound on the work (each signature ranks every node of the pool); past it
    ///     the map is not built (nil) and answers keep the deciding network as their scope.
    public init?(
        database: GeoDatabase, emptyIsDecided: Bool, maxSignatures: Int = Int.max,
        signature: (GeoLocation?) -> [[Int32]]
    ) {
        self.database = database
        ipv4Start = database.ipv4Start
        var ids: [[[Int32]]: Int32] = [:]
        var byOffset: [UInt32: Int32] = [:]
        func intern(_ s: [[Int32]]) -> Int32 {
            if let id = ids[s] { return id }
            let id = Int32(ids.count)
            ids[s] = id
            return id
        }
        let emptyID: Int32 = emptyIsDecided ? intern(signature(nil)) : Self.mixed
        func recordID(_ r: GeoDatabase.TreeRecord, _ table: [Int32]) -> Int32? {
            switch r {
            case .empty: return emptyID
            case .data(let offset):
                if let id = byOffset[offset] { return id }
                guard byOffset.count < maxSignatures else { return Self.mixed }
                let id = intern(signature(database.location(dataOffset: offset)))
                byOffset[offset] = id
                return id
            case .node(let n):
                guard n < table.count else { return Self.mixed }  // past the tree: treat as unknown
                return table[n] == Self.unvisited ? nil : table[n]
            }
        }
        // Post-order over the tree (a DAG in IPv6 databases, whose IPv4 aliases share a subtree),
        // with an explicit stack: a node is settled once both children are.
        var table = [Int32](repeating: Self.unvisited, count: database.nodeCount)
        var stack: [(node: Int, depth: Int)] = database.nodeCount > 0 ? [(0, 0)] : []
        let maxDepth = database.ipVersion == 6 ? 128 : 32
        while let (node, depth) = stack.last {
            guard table[node] == Self.unvisited, let records = database.treeNode(node) else {
                if table[node] == Self.unvisited { table[node] = Self.mixed }
                stack.removeLast()
                continue
            }
            let left = recordID(records.left, table), right = recordID(records.right, table)
            if let left, let right {
                table[node] = left == right ? left : Self.mixed
                stack.removeLast()
                continue
            }
            guard depth < maxDepth else {  // a corrupt tree deeper than an address: stop there
                table[node] = Self.mixed
                stack.removeLast()
                continue
            }
            if left == nil, case .node(let n) = records.left { stack.append((n, depth + 1)) }
            if right == nil, case .node(let n) = records.right { stack.append((n, depth + 1)) }
        }
        guard byOffset.count < maxSignatures else { return nil }
        uniform = table
    }

    /// The prefix length of the widest block containing `address` over which the answer is the
    /// same, or nil if the database cannot tell (the address's lookup path is not in the tree).
    public func uniformPrefix(_ address: IPAddress) -> Int? {
        var node: Int
        var depth = 0
        if address.isIPv4 {
            guard let start = ipv4Start else { return nil }
            node = start
        } else {
            guard database.ipVersion == 6 else { return nil }
            node = 0
        }
        // The tree's own prefix before the IPv4 start (::/96) is not the client's.
        while depth < address.bitLength {
            guard node < uniform.count else { return nil }
            if uniform[node] >= 0 { return depth }
            guard let records = database.treeNode(node) else { return nil }
            let next = address.bit(depth) == 0 ? records.left : records.right
            depth += 1
            guard case .node(let n) = next else { return depth }
            node = n
        }
        return nil
    }
}
