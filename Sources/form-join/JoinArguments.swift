import ArgumentParser
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
        var inputs = JoinInputs()
        resolverOptions.apply(to: &inputs)
        inputs.fallback = fallback
        inputs.builtIn = !noBuiltin
        inputs.cache = cache
        inputs.noCache = noCache
        inputs.race = !noRace
        inputs.probe = probe
        inputs.port = port
        inputs.probes = probes
        inputs.deadlineMs = deadlineMs
        inputs.maxPeers = maxPeers
        inputs.trustAnchor = trustAnchor
        inputs.bootstrapKey = bootstrapKey
        inputs.now = now
        return try inputs.options(name: name, spelling: .flag)
    }
}
