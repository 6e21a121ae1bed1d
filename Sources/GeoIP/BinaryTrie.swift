/// A binary trie over address bits mapping networks to values (longest prefix wins).
///
/// Nodes live in one flat array; a record is a node index (>= 0), empty (-1), or a value
/// (-2 - valueIndex). Shared by the MaxMind DB writer (which serialises exactly this shape) and
/// the in-memory network maps.
public struct BinaryTrie<Value: Hashable & Sendable>: Sendable {
    public private(set) var records: [(left: Int32, right: Int32)] = [(-1, -1)]
    public private(set) var values: [Value] = []
    private var valueIndex: [Value: Int32] = [:]

    public init() {}

    public var nodeCount: Int { records.count }

    static func isNode(_ r: Int32) -> Bool { r >= 0 }
    static func valueIndex(_ r: Int32) -> Int? { r <= -2 ? Int(-2 - r) : nil }

    /// Inserts `value` for the first `prefixLength` bits of `bits` (bit 0 most significant).
    /// Insert less specific networks first: a later, longer prefix then carves its part out.
    public mutating func insert(prefixLength: Int, bit: (Int) -> Int, value: Value) {
        let v: Int32
        if let existing = valueIndex[value] {
            v = -2 - existing
        } else {
            values.append(value)
            v = -2 - Int32(values.count - 1)
            valueIndex[value] = Int32(values.count - 1)
        }
        if prefixLength == 0 {
            records[0] = (v, v)
            return
        }
        var node = 0
        for depth in 0..<prefixLength {
            let b = bit(depth)
            if depth == prefixLength - 1 {
                if b == 0 { records[node].left = v } else { records[node].right = v }
                return
            }
            let child = b == 0 ? records[node].left : records[node].right
            if Self.isNode(child) {
                node = Int(child)
            } else {
                // Empty or a shorter prefix's value: split it, keeping that value on both sides.
                records.append((child, child))
                let n = Int32(records.count - 1)
                if b == 0 { records[node].left = n } else { records[node].right = n }
                node = Int(n)
            }
        }
    }

    /// The value of the longest matching prefix (nil if none) and the prefix length at which the
    /// walk ended: for a miss, the length of the widest network around the address holding nothing.
    public func lookup(bitCount: Int, bit: (Int) -> Int) -> (value: Value?, prefixLength: Int) {
        var node = 0
        for depth in 0..<bitCount {
            let r = bit(depth) == 0 ? records[node].left : records[node].right
            if Self.isNode(r) {
                node = Int(r)
                continue
            }
            guard let i = Self.valueIndex(r) else { return (nil, depth + 1) }
            return (values[i], depth + 1)
        }
        return (nil, bitCount)
    }
}
