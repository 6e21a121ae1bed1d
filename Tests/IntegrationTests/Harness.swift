import DNSWire
import Foundation
import NetAddress
import NIOCore
import TestFixtures
#if canImport(Glibc)
import Glibc
#endif

/// Test harness: real processes on loopback and a minimal blocking DNS client over real sockets.
enum Harness {
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    /// The `form-dns` built alongside the tests (same bin folder), or $FORM_DNS_BIN.
    static var formDNSBinary: String {
        if let env = ProcessInfo.processInfo.environment["FORM_DNS_BIN"] { return env }
        let testBinary = CommandLine.arguments[0]
        let dir = URL(fileURLWithPath: testBinary).deletingLastPathComponent()
        let candidates = [dir.appendingPathComponent("form-dns").path,
                          dir.deletingLastPathComponent().appendingPathComponent("form-dns").path,
                          packageRoot + "/.build/debug/form-dns"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
    }

    /// A file of MaxMind's test databases (`test-data/...`, `bad-data/...`): under `$FORM_GEOIP_TEST_DATA`
    /// when set, else `../shared/geoip-test-data` when present, else `.cache/geoip-test-data`, which
    /// `scripts/install-deps` unpacks from the pinned maxminddb sdist (Docs/third-party-test-data.md).
    static func geoTestData(_ relativePath: String) throws -> String {
        let env = ProcessInfo.processInfo.environment["FORM_GEOIP_TEST_DATA"]
        let shared = URL(fileURLWithPath: packageRoot + "/../shared/geoip-test-data").standardized.path
        let candidates = env.map { [$0] } ?? [shared, packageRoot + "/.cache/geoip-test-data"]
        let isData = { (dir: String) in
            FileManager.default.fileExists(atPath: dir + "/test-data/GeoIP2-City-Test.mmdb")
        }
        guard let root = candidates.first(where: isData) else {
            let tried = candidates.joined(separator: " or ")
            throw HarnessError("GeoIP test data not found in \(tried): run scripts/install-deps")
        }
        return root + "/" + relativePath
    }

    /// Set by scripts/test for its first pass (every test at once): the heaviest integration tests
    /// wait for the release pass, which runs only the integration tests.
    static var skipHeavyTests: Bool { ProcessInfo.processInfo.environment["FORM_SKIP_HEAVY_TESTS"] == "1" }

    static func tempDirectory() -> String {
        let path = NSTemporaryDirectory() + "form-dns-test-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Runs a command to completion (`ChildProcess.run`): exit status and combined output; a command
    /// still running after `timeout` seconds is killed and the call throws with its output so far, so
    /// a server that starts when it should refuse fails its test instead of hanging the suite.
    @discardableResult
    static func run(_ executable: String, _ args: [String], timeout: TimeInterval = 30,
                    environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let path = executable.hasPrefix("/") ? executable : try which(executable)
        return try ChildProcess.run(path, args, environment: environment, timeout: timeout)
    }

    /// unbound.conf for a resolver on `interface`:`port` that asks form-dns on `upstreamHost`:`upstream`
    /// for `zone` (a stub zone), answering the clients of `clients`; with `trustAnchorDS` ("TAG ALG
    /// TYPE DIGEST") it validates from it.
    static func unboundConfig(
        port: Int, upstream: Int, directory dir: String, trustAnchorDS: [String]? = nil,
        interface: String = "127.0.0.1", upstreamHost: String = "127.0.0.1", clients: String = "127.0.0.0/8",
        zone: String = "formation.test"
    ) -> String {
        let validating = trustAnchorDS.map { ds in
            """
                trust-anchor: "formation.test. DS \(ds.joined(separator: " "))"
                domain-insecure: "sub.formation.test"
                val-log-level: 2
                verbosity: 1

            """
        } ?? ""
        return """
        server:
            interface: \(interface)
            port: \(port)
            do-daemonize: no
            username: ""
            chroot: ""
            directory: "\(dir)"
            pidfile: "\(dir)/unbound.pid"
            use-syslog: no
            logfile: ""
            do-not-query-localhost: no
            access-control: \(clients) allow
            module-config: "\(trustAnchorDS == nil ? "iterator" : "validator iterator")"
            qname-minimisation: no
            # unbound answers the RFC 6761 name "test." itself by default; hand it to the stub.
            local-zone: "test." nodefault
        \(validating)remote-control:
            control-enable: no
        stub-zone:
            name: "\(zone)"
            stub-addr: \(upstreamHost)@\(upstream)
        """
    }

    static func which(_ tool: String) throws -> String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        // ~/.cargo/bin: where rustup puts cargo (scripts/install-deps falls back to Debian's).
        for dir in ["/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin", home + "/.cargo/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        throw HarnessError("\(tool) is not installed (bash .ci/run installs it)")
    }

    /// A port free for both UDP and TCP on 127.0.0.1 right now.
    static func freePort() -> Int {
        for _ in 0..<50 {
            let port = Int.random(in: 20000...60000)
            if canBind(port, Int32(SOCK_DGRAM.rawValue)) && canBind(port, Int32(SOCK_STREAM.rawValue)) { return port }
        }
        return 0
    }

    private static func canBind(_ port: Int, _ type: Int32) -> Bool {
        let fd = socket(AF_INET, type, 0)
        defer { close(fd) }
        return (try? SockaddrText.with(host: "127.0.0.1", port: UInt16(port)) { bind(fd, $0, $1) }) == 0
    }
}


struct HarnessError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}

/// A server process started for a test and stopped when the test is done.
final class ServerProcess {
    let process: ChildProcess
    let logPath: String
    var udpPort = 0
    var tcpPort = 0

