import DNSWire

/// The records of one owner name and type, sharing one TTL (RFC 2181 section 5).
public struct RRSet: Hashable, Sendable {
    public var name: DNSName
    public var type: RecordType
    public var ttl: UInt32
    public var records: [RData]

    public init(name: DNSName, type: RecordType, ttl: UInt32, records: [RData]) {
        self.name = name
        self.type = type
        self.ttl = ttl
        self.records = records
    }

    /// The set as resource records, owned by `owner` (a wildcard expansion passes the query name).
    public func resourceRecords(owner: DNSName? = nil, ttl: UInt32? = nil) -> [DNSResourceRecord] {
        records.map { DNSResourceRecord(name: owner ?? name, ttl: ttl ?? self.ttl, data: $0) }
    }
}

/// All RRsets at one owner name.
public struct ZoneNode: Equatable, Sendable {
    public var rrsets: [RecordType: RRSet] = [:]
    public init() {}
    public subscript(type: RecordType) -> RRSet? { rrsets[type] }
    /// Types present, in ascending numeric order (deterministic output).
    public var types: [RecordType] { rrsets.keys.sorted() }
}

/// One authoritative zone, validated: an SOA and NS at the apex, no CNAME beside other data,
/// every name inside the zone. Immutable once built, so it can be shared across event loops.
public struct Zone: Equatable, Sendable {
    public let origin: DNSName
    public let soa: SOARecord
    public let soaTTL: UInt32
    /// Owner names with data.
    public let nodes: [DNSName: ZoneNode]
    /// Names that exist only because something exists below them (RFC 4592 "empty non-terminals").
    public let emptyNonTerminals: Set<DNSName>
    /// Delegation points: names below the apex that own NS records (zone cuts).
    public let delegations: Set<DNSName>

    /// Negative answers are cached for min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5).
    public var negativeTTL: UInt32 { min(soaTTL, soa.minimum) }

    public var soaRecord: DNSResourceRecord { DNSResourceRecord(name: origin, ttl: soaTTL, data: .soa(soa)) }

    /// The SOA as negative answers carry it in the authority section: TTL = `negativeTTL`.
    public var negativeSOA: DNSResourceRecord { DNSResourceRecord(name: origin, ttl: negativeTTL, data: .soa(soa)) }

    /// Builds and validates a zone; every problem is reported with its file and line.
    public init(origin: DNSName, records: [SourcedRecord], file: String) throws(ZoneLoadErrors) {
        var errors: [ZoneFileError] = []
        var nodes: [DNSName: ZoneNode] = [:]
        var firstLine: [DNSName: (String, Int)] = [:]
        for s in records {
            let rr = s.record
            func fail(_ m: String) { errors.append(ZoneFileError(file: s.file, line: s.line, message: m)) }
            guard rr.name.isSubdomain(of: origin) else {
                fail("\(rr.name) is outside the zone \(origin)")
                continue
            }
            if rr.type == .soa && rr.name != origin {
                fail("SOA record must be at the zone apex \(origin)")
                continue
            }
            var node = nodes[rr.name] ?? ZoneNode()
            if var set = node.rrsets[rr.type] {
                if rr.type == .soa {
                    fail("a zone has exactly one SOA record")
                    continue
                }
                if rr.type == .cname {
                    fail("\(rr.name) has more than one CNAME (RFC 2181 section 10.1)")
                    continue
                }
                // RFC 2181 5.2: TTLs in an RRset must match; like BIND and Knot, the first TTL wins.
                if !set.records.contains(rr.data) { set.records.append(rr.data) }
                node.rrsets[rr.type] = set
            } else {
                node.rrsets[rr.type] = RRSet(name: rr.name, type: rr.type, ttl: rr.ttl, records: [rr.data])
                if firstLine[rr.name] == nil { firstLine[rr.name] = (s.file, s.line) }
            }
            nodes[rr.name] = node
        }
        for (name, node) in nodes where node.rrsets[.cname] != nil && node.rrsets.count > 1 {
            let (f, l) = firstLine[name] ?? (file, 0)
            errors.append(
                ZoneFileError(file: f, line: l, message: "\(name) has a CNAME and other data (RFC 2181 section 10.1)"))
        }
        let apex = nodes[origin]
        var soa: SOARecord? = nil
        var soaTTL: UInt32 = 0
        if let set = apex?[.soa], case .soa(let s) = set.records[0] {
            soa = s
            soaTTL = set.ttl
        } else {
            errors.append(ZoneFileError(file: file, line: 0, message: "zone \(origin) has no SOA record at its apex"))
        }
        if apex?[.ns] == nil {
            errors.append(ZoneFileError(file: file, line: 0, message: "zone \(origin) has no NS records at its apex"))
        }
        if apex?[.cname] != nil {
            errors.append(ZoneFileError(file: file, line: 0, message: "the zone apex \(origin) cannot be a CNAME"))
        }
        guard errors.isEmpty, let soa else { throw ZoneLoadErrors(errors) }
        self.init(
            origin: origin, soa: soa, soaTTL: soaTTL, nodes: nodes,
            delegations: Set(nodes.filter { $0.key != origin && $0.value.rrsets[.ns] != nil }.keys))
    }

