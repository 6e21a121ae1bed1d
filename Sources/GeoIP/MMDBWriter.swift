import Foundation
import NetAddress

/// A value in a MaxMind DB data section (MaxMind DB spec, "Output Data Section").
public indirect enum MMDBValue: Hashable, Sendable {
    case string(String)
    case double(Double)
    case uint16(UInt16)
    case uint32(UInt32)
    case uint64(UInt64)
    case bool(Bool)
    /// Keys keep their order, so the same input always gives the same file.
    case map([MMDBPair])
    case array([MMDBValue])

    /// The GeoIP2-City-shaped record for a location (what libmaxminddb readers expect).
    public init(location l: GeoLocation, continent: String? = nil) {
        var pairs: [MMDBPair] = []
        if let city = l.city {
            pairs.append(MMDBPair("city", .map([MMDBPair("names", .map([MMDBPair("en", .string(city))]))])))
        }
        if let continent { pairs.append(MMDBPair("continent", .map([MMDBPair("code", .string(continent))]))) }
        if let country = l.country { pairs.append(MMDBPair("country", .map([MMDBPair("iso_code", .string(country))]))) }
        if let region = l.region { pairs.append(MMDBPair("formation_region", .string(region))) }
        pairs.append(
            MMDBPair(
                "location",
                .map([MMDBPair("latitude", .double(l.latitude)), MMDBPair("longitude", .double(l.longitude))])))
        self = .map(pairs)
    }
}

public struct MMDBPair: Hashable, Sendable {
    public var key: String
    public var value: MMDBValue
    public init(_ key: String, _ value: MMDBValue) {
        self.key = key
        self.value = value
    }
}

/// Writes MaxMind DB v2 files that libmaxminddb and `mmdblookup` read: an IPv6 tree holding
/// IPv4 under ::/96 (as the spec describes), or an IPv4-only tree.
public struct MMDBWriter {
    public var databaseType: String
    public var description: String
    public var buildEpoch: UInt64
    /// 6: one tree for both families; 4: an IPv4 tree (IPv6 networks are refused by `insert`).
    public let ipVersion: Int
    private var entries: [(IPNetwork, MMDBValue)] = []

    public init(databaseType: String, description: String, buildEpoch: UInt64, ipVersion: Int = 6) {
        precondition(ipVersion == 4 || ipVersion == 6, "ip_version is 4 or 6")
        self.databaseType = databaseType
        self.description = description
        self.buildEpoch = buildEpoch
        self.ipVersion = ipVersion
    }

    /// Adds a network; returns false (and adds nothing) for an IPv6 network in an IPv4 tree.
    @discardableResult
    public mutating func insert(_ network: IPNetwork, _ value: MMDBValue) -> Bool {
        guard ipVersion == 6 || network.address.isIPv4 else { return false }
        entries.append((network, value))
        return true
    }

