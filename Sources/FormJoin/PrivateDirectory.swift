import Foundation
#if canImport(Glibc)
    import Glibc
#endif

/// A directory that only we can write, used through one descriptor opened and checked once: the
/// cache lives here.
///
/// The checks stop another local user from making us write where they choose or read what they
/// planted (issue 19): the directory is not a symbolic link, is owned by our effective uid and is
/// not writable by group or others. Files are opened relative to the checked descriptor, never
/// through a symbolic link, so swapping a path component afterwards changes nothing.
final class PrivateDirectory {
    let path: String
    let fd: Int32

    /// Opens `path`, creating it (and missing parents) with mode 0700 if `create` is set.
    init(path: String, create: Bool) throws(JoinError) {
        self.path = path
        if create { Self.makeDirectories(path) }
        fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            if e == ELOOP || e == ENOTDIR {
                var st = stat()
                if lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK {
                    throw JoinError.badInput("\(path) is a symbolic link, not a directory: not used")
                }
            }
            throw JoinError.badInput("\(path): \(String(cString: strerror(e)))")
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw JoinError.badInput("\(path): \(String(cString: strerror(errno)))") }
        let me = geteuid()
        guard st.st_uid == me else {
            throw JoinError.badInput("\(path) is owned by uid \(st.st_uid), not by us (uid \(me)): not used")
        }
        guard st.st_mode & (S_IWGRP | S_IWOTH) == 0 else {
            let mode = String(st.st_mode & 0o7777, radix: 8)
            throw JoinError.badInput("\(path) is writable by group or others (mode \(mode)): not used")
        }
    }

    // If an initializer throws after `fd` is set, deinit still runs and closes it (once).
    deinit { if fd >= 0 { close(fd) } }

    /// mkdir -p with mode 0700 for what is missing; existing directories are left as they are
    /// (the final one is checked by `init`).
    static func makeDirectories(_ path: String) {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST { return }
        }
    }

    /// The contents of `name`, nil if it does not exist. Refused (with the reason) if it is a
    /// symbolic link or not a regular file, or if it is not ours or writable by others.
    func read(_ name: String, reader: PeerListReader) throws(JoinError) -> Data? {
        let file = openat(fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard file >= 0 else {
            let e = errno
            if e == ENOENT { return nil }
            if e == ELOOP { throw reader.fail("is a symbolic link: not used") }
            throw reader.fail("cannot read: \(String(cString: strerror(e)))")
        }
        defer { close(file) }
        var st = stat()
        guard fstat(file, &st) == 0 else { throw reader.fail("cannot read: \(String(cString: strerror(errno)))") }
        guard st.st_mode & S_IFMT == S_IFREG else { throw reader.fail("not a regular file: not used") }
        let me = geteuid()
        guard st.st_uid == me else { throw reader.fail("owned by uid \(st.st_uid), not by us (uid \(me)): not used") }
        guard st.st_mode & (S_IWGRP | S_IWOTH) == 0 else { throw reader.fail("writable by group or others: not used") }
        return try reader.readAll(file)
    }

    /// Replaces `name` with `data` atomically: a new, randomly named file created exclusively
    /// (O_CREAT|O_EXCL|O_NOFOLLOW, 0600, so nothing planted is followed or reused), written,
    /// fsynced, renamed over `name`, and the directory fsynced so the rename survives a crash.
    func writeAtomically(_ name: String, _ data: Data) throws(JoinError) {
        let tmp = ".\(name).\(String(UInt64.random(in: 0...UInt64.max), radix: 36)).tmp"
        let file = openat(fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard file >= 0 else { throw failure("create \(tmp)", errno) }
        var ok = false
        defer { if !ok { unlinkat(fd, tmp, 0) } }
        do {
            defer { close(file) }
            var offset = 0
            while offset < data.count {
                let n = data.withUnsafeBytes { write(file, $0.baseAddress! + offset, data.count - offset) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw failure("write \(tmp)", errno) }
                offset += n
            }
            guard fsync(file) == 0 else { throw failure("fsync \(tmp)", errno) }
        }
        guard renameat(fd, tmp, fd, name) == 0 else { throw failure("rename to \(name)", errno) }
        ok = true
        _ = fsync(fd)
    }

    func failure(_ what: String, _ e: Int32) -> JoinError {
        .badInput("\(path): \(what): \(String(cString: strerror(e)))")
    }
}
