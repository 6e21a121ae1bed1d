import DNSWire
import Foundation
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

/// Reads the JSON files form-join is given (a static bootstrap list, the last-known-good cache)
/// and says what is wrong in words: the file, the peer and the field, never a bare DecodingError.
/// Unknown fields are ignored (schema_version 1 only ever adds fields).
struct PeerListReader {
    /// How the file is named in messages: its path, or where the path came from.
    let source: String

    /// Bootstrap and cache files are small; anything bigger is not one of them.
    static let maxBytes = 1 << 20

    func fail(_ what: String) -> JoinError { .badInput("\(source): \(what)") }

    /// The file's bytes, with the reason in words if it cannot be read.
    func readFile(_ path: String) throws(JoinError) -> Data {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw fail("cannot read: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail("cannot read: \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw fail("not a regular file") }
        return try readAll(fd)
    }

    /// Everything from `fd`, at most `maxBytes`.
    func readAll(_ fd: Int32) throws(JoinError) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw fail("cannot read: \(String(cString: strerror(errno)))") }
            if n == 0 { return data }
            data.append(contentsOf: buffer[0..<n])
            guard data.count <= Self.maxBytes else { throw fail("larger than \(Self.maxBytes) bytes: not a peer list") }
        }
    }

    /// `{"schema_version": 1, "peers": [...]}`.
    func bootstrap(_ data: Data) throws(JoinError) -> BootstrapList {
        let object = try topLevel(data, shape: #"{"schema_version": 1, "peers": [...]}"#)
        return BootstrapList(schemaVersion: try schemaVersion(object), peers: try peers(object))
    }

    /// `{"schema_version": 1, "name": "...", "saved_at": "...", "peers": [...]}`.
    func cache(_ data: Data) throws(JoinError) -> PeerCacheFile {
        let object = try topLevel(data, shape: #"{"schema_version": 1, "name": ..., "saved_at": ..., "peers": [...]}"#)
        _ = try schemaVersion(object)
        guard let name = object["name"] as? String else {
            throw fail("\"name\" must be the name the cache was written for")
        }
        guard let text = object["saved_at"] as? String, let savedAt = ISO8601DateFormatter().date(from: text) else {
            throw fail("\"saved_at\" must be an ISO 8601 time such as 2026-11-26T15:00:57Z")
        }
        // Which peers DNSSEC vouched for; a cache from before DNSSEC has none.
        let dnssec = object["dnssec"].map { $0 as? [String] }
        guard let vouched = dnssec ?? [] else { throw fail("\"dnssec\" must be a list of peer ids") }
        return PeerCacheFile(name: name, savedAt: savedAt, peers: try peers(object), dnssec: vouched)
    }

    func topLevel(_ data: Data, shape: String) throws(JoinError) -> [String: Any] {
        guard !data.isEmpty else { throw fail("the file is empty; expected \(shape)") }
        guard String(data: data, encoding: .utf8) != nil else {
            throw fail("not UTF-8 text (a binary file?); expected \(shape)")
        }
        let value: Any
        do { value = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            let why = ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String).map { " (\($0))" } ?? ""
            throw fail("not valid JSON\(why)")
        }
        guard let object = value as? [String: Any] else {
            throw fail("the top level is \(Self.kind(value)); expected \(shape)")
        }
        return object
    }

    func schemaVersion(_ object: [String: Any]) throws(JoinError) -> Int {
        guard let raw = object["schema_version"] else { throw fail("\"schema_version\" is missing (expected 1)") }
        guard let version = Self.integer(raw) else {
            throw fail("\"schema_version\" is \(Self.kind(raw)), expected the number 1")
        }
        guard version == 1 else { throw fail("unsupported schema_version \(version) (this form-join reads 1)") }
        return version
    }

    func peers(_ object: [String: Any]) throws(JoinError) -> [PeerInfo] {
        guard let raw = object["peers"] else { throw fail("\"peers\" is missing (expected a list of peers)") }
        guard let list = raw as? [Any] else { throw fail("\"peers\" is \(Self.kind(raw)), expected a list of peers") }
        var out: [PeerInfo] = []
        var seen: [String: Int] = [:]
        for (i, item) in list.enumerated() {
            let p = try peer(item, index: i)
            if let first = seen[p.id] {
                throw fail("peers[\(i)] \"\(p.id)\": the id is already used by peers[\(first)]")
            }
            seen[p.id] = i
            out.append(p)
        }
        return out
    }

    /// One peer, every field checked: the message names the peer (index and id) and the field.
    func peer(_ value: Any, index: Int) throws(JoinError) -> PeerInfo {
        guard let o = value as? [String: Any] else {
            throw fail("peers[\(index)] is \(Self.kind(value)), expected an object")
        }
        guard let idValue = o["id"] else { throw fail("peers[\(index)]: \"id\" is missing") }
        guard let id = idValue as? String, !id.isEmpty else {
            throw fail("peers[\(index)]: \"id\" is \(Self.kind(idValue)), expected a non-empty string")
        }
        let label = "peers[\(index)] \"\(id)\""
        /// `"key" is ...` (the field is missing or of the wrong kind).
        func field(_ key: String, _ what: String) -> JoinError {
            fail("\(label): \"\(key)\" \(what)")
        }
        /// `"key": "value" is not ...` (the field has a value that is wrong).
        func wrong(_ key: String, _ what: String) -> JoinError {
            fail("\(label): \"\(key)\": \(what)")
        }
        func optionalString(_ key: String) throws(JoinError) -> String? {
            guard let v = o[key], !(v is NSNull) else { return nil }
            guard let s = v as? String else { throw field(key, "is \(Self.kind(v)), expected a string or null") }
            return s
        }
        let v4 = try optionalString("ipv4")
        if let v4, IPAddressText.parseIPv4(v4) == nil {
            let hint = IPAddressText.parseIPv6(v4) != nil ? " (an IPv6 address belongs in \"ipv6\")" : ""
            throw wrong("ipv4", "\"\(v4)\" is not an IPv4 address\(hint)")
        }
        let v6 = try optionalString("ipv6")
        if let v6, v6.contains("%") || IPAddressText.parseIPv6(v6) == nil {
            let hint = IPAddressText.parseIPv4(v6) != nil ? " (an IPv4 address belongs in \"ipv4\")" : ""
            throw wrong("ipv6", "\"\(v6)\" is not an IPv6 address\(hint)")
        }
        guard v4 != nil || v6 != nil else {
            throw fail("\(label): needs \"ipv4\" or \"ipv6\" (both are missing or null)")
        }
        guard let portValue = o["port"] else { throw field("port", "is missing (expected 1...65535)") }
        guard let port = Self.integer(portValue) else {
            throw field("port", "is \(Self.kind(portValue)), expected a number in 1...65535")
        }
        guard (1...65535).contains(port) else { throw wrong("port", "\(port) is not a port (expected 1...65535)") }
        let key = try optionalString("public_key")
        if let key, Data(base64Encoded: key)?.count != 32 {
            throw wrong("public_key", "\"\(key)\" is not a WireGuard public key (base64 of 32 octets)")
        }
        let internalEndpoint = try optionalString("internal_endpoint")
        // A bare address gets defaultPort -1, which parse rejects: the port is required here.
        if let internalEndpoint, HostPortText.parse(internalEndpoint, defaultPort: -1) == nil {
            throw wrong("internal_endpoint", "\"\(internalEndpoint)\" is not ADDRESS:PORT (e.g. 10.42.0.11:51820)")
        }
        let region = try optionalString("region")
        return PeerInfo(
            id: id, ipv4: v4, ipv6: v6, port: UInt16(port), publicKey: key,
            internalEndpoint: internalEndpoint, region: region)
    }

    /// An integral JSON number (not true/false, not 1.5).
    static func integer(_ value: Any) -> Int? {
        guard let n = value as? NSNumber, !isBool(n) else { return nil }
        let d = n.doubleValue
        guard d.rounded() == d, abs(d) < 1e15 else { return nil }
        return Int(d)
    }

    static func isBool(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    /// A JSON value's kind in words, for messages.
    static func kind(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let s as String: return "the string \"\(s.prefix(40))\""
        case let n as NSNumber: return isBool(n) ? "\(n.boolValue)" : "the number \(n)"
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        default: return "\(type(of: value))"
        }
    }
}
