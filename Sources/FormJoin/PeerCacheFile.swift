import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// The last-known-good peer set, written after each discovery through DNS, with the name it was
/// found for (a cache written for another name is not used).
///
/// The file lives in a directory only we can write (see `PrivateDirectory`): never a shared
/// temporary directory, never through a symbolic link, never a file another user owns.
public struct PeerCacheFile: Codable, Sendable {
    public var schemaVersion = 1
    public var name: String
    public var savedAt: Date
    public var peers: [PeerInfo]
    /// Ids of the peers found through DNSSEC-validated answers: read back as "cache-of-dnssec",
    /// every other cached peer as "none". A cache never makes a peer more trusted than it was.
    public var dnssec: [String]

    enum CodingKeys: String, CodingKey {
        case name, peers, dnssec
        case schemaVersion = "schema_version"
        case savedAt = "saved_at"
    }

    public init(name: String, savedAt: Date, peers: [PeerInfo], dnssec: [String] = []) {
        self.name = name
        self.savedAt = savedAt
        self.peers = peers
        self.dnssec = dnssec
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        name = try c.decode(String.self, forKey: .name)
        savedAt = try c.decode(Date.self, forKey: .savedAt)
        peers = try c.decode([PeerInfo].self, forKey: .peers)
        // Caches written before DNSSEC have no list: none of their peers was authenticated.
        dnssec = try c.decodeIfPresent([String].self, forKey: .dnssec) ?? []
    }

    /// How a cached peer was authenticated when it was found.
    public func authentication(of peer: PeerInfo) -> Authentication {
        dnssec.contains(peer.id) ? .cacheOfDNSSEC : .none
    }

    /// The cache at `path`: nil if there is none yet; an error (in words) if the file, its
    /// directory or its contents cannot be trusted or read.
    public static func load(path: String) throws(JoinError) -> PeerCacheFile? {
        let (dir, file) = split(path)
        let reader = PeerListReader(source: "cache \(path)")
        let directory: PrivateDirectory
        do { directory = try PrivateDirectory(path: dir, create: false) } catch {
            if case .badInput = error, access(dir, F_OK) != 0 { return nil }  // no directory: no cache yet
            throw JoinError.badInput("cache \(path): \(error)")
        }
        guard let data = try directory.read(file, reader: reader) else { return nil }
        return try reader.cache(data)
    }

    /// Writes the cache (creating its directory, mode 0700, if needed); see `PrivateDirectory`.
    public func save(path: String) throws(JoinError) {
        let e = JSONEncoder()
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do { data = try e.encode(self) } catch { throw JoinError.badInput("cache \(path): \(error)") }
        let (dir, file) = Self.split(path)
        do { try PrivateDirectory(path: dir, create: true).writeAtomically(file, data) } catch {
            throw JoinError.badInput("cache \(path) not written: \(error)")
        }
    }

    public static func split(_ path: String) -> (directory: String, file: String) {
        guard let slash = path.lastIndex(of: "/") else { return (".", path) }
        let dir = String(path[..<slash])
        return (dir.isEmpty ? "/" : dir, String(path[path.index(after: slash)...]))
    }

    /// The default cache file, or nil when there is no private place for it:
    /// `$STATE_DIRECTORY/peers.json` (systemd's `StateDirectory=form-join`), else
    /// `$XDG_CACHE_HOME/form-join/peers.json`, else `$HOME/.cache/form-join/peers.json`, else, for
    /// root, `/var/lib/form-join/peers.json`. Never a shared temporary directory.
    public static var defaultPath: String? {
        defaultPath(environment: ProcessInfo.processInfo.environment, euid: geteuid())
    }

    public static func defaultPath(environment env: [String: String], euid: uid_t) -> String? {
        // Relative values are ignored, as the XDG spec says.
        func absolute(_ value: String?) -> String? { value.flatMap { $0.hasPrefix("/") ? $0 : nil } }
        // systemd lists several directories separated by colons when the unit names several.
        if let state = absolute(env["STATE_DIRECTORY"]?.split(separator: ":").first.map(String.init)) {
            return state + "/peers.json"
        }
        if let xdg = absolute(env["XDG_CACHE_HOME"]) { return xdg + "/form-join/peers.json" }
        if let home = absolute(env["HOME"]) { return home + "/.cache/form-join/peers.json" }
        if euid == 0 { return "/var/lib/form-join/peers.json" }
        return nil
    }
}
