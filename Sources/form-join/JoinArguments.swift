import ArgumentParser
import DNSSEC
import DNSWire
import FormJoin
import Foundation

/// What `peers` and `watch` share: the resolver, the fallbacks, the cache, probing and trust.
/// `options(name:)` reads the files named here; `watch` calls it again on SIGHUP.
struct JoinArguments: ParsableArguments {
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

    /// The join options, with every file named here read now: an unreadable or malformed one
    /// throws (a usage error), naming the file and what is wrong.
    func options(name: String) throws -> JoinOptions {
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
        options.bootstrapFile = try bootstrapFile()
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
        return options
    }

    /// The static list file, if one is named. A list that cannot be read at all is a usage error;
    /// whether a bundle's signature, expiry and sequence hold is for discovery to judge (a refused
    /// bundle is a note).
    private func bootstrapFile() throws -> BootstrapFile? {
        var file: BootstrapFile? = nil
        if let path = fallback {
            file = try BootstrapFile.read(path: path)
        } else if let path = ProcessInfo.processInfo.environment["FORM_JOIN_BOOTSTRAP"], !path.isEmpty {
            file = try BootstrapFile.read(path: path, source: "\(path) (from $FORM_JOIN_BOOTSTRAP)")
        }
        if let file {
            if BootstrapBundle.isBundle(file.data) {
                do { _ = try BootstrapBundle.unverified(file.data, source: file.source) } catch {
                    throw ValidationError("\(error)")
                }
            } else {
                _ = try BootstrapList.parse(file.data, source: file.source)
            }
        }
        return file
    }
}
