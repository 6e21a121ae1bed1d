import Foundation

/// A PostgreSQL server of the test's own: Debian's binaries, a fresh data directory, a port on
/// 127.0.0.1, trust authentication for user `form`. Never the system's cluster. Running as root,
/// the server runs as the `postgres` user (initdb refuses root).
public final class TestPostgres: Sendable {
    public let directory: String
    public let port: Int
    public let database = "formdns"

    public var url: String { "postgresql://form@127.0.0.1:\(port)/\(database)?sslmode=disable" }

    /// Addresses the server listens on.
    public let listen: [String]

    /// Makes the cluster and starts it on `port` at `listen`, trusting user `form` from loopback
    /// and from `trusting` (networks of the test's own namespaces).
    public init(port: Int, listen: [String] = ["127.0.0.1"], trusting: [String] = []) throws {
        self.port = port
        self.listen = listen
        directory = NSTemporaryDirectory() + "form-pg-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.chown(directory)
        try run("initdb", ["-D", directory + "/data", "-U", "form", "--auth=trust", "-E", "UTF8", "--no-sync"])
        if !trusting.isEmpty {
            let hba = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/data/pg_hba.conf"))
            hba.seekToEndOfFile()
            hba.write(Data(trusting.map { "host all form \($0) trust\n" }.joined().utf8))
            try hba.close()
        }
        try start()
        try watch()
        try run("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "form", database])
    }

    deinit { try? stop(mode: "immediate") }

    /// Statics are never deinitialised, and a crashed test runs no cleanup: a watchdog stops the
    /// server within a second of this process ending, however it ends.
    func watch() throws {
        let pgCtl = try Self.binary("pg_ctl")
        let stop = (getuid() == 0 ? "/usr/sbin/runuser -u postgres -- " : "") + pgCtl
        let script =
            "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop) -D \(directory)/data -m immediate stop"
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = [String](["/bin/sh", "-c", script]).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd: Int32 in [0, 1, 2] { posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_RDWR, 0) }
        let rc = posix_spawn(&pid, "/bin/sh", &actions, nil, &argv, environ)
        guard rc == 0 else { throw TestPostgresError("cannot start the watchdog: \(String(cString: strerror(rc)))") }
    }

    public func start() throws {
        try run(
            "pg_ctl",
            [
                "-D", directory + "/data", "-l", directory + "/log", "-w", "-t", "30", "-o",
                "-p \(port) -k \(directory) -c listen_addresses=\(listen.joined(separator: ",")) -c fsync=off", "start",
            ])
    }

    /// Stops the server (`immediate`: as a crash would, without a checkpoint).
    public func stop(mode: String = "fast") throws {
        try run("pg_ctl", ["-D", directory + "/data", "-m", mode, "-w", "stop"])
    }

    /// Runs `sql` with psql; its output, unaligned and without headers.
    @discardableResult
    public func psql(_ sql: String) throws -> String { try psql(in: database, sql) }

    /// Runs `sql` in database `name`.
    @discardableResult
    public func psql(in name: String, _ sql: String) throws -> String {
        try run("psql", ["-h", "127.0.0.1", "-p", String(port), "-U", "form", "-d", name, "-At", "-c", sql])
    }

    @discardableResult
    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let path = try Self.binary(tool)
        let argv = getuid() == 0 ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + arguments : [path] + arguments
        let outPath = NSTemporaryDirectory() + "form-pg-run-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        let (status, text) = try Self.spawn(argv, output: outPath, timeout: 90)
        guard status == 0 else {
            throw TestPostgresError("\(tool) \(arguments.joined(separator: " ")) failed (\(status)): \(text)")
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// posix_spawn and waitpid, output to a file. Not Foundation's Process: its exit watch was
    /// seen never to notice runuser ending once pg_ctl had left a server behind.
    static func spawn(_ argv: [String], output: String, timeout: Double) throws -> (Int32, String) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for a in cArgs { free(a) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, argv[0], &actions, nil, &cArgs, environ)
        guard rc == 0 else { throw TestPostgresError("cannot start \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Date() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                throw TestPostgresError("\(argv.joined(separator: " ")) still ran after \(Int(timeout)) s")
            }
            usleep(5_000)
        }
        let text = String(decoding: FileManager.default.contents(atPath: output) ?? Data(), as: UTF8.self)
        // WIFEXITED / WEXITSTATUS, which Swift does not import as functions.
        return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), text)
    }

    /// Debian keeps the server's tools in /usr/lib/postgresql/VERSION/bin.
    static func binary(_ tool: String) throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap(Int.init).sorted(by: >)
        for v in versions where FileManager.default.isExecutableFile(atPath: "\(root)/\(v)/bin/\(tool)") {
            return "\(root)/\(v)/bin/\(tool)"
        }
        throw TestPostgresError("no \(tool) in \(root)/*/bin: install Debian's postgresql (scripts/install-deps)")
    }

    static func chown(_ path: String) throws {
        guard getuid() == 0 else { return }
        guard let user = getpwnam("postgres") else { throw TestPostgresError("no postgres user") }
        guard Foundation.chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw TestPostgresError("cannot give \(path) to postgres")
        }
    }
}

public struct TestPostgresError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Blocking work (starting servers, waiting on processes) on a thread of its own, awaited
/// without holding one of the test pool's few threads, which the async tests beside it need.
public enum TestThreads {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
