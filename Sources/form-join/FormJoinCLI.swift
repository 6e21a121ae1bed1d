import ArgumentParser
import DNSWire
import FormJoin
import Foundation

@main
struct FormJoinCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "form-join",
        abstract: "Find nearby, healthy Formation entry nodes for formnet join.",
        subcommands: [Peers.self, Resolve.self]
    )
}

struct ResolverOptions: ParsableArguments {
    @Option(name: .long, help: "DNS server to ask, e.g. 127.0.0.1:5300 (repeatable). Default: /etc/resolv.conf.")
    var resolver: [String] = []

    @Option(name: .long, help: "Per-server timeout of the first round, in ms (doubles each round).")
    var timeoutMs: Int?

    @Option(name: .long, help: "Rounds over the servers.")
    var attempts: Int?

    @Option(name: .long, help: "Send EDNS Client Subnet, e.g. 198.51.100.0/24.")
    var ecs: String?

    func configuration() throws -> ResolverConfiguration {
        var c: ResolverConfiguration
        if resolver.isEmpty {
            c = ResolverConfiguration.system()
        } else {
            var servers: [Endpoint] = []
            for r in resolver {
                guard let e = Endpoint(parsing: r, defaultPort: 53) else { throw ValidationError("--resolver '\(r)' is not an address like 127.0.0.1:5300") }
                servers.append(e)
            }
            c = ResolverConfiguration(servers: servers)
        }
        if let timeoutMs {
            guard (10...60_000).contains(timeoutMs) else { throw ValidationError("--timeout-ms must be in 10...60000") }
            c.timeout = Double(timeoutMs) / 1000
        }
        if let attempts {
            guard (1...10).contains(attempts) else { throw ValidationError("--attempts must be in 1...10") }
            c.attempts = attempts
        }
        if let ecs {
            let parts = ecs.split(separator: "/")
            guard parts.count == 2, let prefix = UInt8(parts[1]) else { throw ValidationError("--ecs '\(ecs)' must be ADDRESS/PREFIX") }
            let address = String(parts[0])
            if let v4 = IPAddressText.parseIPv4(address), let s = ClientSubnet(family: .ipv4, fullAddress: v4, sourcePrefixLength: prefix) {
                c.clientSubnet = s
            } else if let v6 = IPAddressText.parseIPv6(address), let s = ClientSubnet(family: .ipv6, fullAddress: v6, sourcePrefixLength: prefix) {
                c.clientSubnet = s
            } else {
                throw ValidationError("--ecs '\(ecs)' must be ADDRESS/PREFIX")
            }
        }
        return c
    }
}

struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve the anycast name, probe the entry nodes and print the ranked peer set.",
        discussion: "Exit codes: 0 peers found via DNS; 10 peers found via a fallback (static list or cache); 20 nothing reachable; 64 bad usage.")

    @Argument(help: "The anycast name, e.g. entry.formation.test")
    var name: String

    @OptionGroup var resolverOptions: ResolverOptions

    @Option(name: .long, help: "Static bootstrap list (JSON). Default: $FORM_JOIN_BOOTSTRAP, plus the built-in list.")
    var fallback: String?

    @Flag(name: .long, help: "Do not use the built-in bootstrap list.")
    var noBuiltin = false

    @Option(name: .long, help: "Last-known-good cache file. Default: $XDG_CACHE_HOME/form-join/peers.json.")
    var cache: String?

    @Flag(name: .long, help: "Neither read nor write the cache.")
    var noCache = false

    @Flag(name: .long, help: "Do not probe fallbacks while DNS resolves.")
    var noRace = false

    @Option(name: .long, help: "Probe kind: tcp (connect), http (GET /health), ping (formnet ping).")
    var probe: ProbeKind = .tcp

    @Option(name: .long, help: "Join port for nodes whose discovery records give none.")
    var port: UInt16 = 51820

    @Option(name: .long, help: "Probes per candidate.")
    var probes: Int = 3

    @Option(name: .long, help: "Deadline for the whole probe round, in ms.")
    var deadlineMs: Int = 2000

    @Option(name: .long, help: "Peers to return at most.")
    var maxPeers: Int = 5

    @Flag(name: .long, help: "Print the peer set as JSON (the stable schema formnet reads).")
    var json = false

    @Flag(name: .long, help: "No progress on stderr.")
    var quiet = false

    func run() async throws {
        let outcome: JoinOutcome
        do {
            guard (1...10).contains(probes), (50...60_000).contains(deadlineMs), (1...64).contains(maxPeers) else {
                throw ValidationError("--probes 1...10, --deadline-ms 50...60000, --max-peers 1...64")
            }
            let qname = try DNSName(parsing: name, origin: .root)
            var options = JoinOptions(name: qname, resolver: try resolverOptions.configuration())
            options.port = port
            options.probe.kind = probe
            options.probe.probesPerCandidate = probes
            options.probe.deadline = Double(deadlineMs) / 1000
            options.maxPeers = maxPeers
            options.raceFallbacks = !noRace
            var bootstrap: [PeerInfo] = []
            if let file = fallback ?? ProcessInfo.processInfo.environment["FORM_JOIN_BOOTSTRAP"] {
                bootstrap = try BootstrapList.load(path: file).peers
            }
            if !noBuiltin { bootstrap += BootstrapList.builtIn.peers }
            options.bootstrap = bootstrap
            options.cachePath = noCache ? nil : (cache ?? PeerCacheFile.defaultPath)
            if !quiet && isatty(2) == 1 {
                options.progress = { message in FileHandle.standardError.write(Data("form-join: \(message)\n".utf8)) }
            }
            outcome = await JoinPlanner.run(options)
        } catch let e as ValidationError {
            FileHandle.standardError.write(Data("form-join: \(e.message)\n".utf8))
            throw ExitCode(JoinExitCode.usage.rawValue)
        } catch {
            FileHandle.standardError.write(Data("form-join: \(error)\n".utf8))
            throw ExitCode(JoinExitCode.usage.rawValue)
        }
        print(json ? outcome.peerSet.json() : table(outcome.peerSet))
        throw ExitCode(outcome.exitCode.rawValue)
    }

    func table(_ s: PeerSet) -> String {
        func pad(_ x: String, _ n: Int) -> String { x.count >= n ? x + " " : x + String(repeating: " ", count: n - x.count) }
        func ms(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "-" }
        var lines = ["\(s.name): \(s.outcome == "dns" ? "via DNS" : s.outcome == "fallback" ? "via fallback" : "nothing reachable")"
                     + " (DNS \(s.dns.status)\(s.dns.server.map { " from \($0)" } ?? ""), \(String(format: "%.0f", s.timing.totalMs)) ms)"]
        lines.append(pad("#", 3) + pad("id", 14) + pad("endpoint", 24) + pad("region", 14) + pad("median ms", 10) + pad("min ms", 8) + pad("loss", 6) + "source")
        for (i, p) in s.peers.enumerated() {
            lines.append(pad("\(i + 1)", 3) + pad(p.id, 14) + pad(p.endpoints.first ?? "-", 24) + pad(p.region ?? "-", 14)
                         + pad(ms(p.rttMs.median), 10) + pad(ms(p.rttMs.min), 8) + pad(String(format: "%.0f%%", p.rttMs.loss * 100), 6)
                         + p.source + (p.cacheAgeS.map { " (\(Int($0)) s old)" } ?? ""))
        }
        for p in s.unreachable {
            lines.append(pad("-", 3) + pad(p.id, 14) + pad(p.endpoints.first ?? "-", 24) + "unreachable (\(p.source)): \(p.error ?? "?")")
        }
        return lines.joined(separator: "\n")
    }
}

extension ProbeKind: ExpressibleByArgument {}

struct Resolve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve a name with form-join's own stub resolver and print what it got (a tiny dig).",
        discussion: "Exit codes: 0 answer; 2 NXDOMAIN or NODATA; 3 SERVFAIL, REFUSED, timeout or a malformed answer; 64 bad usage.")

    @Argument var name: String

    @Option(name: .long, help: "Record type (A, AAAA, TXT, SRV, ...).")
    var type: String = "A"

    @OptionGroup var resolverOptions: ResolverOptions

    func run() async throws {
        guard let rtype = RecordType(mnemonic: type) else {
            FileHandle.standardError.write(Data("form-join: unknown type \(type)\n".utf8))
            throw ExitCode(64)
        }
        let qname: DNSName
        let config: ResolverConfiguration
        do {
            qname = try DNSName(parsing: name, origin: .root)
            config = try resolverOptions.configuration()
        } catch {
            FileHandle.standardError.write(Data("form-join: \(error)\n".utf8))
            throw ExitCode(64)
        }
        let resolver = StubResolver(configuration: config)
        switch await resolver.lookup(qname, type: rtype) {
        case .success(let r):
            print(";; \(qname) \(rtype): NOERROR from \(r.server) in \(String(format: "%.2f", r.rttMilliseconds)) ms, TTL \(r.ttl)")
            for rr in r.chain + r.records { print(rr.description) }
        case .failure(let e):
            print(";; \(qname) \(rtype): \(e.status.uppercased()): \(e)")
            throw ExitCode(e == .nxDomain || e == .noData ? 2 : 3)
        }
    }
}
