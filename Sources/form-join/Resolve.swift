import ArgumentParser
import DNSWire
import FormJoin

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve a name with form-join's own stub resolver and print what it got (a tiny dig).",
        discussion:
            "Exit codes: 0 answer; 2 NXDOMAIN or NODATA; 3 SERVFAIL, REFUSED, timeout or a malformed answer; "
            + "64 bad usage."
    )

    @Argument var name: String

    @Option(name: .long, help: "Record type (A, AAAA, TXT, SRV, ...).")
    var type: String = "A"

    @OptionGroup var resolverOptions: ResolverOptions

    @Option(
        name: .customLong("repeat"),
        help: ArgumentHelp(
            "Ask N times, without the cache, and print each query's time and the connections opened "
                + "(how warm encrypted connections are reused; Benchmarks/join-latency)."))
    var repeat_: Int = 1

    func run() async throws {
        guard let rtype = RecordType(mnemonic: type) else {
            warn("unknown type \(type)")
            throw ExitCode(64)
        }
        let qname: DNSName
        let config: ResolverConfiguration
        do {
            qname = try DNSName(parsing: name, origin: .root)
            config = try resolverOptions.configuration()
        } catch {
            warn("\(error)")
            throw ExitCode(64)
        }
        let resolver = StubResolver(configuration: config)
        guard (1...100_000).contains(repeat_) else {
            warn("--repeat must be in 1...100000")
            throw ExitCode(64)
        }
        if repeat_ > 1 { return try timed(resolver, qname, rtype) }
        switch await resolver.lookup(qname, type: rtype) {
        case .success(let r):
            print(
                ";; \(qname) \(rtype): NOERROR from \(r.answeredBy) in "
                    + "\(String(format: "%.2f", r.rttMilliseconds)) ms, TTL \(r.ttl)"
            )
            for rr in r.chain + r.records { print(rr.description) }
        case .failure(let e):
            print(";; \(qname) \(rtype): \(e.status.uppercased()): \(TerminalText.escape(e.description))")
            throw ExitCode(e == .nxDomain || e == .noData ? 2 : 3)
        }
    }

    /// `--repeat`: one line per query (milliseconds, who answered), then the median of the warm
    /// ones (all but the first) and how many encrypted connections were opened.
    func timed(_ resolver: StubResolver, _ name: DNSName, _ type: RecordType) throws {
        var warm: [Double] = []
        var failures = 0
        let opened = EncryptedDNSClient.shared.connectionsOpened
        for i in 1...repeat_ {
            let start = ContinuousClock.now
            let outcome = Result { () throws(ResolveError) in try resolver.traceBlocking(name, type: type).result.get()
            }
            let elapsed = (ContinuousClock.now - start).components
            let ms = Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15
            switch outcome {
            case .success(let r): print(String(format: "%d %.3f ms %@", i, ms, r.answeredBy))
            case .failure(let e):
                failures += 1
                print(String(format: "%d %.3f ms %@", i, ms, e.status.uppercased()))
            }
            if i > 1 { warm.append(ms) }
        }
        let median = warm.sorted()[warm.count / 2]
        print(
            String(
                format: ";; %d queries, %d failed; warm median %.3f ms; encrypted connections opened: %d", repeat_,
                failures, median, EncryptedDNSClient.shared.connectionsOpened - opened))
        if failures > 0 { throw ExitCode(3) }
    }
}
