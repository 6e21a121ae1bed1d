import Benchmark
import DNSWire
import FormJoin
import Foundation
import NetAddress

/// The join client's stub resolver against a real `form-dns` on loopback: how many queries a second
/// it completes one after another (a stub waits for each answer; this is a sanity figure, not a
/// race), and what it allocates per query. The zone's record has TTL 0, so the resolver's cache
/// never answers and every iteration is a full UDP round trip; a second benchmark measures the
/// cache hit path with a TTL 300 record.
///
/// Needs the release `form-dns` of the root package: `swift build -c release --product form-dns`.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
                                           maxDuration: .seconds(3), maxIterations: 200_000)
    let server = AuthorityProcess.shared
    let resolver = StubResolver(configuration: ResolverConfiguration(servers: [Endpoint(host: "127.0.0.1", port: UInt16(server.port))],
                                                                     timeout: 1, attempts: 2))
    let uncached = try! DNSName(parsing: "fresh.stub.test.")
    let cached = try! DNSName(parsing: "kept.stub.test.")

    Benchmark("stub: resolve A over UDP, TTL 0 (a round trip per query)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try! resolver.resolveBlocking(uncached, type: .a)) }
    }
    Benchmark("stub: resolve A, answered from the cache") { benchmark in
        _ = try! resolver.resolveBlocking(cached, type: .a)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try! resolver.resolveBlocking(cached, type: .a)) }
    }
}

/// `form-dns serve` on 127.0.0.1 with a kernel-chosen port, started once for the benchmark run.
final class AuthorityProcess: Sendable {
    static let shared = AuthorityProcess()
    let port: Int
    private let pid: Int32

    private init() {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(4)  // Benchmarks/Benchmarks/StubResolver/StubResolver.swift
        let root = parts.joined(separator: "/")
        let binary = root + "/.build/release/form-dns"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            fatalError("\(binary) is missing: run `swift build -c release --product form-dns` in \(root)")
        }
        let dir = NSTemporaryDirectory() + "stub-bench-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let zone = """
        $ORIGIN stub.test.
        @     300 IN SOA ns1 hostmaster 1 3600 600 1209600 60
        @     300 IN NS  ns1
        ns1   300 IN A   127.0.0.1
        fresh   0 IN A   192.0.2.1
        kept  300 IN A   192.0.2.2

        """
        try! zone.write(toFile: dir + "/stub.test.zone", atomically: true, encoding: .utf8)
        let log = dir + "/form-dns.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--zone", "stub.test=\(dir)/stub.test.zone", "--listen", "127.0.0.1:0", "--workers", "1"]
        process.standardOutput = FileHandle(forWritingAtPath: log)
        try! process.run()
        var found = 0
        for _ in 0..<500 where found == 0 {
            usleep(20_000)
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            if let word = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).first(where: { $0.hasPrefix("udp://127.0.0.1:") }) {
                found = Int(word.split(separator: ":").last!) ?? 0
            }
        }
        guard found > 0 else { fatalError("form-dns did not start; see \(log)") }
        port = found
        pid = process.processIdentifier
        atexit { kill(AuthorityProcess.shared.pid, SIGTERM) }
    }
}