    init(executable: String, arguments: [String], logPath: String) throws {
        self.logPath = logPath
        process = try ChildProcess(executable: executable, arguments: arguments, output: logPath)
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Starts `form-dns serve` and waits for its "listening on" line (ports from it). A `launcher`
    /// (e.g. `unshare --mount sh -c '... exec "$0" "$@"'`) runs first and execs form-dns, so the
    /// process is still form-dns's own.
    static func formDNS(_ arguments: [String], directory: String, launcher: [String] = []) throws -> ServerProcess {
        let command = launcher + [Harness.formDNSBinary, "serve"] + arguments
        let server = try ServerProcess(executable: command[0], arguments: Array(command.dropFirst()),
                                       logPath: directory + "/form-dns.log")
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let line = server.log.split(separator: "\n").first(where: { $0.contains("listening on") }) {
                for word in line.split(separator: " ") {
                    guard let colon = word.lastIndex(of: ":"), let port = Int(word[word.index(after: colon)...]) else { continue }
                    if word.hasPrefix("udp://"), server.udpPort == 0 { server.udpPort = port }
                    if word.hasPrefix("tcp://"), server.tcpPort == 0 { server.tcpPort = port }
                }
                return server
            }
            if !server.process.isRunning { throw HarnessError("form-dns exited: \(server.log)") }
            usleep(20_000)
        }
        server.stop()
        throw HarnessError("form-dns did not start: \(server.log)")
    }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// SIGTERM, then SIGKILL after 3 s (a server that ignores SIGTERM must not hang the run).
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        if !process.wait(seconds: 3) { process.signal(SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A blocking DNS client over real sockets, for asserting what goes over the wire.
enum WireClient {
    static func udp(_ query: [UInt8], host: String = "127.0.0.1", port: Int, timeoutMs: Int32 = 2000) throws -> [UInt8]? {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        try connect(fd, host: host, port: port)
        _ = query.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMs) == 1 else { return nil }
        var buf = [UInt8](repeating: 0, count: 65535)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? Array(buf[0..<n]) : nil
    }

    /// Opens a TCP connection; the caller writes frames and reads responses.
    final class TCPConnection {
        let fd: Int32
        init(host: String = "127.0.0.1", port: Int) throws {
            fd = socket(host.contains(":") ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            try WireClient.connect(fd, host: host, port: port)
        }
        deinit { close(fd) }

        func send(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        func sendFramed(_ messages: [[UInt8]]) {
            var all: [UInt8] = []
            for m in messages { all += [UInt8(m.count >> 8), UInt8(m.count & 0xFF)] + m }
            send(all)
        }

        /// Reads one length-prefixed message; nil on EOF or timeout.
        func receiveFrame(timeoutMs: Int32 = 3000) -> [UInt8]? {
            guard let header = read(2, timeoutMs: timeoutMs) else { return nil }
            return read(Int(header[0]) << 8 | Int(header[1]), timeoutMs: timeoutMs)
        }

        /// True once the server has closed the connection (EOF within the timeout).
        func isClosedByPeer(timeoutMs: Int32) -> Bool {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, timeoutMs) == 1 else { return false }
            var b: UInt8 = 0
            return recv(fd, &b, 1, 0) == 0
        }

        private func read(_ n: Int, timeoutMs: Int32) -> [UInt8]? {
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: max(n, 1))
            while out.count < n {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                guard poll(&pfd, 1, timeoutMs) == 1 else { return nil }
                let got = recv(fd, &buf, n - out.count, 0)
                guard got > 0 else { return nil }
                out += buf[0..<got]
            }
            return out
        }
    }

    static func connect(_ fd: Int32, host: String, port: Int) throws {
        let rc = try SockaddrText.with(host: host, port: UInt16(port)) { Glibc.connect(fd, $0, $1) }
        if rc != 0 { throw HarnessError("connect to \(host):\(port) failed: errno \(errno)") }
    }
}

func wire(_ name: String, _ type: RecordType, id: UInt16 = 0x5151, edns: EDNS? = nil) -> [UInt8] {
    let m = DNSMessage(header: DNSHeader(id: id, flags: 0x0100), questions: [DNSQuestion(name: try! DNSName(parsing: name), type: type)], edns: edns)
    return Array(try! m.encode().readableBytesView)
}

func parse(_ bytes: [UInt8]) throws -> DNSMessage {
    var b = ByteBufferAllocator().buffer(capacity: bytes.count)
    b.writeBytes(bytes)
    return try DNSMessage(parsing: b)
}

extension Harness {
    /// Knot serving `zone` (origin formation.test) on a free loopback port, answering before it returns.
    static func startKnot(zone: String, directory dir: String) throws -> (ServerProcess, Int) {
        let port = Harness.freePort()
        try """
        server:
            rundir: "\(dir)"
            user: root:root
            listen: 127.0.0.1@\(port)
        database:
            storage: "\(dir)"
        log:
          - target: stderr
            any: warning
        template:
          - id: default
            storage: "\(dir)"
            zonefile-sync: -1
            zonefile-load: whole
            journal-content: none
        zone:
          - domain: formation.test
            file: "\(zone)"
        """.write(toFile: dir + "/knot.conf", atomically: true, encoding: .utf8)
        let knot = try ServerProcess(executable: try Harness.which("knotd"), arguments: ["-c", dir + "/knot.conf"], logPath: dir + "/knot.log")
        try waitUntilAnswering(port: port, process: knot)
        return (knot, port)
    }

    static func waitUntilAnswering(port: Int, process: ServerProcess) throws {
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let reply = try WireClient.udp(wire("formation.test.", .soa), port: port, timeoutMs: 200),
               let m = try? parse(reply), m.rcode == .noError, !m.answers.isEmpty { return }
            if !process.process.isRunning { throw HarnessError("server exited: \(process.log)") }
        }
        throw HarnessError("server on port \(port) never answered: \(process.log)")
    }
}

extension ServerProcess {
    /// The process's resident set size (VmRSS), in KiB; 0 if it cannot be read.
    var rssKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
    }
}

extension WireClient {
    /// Sends `batch` up to `times` times on `fd` without blocking (a peer that stops reading makes
    /// sends fail: retried until `seconds` have passed); returns how many batches went out.
    static func sendWithoutReading(_ fd: Int32, _ batch: [UInt8], times: Int, seconds: TimeInterval = 5) -> Int {
        var sent = 0
        let deadline = Date().addingTimeInterval(seconds)
        while sent < times, Date() < deadline {
            let n = batch.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
            if n < 0 {
                usleep(20_000)
                continue
            }
            sent += 1
        }
        return sent
    }
}

/// `waitFor` for async tests: it sleeps with `Task.sleep`, so a long wait does not hold one of the
/// concurrency pool's threads (two on a 2-core machine) that the async tests beside it need.
func waitFor(
    seconds: Double = 10, file: String = #fileID, line: Int = #line, _ condition: () throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    // A task can wake long after its sleep when the tests beside it hold the pool's threads: look
    // once more before giving up.
    if try condition() { return }
    throw HarnessError("the condition at \(file):\(line) was not met within \(seconds) s")
}
