import GeoIP
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// GeoIP databases and network maps as last loaded, by path, kept while the file is the same
/// (device, inode, size, modification time): a configuration change that does not touch them
/// does not open, verify and parse them again. An edited or replaced file is loaded anew, so a
/// SIGHUP still picks it up.
final class LoadedFiles: Sendable {
    static let shared = LoadedFiles()

    struct Stamp: Equatable {
        var device: UInt64
        var inode: UInt64
        var size: Int64
        var modified: Int64
        var modifiedNanoseconds: Int64

        init?(path: String) {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            device = UInt64(s.st_dev)
            inode = UInt64(s.st_ino)
            size = Int64(s.st_size)
            modified = Int64(s.st_mtim.tv_sec)
            modifiedNanoseconds = Int64(s.st_mtim.tv_nsec)
        }
    }

    private let databases = Mutex<[String: (Stamp, Bool, GeoDatabase)]>([:])
    private let maps = Mutex<[String: (Stamp, [NetworkMap.Entry])]>([:])

    func database(path: String, useRegisteredCountry: Bool) throws(GeoDatabaseError) -> GeoDatabase {
        let stamp = Stamp(path: path)
        if let stamp, let (s, registered, db) = databases.withLock({ $0[path] }), s == stamp,
            registered == useRegisteredCountry
        {
            return db
        }
        let db = try GeoDatabase(path: path, useRegisteredCountry: useRegisteredCountry)
        if let stamp { databases.withLock { $0[path] = (stamp, useRegisteredCountry, db) } }
        return db
    }

    func networkMap(path: String) throws(ConfigErrors) -> [NetworkMap.Entry] {
        let stamp = Stamp(path: path)
        if let stamp, let (s, entries) = maps.withLock({ $0[path] }), s == stamp { return entries }
        let entries = try NetworkMapFile.load(path: path).rows.map {
            NetworkMap.Entry(network: $0.network, location: $0.location)
        }
        if let stamp { maps.withLock { $0[path] = (stamp, entries) } }
        return entries
    }
}
