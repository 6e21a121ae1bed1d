import DNSWire

/// Precomputed answers keyed by (case-folded QNAME wire bytes, `AnswerKey`), looked up with no allocation.
///
/// An open-addressing table over flat arrays: the hash is the one `DNSQueryView` computes while
/// parsing, so a lookup costs one probe sequence and one byte comparison against the query buffer.
public struct AnswerTable: Sendable {
    struct Entry: Sendable {
        var hash: UInt64
        var key: UInt32
        var keyStart: Int
        var keyLength: Int
        var template: AnswerTemplate
    }

    private var slots: [Int32]
    private var entries: [Entry] = []
    private var keys: [UInt8] = []
    private var mask: Int

    public var count: Int { entries.count }

    public init(expectedCount: Int) {
        var capacity = 16
        while capacity < expectedCount * 2 { capacity <<= 1 }
        slots = [Int32](repeating: -1, count: capacity)
        mask = capacity - 1
    }

    @inline(__always)
    static func slotHash(_ nameHash: UInt64, _ key: UInt32) -> Int {
        var h = nameHash ^ (UInt64(key) &* 0x9E3779B97F4A7C15)
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    /// Adds (or replaces) the template for `name`/`key`.
    public mutating func insert(name: DNSName, key answerKey: AnswerKey, template: AnswerTemplate) {
        let key = answerKey.raw
        let folded = name.lowercased.wire
        let hash = foldedNameHash(folded)
        if entries.count * 2 >= slots.count { grow() }
        var i = Self.slotHash(hash, key) & mask
        while slots[i] >= 0 {
            let e = entries[Int(slots[i])]
            if e.hash == hash, e.key == key, Array(keys[e.keyStart..<(e.keyStart + e.keyLength)]) == folded {
                entries[Int(slots[i])].template = template
                return
            }
            i = (i + 1) & mask
        }
        slots[i] = Int32(entries.count)
        entries.append(
            Entry(
                hash: hash, key: key, keyStart: keys.count, keyLength: folded.count,
                template: template))
        keys.append(contentsOf: folded)
    }

    private mutating func grow() {
        let old = entries
        slots = [Int32](repeating: -1, count: slots.count * 2)
        mask = slots.count - 1
        for (index, e) in old.enumerated() {
            var i = Self.slotHash(e.hash, e.key) & mask
            while slots[i] >= 0 { i = (i + 1) & mask }
            slots[i] = Int32(index)
        }
    }

    /// Finds the template for the QNAME at `qname` (raw query bytes, any case) and `key`.
    @inline(__always)
    public func lookup(qname: UnsafeRawBufferPointer, hash: UInt64, key answerKey: AnswerKey) -> AnswerTemplate? {
        let key = answerKey.raw
        var i = Self.slotHash(hash, key) & mask
        while true {
            let s = slots[i]
            if s < 0 { return nil }
            let e = entries[Int(s)]
            if e.hash == hash, e.key == key, e.keyLength == qname.count {
                let equal = keys.withUnsafeBufferPointer { k -> Bool in
                    for j in 0..<e.keyLength {
                        let b = qname[j]
                        let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                        if folded != k[e.keyStart + j] { return false }
                    }
                    return true
                }
                if equal { return e.template }
            }
            i = (i + 1) & mask
        }
    }
}
