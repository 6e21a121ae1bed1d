import CMaxMindDB
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

/// Why a MaxMind DB could not be used.
public struct GeoDatabaseError: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public var description: String { "\(path): GeoIP database refused: \(reason)" }
}

/// A MaxMind DB (GeoIP2/GeoLite2 City or Country, or one we compiled) opened with libmaxminddb.
///
/// Opening verifies the whole file — metadata, every search-tree node, every data record, however
/// many there are — so a corrupt database is refused up front with a clear message instead of
/// failing (or worse) on some later query. The file is mapped: replace it atomically (write a new
/// file, rename it over the old one, then reload), never rewrite it in place, or a server still
/// reading the old mapping can fault (SIGBUS). A reload opens and verifies the file afresh.
public final class GeoDatabase: @unchecked Sendable {
    // @unchecked Sendable: `mmdb` is written only by MMDB_open in init and freed in deinit; in between
    // it is only read. libmaxminddb documents lookups on a shared MMDB_s as thread-safe (they do not
    // mutate it; with MMDB_MODE_MMAP the file is mapped read-only).
    private let mmdb: UnsafeMutablePointer<MMDB_s>
    public let path: String
    public let databaseType: String
    public let ipVersion: Int
    public let nodeCount: Int
    /// When the database was built (its metadata's build_epoch, seconds since 1970).
    public let buildEpoch: UInt64
    /// Whether `registered_country` stands in for a missing `country` (see `lookup`).
    public let useRegisteredCountry: Bool

    public init(path: String, useRegisteredCountry: Bool = true) throws(GeoDatabaseError) {
        // Open and verify before any stored property is set: a class whose init throws after full
        // initialisation runs deinit, which would close the handle a second time.
        let handle = try GeoDatabase.openVerified(path)
        self.path = path
        self.useRegisteredCountry = useRegisteredCountry
        mmdb = handle
        databaseType = handle.pointee.metadata.database_type.map { String(cString: $0) } ?? "?"
        ipVersion = Int(handle.pointee.metadata.ip_version)
        nodeCount = Int(handle.pointee.metadata.node_count)
        buildEpoch = handle.pointee.metadata.build_epoch
    }

    private static func openVerified(_ path: String) throws(GeoDatabaseError) -> UnsafeMutablePointer<MMDB_s> {
        let handle = UnsafeMutablePointer<MMDB_s>.allocate(capacity: 1)
        let status = MMDB_open(path, UInt32(MMDB_MODE_MMAP), handle)
        guard status == MMDB_SUCCESS else {
            handle.deallocate()
            throw GeoDatabaseError(path: path, reason: String(cString: MMDB_strerror(status)))
        }
        if let problem = verify(handle) {
            MMDB_close(handle)
            handle.deallocate()
            throw GeoDatabaseError(path: path, reason: problem)
        }
        return handle
    }

    deinit {
        MMDB_close(mmdb)
        mmdb.deallocate()
    }

    /// Walks every node of the search tree and decodes every data record it points at.
    private static func verify(_ mmdb: UnsafeMutablePointer<MMDB_s>) -> String? {
        let meta = mmdb.pointee.metadata
        guard meta.ip_version == 4 || meta.ip_version == 6 else { return "unsupported ip_version \(meta.ip_version)" }
        guard [24, 28, 32].contains(meta.record_size) else { return "unsupported record_size \(meta.record_size)" }
        guard meta.binary_format_major_version == 2 else {
            return "unsupported format version \(meta.binary_format_major_version)"
        }
        // A build time past the year 9999 is corruption, not a date (and overflows time arithmetic).
        guard meta.build_epoch < 253_402_300_800 else { return "implausible build_epoch \(meta.build_epoch)" }
        guard meta.node_count > 0 else { return "empty search tree" }
        var checked = Set<UInt32>()
        var usable = 0
        var node = MMDB_search_node_s()
        for n in 0..<meta.node_count {
            let status = MMDB_read_node(mmdb, n, &node)
            guard status == MMDB_SUCCESS else {
                return "search tree node \(n): \(String(cString: MMDB_strerror(status)))"
            }
            for (type, entry) in [
                (node.left_record_type, node.left_record_entry), (node.right_record_type, node.right_record_entry),
            ] {
                switch Int32(type) {
                case MMDB_RECORD_TYPE_SEARCH_NODE, MMDB_RECORD_TYPE_EMPTY:
                    continue
                case MMDB_RECORD_TYPE_DATA:
                    guard checked.insert(entry.offset).inserted else { continue }
                    var e = entry
                    var list: UnsafeMutablePointer<MMDB_entry_data_list_s>? = nil
                    let s = MMDB_get_entry_data_list(&e, &list)
                    let topType = list.map { Int32($0.pointee.entry_data.type) }
                    MMDB_free_entry_data_list(list)
                    guard s == MMDB_SUCCESS else {
                        return "data record at offset \(entry.offset): \(String(cString: MMDB_strerror(s)))"
                    }
                    // Location databases hold maps (city/country/location); anything else is not one.
                    guard topType == MMDB_DATA_TYPE_MAP else {
                        return
                            "data record at offset \(entry.offset) is not a map (type \(topType ?? -1)); "
                            + "not a location database"
                    }
                    if hasLocationData(&e) { usable += 1 }
                default:
                    return "search tree node \(n) has an invalid record (points outside the file)"
                }
            }
        }
        // A file whose records carry nothing we can place a client with is not a GeoIP database.
        guard usable > 0 else { return "no record carries location, country, continent or region data" }
        return nil
    }

