import DNSSEC
import DNSWire
import DNSZone
import FormAuthority
import Foundation

extension AuthorityLoader {
    /// What signing needs from outside the configuration: the signature cache kept from one build
    /// to the next, the clock, and whether a signed zone without keys gets one made and stored
    /// (`serve`) or a throwaway one (`check`, tests).
    public struct SigningSupport: Sendable {
        public var cache: SignatureCache
        public var clock: @Sendable () -> Double
        public var createMissingKeys: Bool

        public init(
            cache: SignatureCache = AuthorityLoader.signatureCache,
            clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
            createMissingKeys: Bool = false
        ) {
            self.cache = cache
            self.clock = clock
            self.createMissingKeys = createMissingKeys
        }
    }

    /// The process's signatures, kept across reloads (an RRset that did not change is not signed again).
    public static let signatureCache = SignatureCache()

    /// The signing setup for `config`'s signed zones, and `zones` with each one's DNSKEY RRset at
    /// its apex. Nil when no zone is signed.
    static func signing(
        _ config: ServerConfig, zones: inout [Zone], support: SigningSupport
    ) throws(ConfigErrors) -> SigningSetup? {
        var signers: [DNSName: ZoneSigner] = [:]
        var errors: [ConfigError] = []
        for (i, zc) in config.zones.enumerated() {
            guard let settings = zc.dnssec, let z = zones.firstIndex(where: { $0.origin == zc.origin }) else {
                continue
            }
            let zone = zones[z]
            let field = "zones[\(i)].dnssec"
            // Checked here, not by the schema: `--state-dir` on the command line counts too.
            guard let state = config.stateDirectory else {
                errors.append(
                    ConfigError(
                        file: zc.declaredAt.file, line: zc.declaredAt.line, field: field,
                        message: "needs state_dir (the zone's keys are kept in its keys/)"))
                continue
            }
            let signed: Set<RecordType> = [.dnskey, .rrsig, .nsec, RecordType(50), RecordType(51)]
            if let held = zone.nodes.values.lazy.flatMap(\.types).first(where: signed.contains) {
                errors.append(
                    ConfigError(
                        file: zc.declaredAt.file, line: zc.declaredAt.line, field: field,
                        message: "zone \(zone.origin) holds \(held) records; form-dns signs it itself, remove them"))
                continue
            }
            do throws(ConfigError) {
                let folder = ZoneKeyStore.folder(stateDirectory: state)
                var keys = try ZoneKeyStore.keys(zone: zone.origin, folder: folder)
                if keys.isEmpty {
                    let csk = DNSKEYRecord.zoneKeyFlag | DNSKEYRecord.secureEntryPointFlag
                    keys = [
                        support.createMissingKeys
                            ? try ZoneKeyStore.generate(
                                zone: zone.origin, algorithm: settings.algorithm, flags: csk, folder: folder)
                            : KeyFile(
                                zone: zone.origin, key: ZoneKey(generating: settings.algorithm, flags: csk), created: 0)
                    ]
                }
                let now = UInt32(clamping: Int(support.clock()))
                guard keys.contains(where: { $0.isActive(at: now) }) else {
                    throw ConfigError(
                        file: zc.declaredAt.file, line: zc.declaredAt.line, field: field,
                        message: "no key of \(zone.origin) in \(folder) is active now (form-dns keys list)")
                }
                let signer = Self.signer(zone.origin, keys: keys, settings: settings, now: now)
                signers[zone.origin] = signer
                let ttl = zone.nodes[zone.origin]?[.soa]?.ttl ?? zone.negativeSOA.ttl
                zones[z] = zone.addingRRSets([
                    RRSet(name: zone.origin, type: .dnskey, ttl: ttl, records: signer.published.map(RData.dnskey))
                ])
            } catch {
                errors.append(error)
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return signers.isEmpty ? nil : SigningSetup(zones: signers, cache: support.cache, clock: support.clock)
    }

    /// Which key signs what at `now`: active key-signing keys (flags 257) sign the DNSKEY RRset;
    /// active zone-signing keys (256) the rest, or the key-signing keys themselves (CSKs) when no
    /// ZSK is active. Every published key is in the DNSKEY RRset, signing or not (a rollover's
    /// pre-published or retiring keys).
    static func signer(_ origin: DNSName, keys: [KeyFile], settings: ZoneSigning, now: UInt32) -> ZoneSigner {
        let active = keys.filter { $0.isActive(at: now) }.map(\.key)
        let ksk = active.filter { $0.flags & DNSKEYRecord.secureEntryPointFlag != 0 }
        let zsk = active.filter { $0.flags & DNSKEYRecord.secureEntryPointFlag == 0 }
        var policy = SigningPolicy()
        policy.lifetime = UInt32(settings.signatureLifetime)
        policy.refresh = UInt32(settings.signatureRefresh)
        policy.jitter = min(86_400, (policy.lifetime - policy.refresh) / 2)
        policy.missSigningRate = settings.missSigningRate
        return ZoneSigner(
            origin: origin, published: keys.filter { $0.isPublished(at: now) }.map(\.key.dnskey),
            keySigning: ksk.isEmpty ? zsk : ksk,
            zoneSigning: zsk.isEmpty ? ksk : zsk, policy: policy)
    }
}
