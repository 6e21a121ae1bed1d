// form-join: the join client's command line (peers, resolve) over FormJoin: arguments in, the
// stable JSON or a table out, with the documented exit codes. No discovery logic lives here.

import ArgumentParser
import DNSSEC
import DNSWire
import FormJoin
import Foundation
import NetAddress

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
                guard let e = Endpoint(parsing: r, defaultPort: 53) else {
                    throw ValidationError("--resolver '\(r)' is not an address like 127.0.0.1:5300")
                }
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
            guard parts.count == 2, let prefix = UInt8(parts[1]) else {
                throw ValidationError("--ecs '\(ecs)' must be ADDRESS/PREFIX")
            }
            let address = String(parts[0])
            if let v4 = IPAddressText.parseIPv4(address),
                let s = ClientSubnet(family: .ipv4, fullAddress: v4, sourcePrefixLength: prefix)
            {
                c.clientSubnet = s
            } else if let v6 = IPAddressText.parseIPv6(address),
                let s = ClientSubnet(family: .ipv6, fullAddress: v6, sourcePrefixLength: prefix)
            {
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
        discussion:
            "Exit codes: 0 peers found via DNS; 10 peers found via a fallback (static list or cache); "
                + "20 nothing reachable; 64 bad usage."
    )

    @Argument(help: "The anycast name, e.g. entry.formation.test")
    var name: String

    @OptionGroup var resolverOptions: ResolverOptions

    @Option(
        name: .long,
        help: "Static bootstrap list (JSON). Default: $FORM_JOIN_BOOTSTRAP. The built-in list is empty.")
    var fallback: String?

    @Flag(name: .long, help: "Do not use the built-in bootstrap list (it is empty; kept for scripts that pass it).")
    var noBuiltin = false

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Last-known-good cache file.",
            discussion: """
                Default: $STATE_DIRECTORY/peers.json, else $XDG_CACHE_HOME/form-join/peers.json, else \
                $HOME/.cache/form-join/peers.json, else (root) /var/lib/form-join/peers.json; otherwise no cache. \
                Its directory must be ours and not writable by group or others.
                """))
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

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Trust anchor of the anycast zone: DS or DNSKEY lines (as unbound reads them, as form-dns keys ds prints).",
            discussion: """
                With it, DNS answers count only if they validate from this key (DO and CD are set; the chain is \
                checked here, through any resolver): an unsigned, bogus or expired answer is not used and the \
                peers come from the fallbacks. "validation" in the JSON says what was found.
                """))
    var trustAnchor: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The key that signs bootstrap bundles: base64 Ed25519 public key, or a file holding it.",
            discussion: """
                With it, the static list must be a bundle from form-dns bootstrap sign: signed by this key, not \
                expired, and not older (by sequence) than the last one accepted, which is remembered beside the \
                cache. Anything else is not used, and a note says why.
                """))
    var bootstrapKey: String?

    /// For tests: the time (seconds since 1970) signatures and bundle expiry are checked against.
    @Option(name: .long, help: .hidden) var now: Double?

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
            var file: BootstrapFile? = nil
            if let path = fallback {
                file = try BootstrapFile.read(path: path)
            } else if let path = ProcessInfo.processInfo.environment["FORM_JOIN_BOOTSTRAP"], !path.isEmpty {
                file = try BootstrapFile.read(path: path, source: "\(path) (from $FORM_JOIN_BOOTSTRAP)")
            }
            // A list that cannot be read at all is a usage error; whether a bundle's signature,
            // expiry and sequence hold is for discovery to judge (a refused bundle is a note).
            if let file {
                if BootstrapBundle.isBundle(file.data) {
                    do { _ = try BootstrapBundle.unverified(file.data, source: file.source) } catch {
                        throw ValidationError("\(error)")
                    }
                } else {
                    _ = try BootstrapList.parse(file.data, source: file.source)
                }
            }
            options.bootstrapFile = file
            options.bootstrap = noBuiltin ? [] : BootstrapList.builtIn.peers
            if let now { options.now = { now } }
            if let bootstrapKey { options.bootstrapKey = try BootstrapBundle.publicKey(bootstrapKey) }
            options.cachePath = noCache ? nil : (cache ?? PeerCacheFile.defaultPath)
            options.bundleStatePath = options.cachePath.map { PeerCacheFile.split($0).directory + "/bundle-seq.json" }
            if let file = trustAnchor {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                    throw ValidationError("--trust-anchor \(file): cannot read the file")
                }
                do { options.trustAnchor = try TrustAnchor(text: text, source: file) } catch {
                    throw ValidationError("--trust-anchor \(error)")
                }
            }
            if !quiet && isatty(2) == 1 {
                options.progress = { message in warn(message) }
            }
            outcome = await JoinPlanner.run(options)
        } catch let e as ValidationError {
            warn(e.message)
            throw ExitCode(JoinExitCode.usage.rawValue)
        } catch {
            warn("\(error)")
            throw ExitCode(JoinExitCode.usage.rawValue)
        }
        print(json ? outcome.peerSet.json() : PeerSetTable.render(outcome.peerSet))
        // The table shows the notes; with --json they also go to stderr, where a person may look.
        if json && !quiet { outcome.peerSet.notes.forEach { warn("note: \($0)") } }
        // Always, even with --quiet: a script that gets exit 20 learns what was tried.
        if let failure = outcome.failure { warn(failure) }
        throw ExitCode(outcome.exitCode.rawValue)
    }
}

/// One line on stderr; text from the network in it is escaped (no terminal escapes, no fake lines).
func warn(_ message: String) {
    FileHandle.standardError.write(Data("form-join: \(TerminalText.escape(message))\n".utf8))
}

extension ProbeKind: ExpressibleByArgument {}

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
                ";; \(qname) \(rtype): NOERROR from \(r.server) in "
                    + "\(String(format: "%.2f", r.rttMilliseconds)) ms, TTL \(r.ttl)"
            )
            for rr in r.chain + r.records { print(rr.description) }
        case .failure(let e):
            print(";; \(qname) \(rtype): \(e.status.uppercased()): \(TerminalText.escape(e.description))")
            throw ExitCode(e == .nxDomain || e == .noData ? 2 : 3)
        }
    }
}