    private static func hasLocationData(_ entry: inout MMDB_entry_s) -> Bool {
        for key in ["location", "country", "registered_country", "continent", "formation_region"] {
            var data = MMDB_entry_data_s()
            let found = key.withCString { k -> Bool in
                var path: [UnsafePointer<CChar>?] = [k, nil]
                return path.withUnsafeMutableBufferPointer { MMDB_aget_value(&entry, &data, $0.baseAddress) }
                    == MMDB_SUCCESS && data.has_data
            }
            if found { return true }
        }
        return false
    }

    /// Looks up `address`. Returns the location (if the record has coordinates) and the prefix
    /// length of the network that matched, counted in the address's own family.
    public func lookup(_ address: IPAddress) -> (location: GeoLocation?, prefixLength: Int) {
        var error: Int32 = 0
        var result: MMDB_lookup_result_s
        if address.isIPv4 {
            var sa = sockaddr_in()
            sa.sin_family = sa_family_t(AF_INET)
            sa.sin_addr.s_addr = UInt32(truncatingIfNeeded: address.high >> 32).bigEndian
            result = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(mmdb, $0, &error) }
            }
        } else {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            withUnsafeMutableBytes(of: &sa.sin6_addr) { raw in
                for (i, b) in address.bytes.enumerated() { raw[i] = b }
            }
            result = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { MMDB_lookup_sockaddr(mmdb, $0, &error) }
            }
        }
        guard error == MMDB_SUCCESS else { return (nil, 0) }
        var prefix = Int(result.netmask)
        // An IPv4 address in an IPv6 tree is found under ::/96: count from the IPv4 root.
        if address.isIPv4 && ipVersion == 6 { prefix = max(0, prefix - 96) }
        guard result.found_entry else { return (nil, prefix) }
        var entry = result.entry
        return (location(&entry), prefix)
    }

    /// One side of a search-tree node: another node, a data record, or nothing.
    public enum TreeRecord: Sendable, Equatable {
        case node(Int)
        case data(offset: UInt32)
        case empty
    }

    /// The two records of search-tree node `index` (left: bit 0), or nil if it cannot be read.
    public func treeNode(_ index: Int) -> (left: TreeRecord, right: TreeRecord)? {
        guard index >= 0, index < nodeCount else { return nil }
        var node = MMDB_search_node_s()
        guard MMDB_read_node(mmdb, UInt32(index), &node) == MMDB_SUCCESS else { return nil }
        func record(_ type: UInt8, _ value: UInt64, _ entry: MMDB_entry_s) -> TreeRecord {
            switch Int32(type) {
            case MMDB_RECORD_TYPE_SEARCH_NODE: return .node(Int(value))
            case MMDB_RECORD_TYPE_DATA: return .data(offset: entry.offset)
            default: return .empty
            }
        }
        return (
            record(node.left_record_type, node.left_record, node.left_record_entry),
            record(node.right_record_type, node.right_record, node.right_record_entry)
        )
    }

    /// Where an IPv4 address's lookup starts: the root of an IPv4 tree, or the node 96 zero bits
    /// down an IPv6 tree (::/96). Nil if the IPv6 tree holds no IPv4 data.
    public var ipv4Start: Int? {
        guard ipVersion == 6 else { return 0 }
        var index = 0
        for _ in 0..<96 {
            guard let n = treeNode(index), case .node(let next) = n.left else { return nil }
            index = next
        }
        return index
    }

    /// The location a data record gives (what `lookup` returns for addresses that reach it).
    public func location(dataOffset: UInt32) -> GeoLocation? {
        var entry = MMDB_entry_s(mmdb: UnsafePointer(mmdb), offset: dataOffset)
        return location(&entry)
    }

    private func location(_ entry: inout MMDB_entry_s) -> GeoLocation? {
        // `registered_country` is where the network is registered, not where the client is: used
        // only when the record has no `country` and the operator has not turned it off.
        let country =
            string(&entry, ["country", "iso_code"])
            ?? (useRegisteredCountry ? string(&entry, ["registered_country", "iso_code"]) : nil)
        let region = string(&entry, ["formation_region"]) ?? string(&entry, ["continent", "code"])
        let city = string(&entry, ["city", "names", "en"])
        guard let lat = double(&entry, ["location", "latitude"]), let lon = double(&entry, ["location", "longitude"])
        else {
            // A Country database: no coordinates, but country and continent still place the client.
            guard country != nil || region != nil else { return nil }
            return GeoLocation(latitude: .nan, longitude: .nan, country: country, region: region, city: city)
        }
        return GeoLocation(latitude: lat, longitude: lon, country: country, region: region, city: city)
    }

    private func value(_ entry: inout MMDB_entry_s, _ path: [String]) -> MMDB_entry_data_s? {
        var data = MMDB_entry_data_s()
        let cStrings = path.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = cStrings.map { UnsafePointer($0) } + [nil]
        let status = pointers.withUnsafeMutableBufferPointer { MMDB_aget_value(&entry, &data, $0.baseAddress) }
        guard status == MMDB_SUCCESS, data.has_data else { return nil }
        return data
    }

    private func double(_ entry: inout MMDB_entry_s, _ path: [String]) -> Double? {
        guard let d = value(&entry, path) else { return nil }
        switch Int32(d.type) {
        case MMDB_DATA_TYPE_DOUBLE: return d.double_value
        case MMDB_DATA_TYPE_FLOAT: return Double(d.float_value)
        default: return nil
        }
    }

    private func string(_ entry: inout MMDB_entry_s, _ path: [String]) -> String? {
        guard let d = value(&entry, path), Int32(d.type) == MMDB_DATA_TYPE_UTF8_STRING, let p = d.utf8_string else {
            return nil
        }
        // Strings in the file are not NUL-terminated: copy exactly data_size octets.
        let bytes = UnsafeRawBufferPointer(start: p, count: Int(d.data_size))
        return String(decoding: bytes, as: UTF8.self)
    }
}