    public func serialize() -> [UInt8] {
        var trie = BinaryTrie<MMDBValue>()
        // Stable sort: less specific first, then file order (a later duplicate wins).
        let ordered = entries.enumerated().sorted {
            ($0.element.0.prefixLength + ($0.element.0.address.isIPv4 ? 96 : 0), $0.offset)
                < ($1.element.0.prefixLength + ($1.element.0.address.isIPv4 ? 96 : 0), $1.offset)
        }
        for (_, (network, value)) in ordered {
            let a = network.address
            if ipVersion == 4 {
                trie.insert(prefixLength: network.prefixLength, bit: a.bit, value: value)
            } else if a.isIPv4 {
                trie.insert(
                    prefixLength: 96 + network.prefixLength, bit: { $0 < 96 ? 0 : a.bit($0 - 96) }, value: value)
            } else {
                trie.insert(prefixLength: network.prefixLength, bit: a.bit, value: value)
            }
        }
        var data: [UInt8] = []
        var offsets: [Int] = []
        for v in trie.values {
            offsets.append(data.count)
            Self.encode(v, into: &data)
        }
        let nodeCount = trie.nodeCount
        let maxRecord = nodeCount + 16 + data.count
        let recordSize = maxRecord < (1 << 24) ? 24 : 32
        func recordValue(_ r: Int32) -> UInt32 {
            if r >= 0 { return UInt32(r) }
            if r == -1 { return UInt32(nodeCount) }
            return UInt32(nodeCount + 16 + offsets[Int(-2 - r)])
        }
        var out: [UInt8] = []
        out.reserveCapacity(nodeCount * recordSize / 4 + 16 + data.count + 256)
        for (left, right) in trie.records {
            for r in [recordValue(left), recordValue(right)] {
                let bytes = recordSize / 8
                for i in (0..<bytes).reversed() { out.append(UInt8(truncatingIfNeeded: r >> UInt32(8 * i))) }
            }
        }
        out += [UInt8](repeating: 0, count: 16)
        out += data
        out += [0xAB, 0xCD, 0xEF] + Array("MaxMind.com".utf8)
        let metadata: MMDBValue = .map([
            MMDBPair("binary_format_major_version", .uint16(2)),
            MMDBPair("binary_format_minor_version", .uint16(0)),
            MMDBPair("build_epoch", .uint64(buildEpoch)),
            MMDBPair("database_type", .string(databaseType)),
            MMDBPair("description", .map([MMDBPair("en", .string(description))])),
            MMDBPair("ip_version", .uint16(UInt16(ipVersion))),
            MMDBPair("languages", .array([.string("en")])),
            MMDBPair("node_count", .uint32(UInt32(nodeCount))),
            MMDBPair("record_size", .uint16(UInt16(recordSize))),
        ])
        Self.encode(metadata, into: &out)
        return out
    }

    /// Control byte(s): type in the top 3 bits (extended types > 7 in a following byte), then size.
    static func control(type: Int, size: Int, into out: inout [UInt8]) {
        var sizeBits: Int
        var ext: [UInt8] = []
        if size < 29 {
            sizeBits = size
        } else if size < 29 + 256 {
            sizeBits = 29
            ext = [UInt8(size - 29)]
        } else if size < 285 + 65536 {
            sizeBits = 30
            let s = size - 285
            ext = [UInt8(s >> 8), UInt8(s & 0xFF)]
        } else {
            sizeBits = 31
            let s = size - 65821
            ext = [UInt8(s >> 16), UInt8((s >> 8) & 0xFF), UInt8(s & 0xFF)]
        }
        out.append(UInt8((type <= 7 ? type << 5 : 0) | sizeBits))
        if type > 7 { out.append(UInt8(type - 7)) }
        out += ext
    }

    static func encode(_ v: MMDBValue, into out: inout [UInt8]) {
        func unsigned(_ type: Int, _ value: UInt64) {
            var bytes: [UInt8] = []
            var x = value
            while x > 0 {
                bytes.insert(UInt8(x & 0xFF), at: 0)
                x >>= 8
            }
            control(type: type, size: bytes.count, into: &out)
            out += bytes
        }
        switch v {
        case .string(let s):
            let b = Array(s.utf8)
            control(type: 2, size: b.count, into: &out)
            out += b
        case .double(let d):
            control(type: 3, size: 8, into: &out)
            let bits = d.bitPattern
            for i in (0..<8).reversed() { out.append(UInt8(truncatingIfNeeded: bits >> UInt64(8 * i))) }
        case .uint16(let n): unsigned(5, UInt64(n))
        case .uint32(let n): unsigned(6, UInt64(n))
        case .uint64(let n): unsigned(9, n)
        case .bool(let b): control(type: 14, size: b ? 1 : 0, into: &out)
        case .map(let pairs):
            control(type: 7, size: pairs.count, into: &out)
            for p in pairs {
                encode(.string(p.key), into: &out)
                encode(p.value, into: &out)
            }
        case .array(let items):
            control(type: 11, size: items.count, into: &out)
            for i in items { encode(i, into: &out) }
        }
    }
}
