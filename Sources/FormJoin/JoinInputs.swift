import DNSSEC
import DNSWire
import Foundation
import NetAddress

/// What a caller names to join, as given (addresses and paths as text, numbers unchecked): the
/// resolvers, the fallbacks, the cache, probing and trust. `options(name:)` reads the files it
/// names and checks every value. The CLI's flags and the C ABI's JSON both fill one of these, so
/// the two cannot drift apart; SIGHUP in a watch calls `options(name:)` again.
public struct JoinInputs: Sendable, Equatable {
    /// DNS servers, "127.0.0.1:5300", "[::1]:53" or "[fe80::1%eth0]:53"; empty: the system's,
    /// from `resolvConf` (and systemd-resolved's `resolvedConf`; see `ResolverConfiguration.system`).
    public var resolvers: [String] = []
    public var resolvConf = "/etc/resolv.conf"
    public var resolvedConf = "/run/systemd/resolve/resolv.conf"
    /// DNS over TLS or HTTPS resolvers, `tls://ADDRESS[:PORT][#NAME]` or `https://ADDRESS[:PORT][/PATH][#NAME]`.
    public var encrypted: [String] = []
    public var encryptedOnly = false
    /// CAs to trust for them (PEM); nil: the system's.
    public var caFile: String? = nil
    /// Base64 SHA-256 of the SubjectPublicKeyInfo their keys must have (any of them).
    public var spkiPins: [String] = []
    public var timeoutMs: Int? = nil
    public var attempts: Int? = nil
    /// EDNS Client Subnet to send, "198.51.100.0/24".
    public var ecs: String? = nil
    /// The static list or signed bundle; nil: `$FORM_JOIN_BOOTSTRAP` if set.
    public var fallback: String? = nil
    public var builtIn = true
    /// The last-known-good cache; nil: `PeerCacheFile.defaultPath`.
    public var cache: String? = nil
    public var noCache = false
    public var race = true
    public var probe: ProbeKind = .tcp
    public var port: UInt16 = 51820
    public var probes = 3
    public var deadlineMs = 2000
    public var maxPeers = 5
    /// A file of DS or DNSKEY lines.
    public var trustAnchor: String? = nil
    /// Base64 Ed25519 public key, or a file holding it.
    public var bootstrapKey: String? = nil
    /// Seconds since 1970 to check signatures and expiry against (tests); nil: the clock.
    public var now: Double? = nil

    public init() {}

    /// How errors name a field: as the CLI's flag (`--timeout-ms`) or the JSON key (`timeout_ms`).
    public enum Spelling: Sendable {
        case flag, key
        func callName(_ key: String) -> String {
            switch self {
            // The CLI repeats --resolver once per server; the JSON key is the list.
            case .flag:
                let flags = ["resolvers": "--resolver", "spki_pins": "--spki-pin"]
                return flags[key] ?? "--" + key.replacingOccurrences(of: "_", with: "-")
            case .key: return key
            }
        }
    }

    /// The options to join `name` with, every file named here read now.
    public func options(
        name: String, spelling: Spelling = .key,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(JoinError) -> JoinOptions {
        let field = spelling.callName
        guard (1...10).contains(probes) else { throw .badInput("\(field("probes")) must be in 1...10") }
        guard (50...60_000).contains(deadlineMs) else {
            throw .badInput("\(field("deadline_ms")) must be in 50...60000")
        }
        guard (1...64).contains(maxPeers) else { throw .badInput("\(field("max_peers")) must be in 1...64") }
        guard port > 0 else { throw .badInput("\(field("port")) must be in 1...65535") }
        let qname: DNSName
        do { qname = try DNSName(parsing: name, origin: .root) } catch {
            throw .badInput("name '\(name)': \(error)")
        }
        var options = JoinOptions(name: qname, resolver: try resolverConfiguration(spelling: spelling))
        options.port = port
        options.probe.kind = probe
        options.probe.probesPerCandidate = probes
        options.probe.deadline = Double(deadlineMs) / 1000
        options.maxPeers = maxPeers
        options.raceFallbacks = race
        options.bootstrapFile = try bootstrapFile(environment: environment)
        options.bootstrap = builtIn ? BootstrapList.builtIn.peers : []
        if let now { options.now = { now } }
        if let bootstrapKey { options.bootstrapKey = try BootstrapBundle.publicKey(bootstrapKey) }
        options.cachePath =
            noCache ? nil : (cache ?? PeerCacheFile.defaultPath(environment: environment, euid: geteuid()))
        options.bundleStatePath = options.cachePath.map { PeerCacheFile.split($0).directory + "/bundle-seq.json" }
        if let file = trustAnchor {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw .badInput("\(field("trust_anchor")) \(file): cannot read the file")
            }
            do { options.trustAnchor = try TrustAnchor(text: text, source: file) } catch {
                throw .badInput("\(field("trust_anchor")) \(error)")
            }
        }
        return options
    }

