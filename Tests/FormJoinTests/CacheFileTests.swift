import DNSWire
@testable import FormJoin
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19.1: the cache must not let another local user make us overwrite a file or read a
/// planted peer set. These tests plant what such a user would (we run as root, so chown works).
@Suite struct CacheFileTests {
    static let cache = PeerCacheFile(name: "entry.test.", savedAt: Date(timeIntervalSince1970: 1_700_000_000),
                                     peers: [PeerInfo(id: "n1", ipv4: "192.0.2.1", port: 51820)])
    static let otherUID: uid_t = 54321

    func contents(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

    @Test func writesThenReadsBackWithPrivateModes() throws {
        let root = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/a/b/form-join/peers.json"   // missing directories are created, 0700
        try Self.cache.save(path: path)
        let loaded = try #require(try PeerCacheFile.load(path: path))
        #expect(loaded.name == "entry.test." && loaded.peers == Self.cache.peers)
        #expect(loaded.savedAt == Self.cache.savedAt)
        var st = stat()
        stat(root + "/a/b/form-join", &st)
        #expect(st.st_mode & 0o777 == 0o700)
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        // Nothing but the cache is left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/a/b/form-join") == ["peers.json"])
        #expect(try PeerCacheFile.load(path: root + "/a/b/form-join/none.json") == nil)
        #expect(try PeerCacheFile.load(path: root + "/nowhere/peers.json") == nil)
    }

    /// The old code wrote `peers.json.tmp` with a plain open, following a symlink planted there.
    @Test func aSymlinkAtThePredictableTemporaryNameIsNotFollowed() throws {
        let dir = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let victim = dir + "/victim"
        try "precious".write(toFile: victim, atomically: true, encoding: .utf8)
        symlink(victim, dir + "/peers.json.tmp")
        try Self.cache.save(path: dir + "/peers.json")
        #expect(contents(victim) == "precious")
        #expect(try PeerCacheFile.load(path: dir + "/peers.json")?.peers == Self.cache.peers)
    }

    @Test func aSymlinkAtTheCacheNameIsNeitherReadNorWrittenThrough() throws {
        let dir = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let planted = dir + "/planted.json"
        try Self.cache.save(path: planted)
        let victim = dir + "/victim"
        try "precious".write(toFile: victim, atomically: true, encoding: .utf8)
        symlink(planted, dir + "/peers.json")
        let error = #expect(throws: JoinError.self) { try PeerCacheFile.load(path: dir + "/peers.json") }
        #expect(error?.description == "cache \(dir)/peers.json: is a symbolic link: not used")
        // Saving replaces the link itself (rename), never writes through it.
        unlink(dir + "/peers.json")
        symlink(victim, dir + "/peers.json")
        try Self.cache.save(path: dir + "/peers.json")
        #expect(contents(victim) == "precious")
        var st = stat()
        lstat(dir + "/peers.json", &st)
        #expect(st.st_mode & S_IFMT == S_IFREG)
    }

    /// The attack of issue 19.1: another user created the cache directory first.
    @Test func aDirectoryOwnedByAnotherUserIsRefused() throws {
        let root = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/form-join"
        mkdir(dir, 0o700)
        try Self.cache.save(path: dir + "/peers.json")
        #expect(chown(dir, Self.otherUID, Self.otherUID) == 0)
        let read = #expect(throws: JoinError.self) { try PeerCacheFile.load(path: dir + "/peers.json") }
        let owner = "\(dir) is owned by uid \(Self.otherUID), not by us (uid \(geteuid())): not used"
        #expect(read?.description.contains(owner) == true, "\(String(describing: read))")
        let write = #expect(throws: JoinError.self) { try Self.cache.save(path: dir + "/peers.json") }
        #expect(write?.description.contains("is owned by uid \(Self.otherUID)") == true, "\(String(describing: write))")
    }

    @Test(arguments: [0o777, 0o1777, 0o770, 0o720])
    func aDirectoryOthersCanWriteIsRefused(mode: Int) throws {
        let dir = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.cache.save(path: dir + "/peers.json")
        chmod(dir, mode_t(mode))
        let read = #expect(throws: JoinError.self) { try PeerCacheFile.load(path: dir + "/peers.json") }
        let why = "is writable by group or others (mode \(String(mode, radix: 8))): not used"
        #expect(read?.description.contains(why) == true, "\(String(describing: read))")
        #expect(throws: JoinError.self) { try Self.cache.save(path: dir + "/peers.json") }
    }

    @Test func aSymlinkedDirectoryIsRefused() throws {
        let root = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: root) }
        mkdir(root + "/real", 0o700)
        symlink(root + "/real", root + "/form-join")
        let error = #expect(throws: JoinError.self) { try Self.cache.save(path: root + "/form-join/peers.json") }
        #expect(error?.description.contains("\(root)/form-join is a symbolic link, not a directory") == true,
                "\(String(describing: error))")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/real").isEmpty)
    }

    /// A cache file planted by (or left to) another user is not read.
    @Test func aCacheFileNotOursIsRefused() throws {
        let dir = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.cache.save(path: dir + "/peers.json")
        chown(dir + "/peers.json", Self.otherUID, Self.otherUID)
        let error = #expect(throws: JoinError.self) { try PeerCacheFile.load(path: dir + "/peers.json") }
        #expect(error?.description
                == "cache \(dir)/peers.json: owned by uid \(Self.otherUID), not by us (uid \(geteuid())): not used")
        chown(dir + "/peers.json", geteuid(), getegid())
        chmod(dir + "/peers.json", 0o666)
        #expect(throws: JoinError.self) { try PeerCacheFile.load(path: dir + "/peers.json") }
    }

    @Test func aCorruptCacheSaysWhatIsWrong() throws {
        let dir = temporaryDirectory("cache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let fd = open(dir + "/peers.json", O_WRONLY | O_CREAT, 0o600)
        let text = #"{"schema_version": 1, "name": "e.test.", "saved_at": "yesterday", "peers": []}"#
        _ = text.withCString { write(fd, $0, strlen($0)) }
        close(fd)
        let error = #expect(throws: JoinError.self) { try PeerCacheFile.load(path: dir + "/peers.json") }
        #expect(error?.description
                == #"cache \#(dir)/peers.json: "saved_at" must be an ISO 8601 time such as 2026-11-26T15:00:57Z"#)
    }

    /// With neither XDG_CACHE_HOME nor HOME (a root service unit) the cache was /tmp/.cache/form-join.
    @Test func theDefaultPathIsNeverASharedTemporaryDirectory() {
        let path = PeerCacheFile.defaultPath(environment:euid:)
        #expect(path([:], 0) == "/var/lib/form-join/peers.json")
        #expect(path([:], 1000) == nil)
        #expect(path(["XDG_CACHE_HOME": "relative"], 1000) == nil)
        #expect(path(["HOME": "/home/u"], 1000) == "/home/u/.cache/form-join/peers.json")
        #expect(path(["HOME": "/home/u", "XDG_CACHE_HOME": "/c"], 1000) == "/c/form-join/peers.json")
        #expect(path(["STATE_DIRECTORY": "/var/lib/fj:/var/lib/other", "HOME": "/root"], 0) == "/var/lib/fj/peers.json")
    }
}