    private init(origin: DNSName, soa: SOARecord, soaTTL: UInt32, nodes: [DNSName: ZoneNode], delegations: Set<DNSName>)
    {
        self.origin = origin
        self.soa = soa
        self.soaTTL = soaTTL
        self.nodes = nodes
        self.delegations = delegations
        // Every ancestor (below the apex) of an owner that owns nothing itself.
        var ents = Set<DNSName>()
        for name in nodes.keys {
            var p = name.parent
            while let parent = p, parent.isSubdomain(of: origin), parent != origin {
                if nodes[parent] == nil { ents.insert(parent) }
                p = parent.parent
            }
        }
        self.emptyNonTerminals = ents
    }

    /// The zone with `names` added as existing owners without static data (names whose address
    /// records are computed per query, e.g. GeoDNS pools). Other types at them answer NODATA.
    public func addingDynamicNames(_ names: [DNSName]) -> Zone {
        var nodes = self.nodes
        for n in names where n.isSubdomain(of: origin) && nodes[n] == nil { nodes[n] = ZoneNode() }
        return Zone(origin: origin, soa: soa, soaTTL: soaTTL, nodes: nodes, delegations: delegations)
    }

    /// The zone with generated RRsets added (e.g. discovery records made from a pool's nodes).
    /// The caller has checked each owner: inside the zone, not below a cut, no data of that type
    /// and no CNAME there.
    public func addingRRSets(_ sets: [RRSet]) -> Zone {
        var nodes = self.nodes
        for set in sets where set.name.isSubdomain(of: origin) {
            nodes[set.name, default: ZoneNode()].rrsets[set.type] = set
        }
        return Zone(origin: origin, soa: soa, soaTTL: soaTTL, nodes: nodes, delegations: delegations)
    }

    /// Loads and validates a zone from a master file.
    public static func load(
        origin: DNSName, file: String,
        readFile: @escaping ZoneFileParser.FileReader = ZoneFileParser.readFromDisk
    ) throws(ZoneLoadErrors) -> Zone {
        let records = try ZoneFileParser(origin: origin, readFile: readFile).parse(file: file)
        return try Zone(origin: origin, records: records, file: file)
    }

    /// True if `name` exists in the zone: it owns data or is an empty non-terminal.
    public func exists(_ name: DNSName) -> Bool {
        nodes[name] != nil || emptyNonTerminals.contains(name) || name == origin
    }

    /// The highest zone cut at or above `name` (below the apex), if `name` is at or under one.
    public func delegation(covering name: DNSName) -> DNSName? {
        guard !delegations.isEmpty else { return nil }
        var chain: [DNSName] = []
        var p: DNSName? = name
        while let n = p, n != origin, n.isSubdomain(of: origin) {
            chain.append(n)
            p = n.parent
        }
        // Highest first: a cut above another occludes the lower one.
        return chain.reversed().first { delegations.contains($0) }
    }

    /// Every name that can be queried with a distinct answer: owners and empty non-terminals.
    public var allNames: [DNSName] { Array(nodes.keys) + Array(emptyNonTerminals) }
}