    /// The resolvers asked, and how patiently.
    public func resolverConfiguration(spelling: Spelling = .key) throws(JoinError) -> ResolverConfiguration {
        let field = spelling.callName
        var c: ResolverConfiguration
        if resolvers.isEmpty {
            c = ResolverConfiguration.system(
                path: resolvConf, resolvedPath: resolvedConf, preferUpstreams: trustAnchor != nil)
        } else {
            var servers: [Endpoint] = []
            for r in resolvers {
                guard let e = Endpoint(parsing: r, defaultPort: 53, allowingZone: true) else {
                    throw .badInput("\(field("resolvers")) '\(r)' is not an address like 127.0.0.1:5300")
                }
                servers.append(e)
            }
            c = ResolverConfiguration(servers: servers)
        }
        if let timeoutMs {
            guard (10...60_000).contains(timeoutMs) else {
                throw .badInput("\(field("timeout_ms")) must be in 10...60000")
            }
            c.timeout = Double(timeoutMs) / 1000
        }
        if let attempts {
            guard (1...10).contains(attempts) else { throw .badInput("\(field("attempts")) must be in 1...10") }
            c.attempts = attempts
        }
        for text in encrypted {
            guard let server = EncryptedServer.parse(text) else {
                throw .badInput(
                    "\(field("encrypted")) '\(text)' is not tls://ADDRESS[:PORT][#NAME] or "
                        + "https://ADDRESS[:PORT][/PATH][#NAME]")
            }
            c.encrypted.append(server)
        }
        if encryptedOnly && c.encrypted.isEmpty {
            throw .badInput("\(field("encrypted_only")) needs at least one \(field("encrypted")) resolver")
        }
        c.encryptedOnly = encryptedOnly
        for pin in spkiPins {
            if let problem = EncryptedDNSTrust.problem(pin: pin) { throw .badInput("\(field("spki_pins")) \(problem)") }
        }
        if let caFile, !FileManager.default.isReadableFile(atPath: caFile) {
            throw .badInput("\(field("ca_file")) \(caFile): cannot read the file")
        }
        c.trust = EncryptedDNSTrust(caFile: caFile, pins: spkiPins)
        if let ecs {
            guard let subnet = Self.clientSubnet(ecs) else {
                throw .badInput("\(field("ecs")) '\(ecs)' must be ADDRESS/PREFIX")
            }
            c.clientSubnet = subnet
        }
        return c
    }

    static func clientSubnet(_ text: String) -> ClientSubnet? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let prefix = UInt8(parts[1]) else { return nil }
        let address = String(parts[0])
        if let v4 = IPAddressText.parseIPv4(address) {
            return ClientSubnet(family: .ipv4, fullAddress: v4, sourcePrefixLength: prefix)
        }
        if let v6 = IPAddressText.parseIPv6(address) {
            return ClientSubnet(family: .ipv6, fullAddress: v6, sourcePrefixLength: prefix)
        }
        return nil
    }

    /// The static list file, if one is named. A list that cannot be read at all is bad input;
    /// whether a bundle's signature, expiry and sequence hold is for discovery to judge (a refused
    /// bundle is a note).
    func bootstrapFile(environment: [String: String]) throws(JoinError) -> BootstrapFile? {
        var file: BootstrapFile? = nil
        if let path = fallback {
            file = try BootstrapFile.read(path: path)
        } else if let path = environment["FORM_JOIN_BOOTSTRAP"], !path.isEmpty {
            file = try BootstrapFile.read(path: path, source: "\(path) (from $FORM_JOIN_BOOTSTRAP)")
        }
        if let file {
            if BootstrapBundle.isBundle(file.data) {
                do { _ = try BootstrapBundle.unverified(file.data, source: file.source) } catch {
                    throw .badInput("\(error)")
                }
            } else {
                _ = try BootstrapList.parse(file.data, source: file.source)
            }
        }
        return file
    }
}
