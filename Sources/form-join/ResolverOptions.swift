import ArgumentParser
import FormJoin
import Foundation

struct ResolverOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "DNS server to ask, e.g. 127.0.0.1:5300 or [fe80::1%eth0]:53 (repeatable). Default: --resolv-conf.")
    var resolver: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "resolv.conf to read the servers from when no --resolver is given.",
            discussion: """
                Its nameserver lines (link-local ones with their zone index) and options timeout, attempts, \
                rotate. When it names systemd-resolved's stub (127.0.0.53 or 127.0.0.54), the upstreams in \
                --resolved-conf are asked after the stub (before it with --trust-anchor).
                """))
    var resolvConf = "/etc/resolv.conf"

    @Option(name: .long, help: "systemd-resolved's list of its upstream servers.")
    var resolvedConf = "/run/systemd/resolve/resolv.conf"

    @Option(
        name: .long,
        help: ArgumentHelp(
            "DNS over TLS or HTTPS resolver: tls://ADDRESS[:PORT][#NAME] or https://ADDRESS[:PORT][/PATH][#NAME].",
            discussion: """
                Repeatable. Asked when UDP/TCP 53 fails for want of a path (timeouts, refused or unroutable: port \
                53 blocked), and then first for a minute; with --encrypted-only, always and alone. NAME is what \
                the certificate must carry (and SNI); without it, the address.
                """))
    var encrypted: [String] = []

    @Flag(name: .long, help: "Never use UDP/TCP 53: only the --encrypted resolvers.")
    var encryptedOnly = false

    @Option(name: .long, help: "PEM file of the CAs to trust for --encrypted resolvers (default: the system's).")
    var caFile: String?

    @Option(
        name: .long,
        help: "Pin an --encrypted resolver's key: base64 SHA-256 of its SubjectPublicKeyInfo (repeatable; any matches)."
    )
    var spkiPin: [String] = []

    @Option(name: .long, help: "Per-server timeout of the first round, in ms (doubles each round).")
    var timeoutMs: Int?

    @Option(name: .long, help: "Rounds over the servers.")
    var attempts: Int?

    @Option(name: .long, help: "Send EDNS Client Subnet, e.g. 198.51.100.0/24.")
    var ecs: String?

    /// Fills in what these flags say.
    func apply(to inputs: inout JoinInputs) {
        inputs.resolvers = resolver
        inputs.encrypted = encrypted
        inputs.encryptedOnly = encryptedOnly
        inputs.caFile = caFile
        inputs.spkiPins = spkiPin
        inputs.resolvConf = resolvConf
        inputs.resolvedConf = resolvedConf
        inputs.timeoutMs = timeoutMs
        inputs.attempts = attempts
        inputs.ecs = ecs
    }

    func configuration() throws -> ResolverConfiguration {
        var inputs = JoinInputs()
        apply(to: &inputs)
        return try inputs.resolverConfiguration(spelling: .flag)
    }
}
