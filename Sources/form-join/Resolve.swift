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
}
