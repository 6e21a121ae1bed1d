import DNSSEC
import DNSWire
import DNSZone
import Synchronization

/// Signs answers online (RFC 4035 section 3.1): each RRset of a signed zone's answer and authority
/// sections gets its RRSIGs, and a negative answer gets one NSEC owned by the name asked, as
/// compact denial of existence (RFC 9824) has it: the name's types (NXNAME alone if it does not
/// exist), the next name just after it, so nothing about the rest of the zone is disclosed.
/// Wildcard expansions are signed as the names asked, so they need no proof of non-existence.
///
/// Signatures come from the shared `SignatureCache`; what `AnswerTable` and pool answers hold is
/// signed ahead, unmetered, and the builder is made again before those signatures come due
/// (`refreshDue`). Names answered per query (NXDOMAIN, wildcards, CNAMEs to a pool) are metered by
/// each zone's `SigningBudget`.
public struct ResponseSigner: Sendable {
    /// Per zone of the engine (same indices): its signer, nil for an unsigned zone.
    public let zones: [ZoneSigner?]
    /// The engine's zones (same indices): DS at cuts, the negative SOA, a name's types.
    let zoneData: [Zone]
    public var cache: SignatureCache { setup.cache }
    /// Seconds since 1970, with fractions: injected so tests choose the time.
    public var clock: @Sendable () -> Double { setup.clock }
    /// Per pool owner name: the address types its pool can answer (NSEC bitmaps must list them).
    let poolTypes: [DNSName: [RecordType]]
    let budgets: [SigningBudget?]
    let refresh: RefreshMark

    /// The earliest time a signature held by this builder's precomputed answers is due again.
    final class RefreshMark: Sendable {
        let earliest = Mutex<UInt32>(.max)
        func note(_ t: UInt32) { earliest.withLock { $0 = min($0, t) } }
    }

    /// The setup it was made from (to make the builder again).
    public let setup: SigningSetup

    /// `setup`'s signers in the order of `engine.zones`; `geo`'s pools say which address types
    /// each pool name holds (any enabled node of the family).
    public init(setup: SigningSetup, engine: AuthorityEngine, geo: GeoContext?) {
        self.setup = setup
        zones = engine.zones.map { setup.zones[$0.origin] }
        zoneData = engine.zones
        var poolTypes: [DNSName: [RecordType]] = [:]
        for pool in geo?.pools ?? [] {
            let enabled = pool.nodes.filter(\.enabled)
            let types: [RecordType] =
                (enabled.contains { $0.ipv4 != nil } ? [.a] : []) + (enabled.contains { $0.ipv6 != nil } ? [.aaaa] : [])
            for name in pool.names { poolTypes[name] = types }
        }
        self.poolTypes = poolTypes
        budgets = zones.map { $0.map { SigningBudget(rate: $0.policy.missSigningRate) } }
        refresh = RefreshMark()
    }

    /// Whether two signers sign the same zones with the same keys and policies (so answers one
    /// signed ahead serve for the other).
    static func sameKeys(_ a: ResponseSigner?, _ b: ResponseSigner?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let a?, let b?):
            return a.zones.count == b.zones.count
                && zip(a.zones, b.zones).allSatisfy { x, y in
                    x?.origin == y?.origin && x?.published == y?.published && x?.policy == y?.policy
                        && x?.keySigning.map(\.keyTag) == y?.keySigning.map(\.keyTag)
                        && x?.zoneSigning.map(\.keyTag) == y?.zoneSigning.map(\.keyTag)
                }
                // Pool names' address types are in the NSEC bitmaps signed ahead.
                && a.poolTypes == b.poolTypes
        default: return false
        }
    }

    public func isSigned(zone: Int) -> Bool { zone >= 0 && zone < zones.count && zones[zone] != nil }

    /// True once a signature this builder answers with ahead of time is due to be made again.
    public func refreshDue() -> Bool {
        UInt32(clamping: Int(clock())) >= refresh.earliest.withLock { $0 }
    }

    /// Whether zone `index`'s budget for signing per query is spent right now: a flood of new names
    /// is then refused before any lookup or signing, so refusing costs next to nothing.
    func budgetSpent(zone index: Int) -> Bool {
        guard isSigned(zone: index), let budget = budgets[index] else { return false }
        return budget.isSpent(now: clock())
    }

    /// When the answers signed ahead are next due (seconds since 1970; nil: nothing signed yet).
    public var nextRefresh: UInt32? {
        let t = refresh.earliest.withLock { $0 }
        return t == .max ? nil : t
    }

    /// `resolution` signed for zone `index`. `metered`: made while answering, so new
    /// signatures draw on the zone's budget; nil when it is spent (or a key cannot sign).
    /// `compactOK`: the query set CO, so a name that does not exist keeps NXDOMAIN (RFC 9824 4).
    func sign(
        _ resolution: Resolution, zone index: Int, metered: Bool, compactOK: Bool = false
    ) -> Resolution? {
        guard isSigned(zone: index), let signer = zones[index] else { return resolution }
        let zone = zoneData[index]
        let now = clock()
        let metered = metered ? budgets[index] : nil
        var out = resolution
        guard let answers = signed(resolution.answers, signer, now: now, metered: metered) else { return nil }
        out.answers = answers
        if let cut = resolution.referral {
            // The NS RRset at a cut is the child's: never signed by the parent (RFC 4035 2.2). The
            // DS RRset, or the NSEC that proves there is none, is the parent's (3.1.4).
            if let ds = zone.nodes[cut]?[.ds] {
                guard let records = signed(ds.resourceRecords(owner: cut), signer, now: now, metered: metered)
                else { return nil }
                out.authorities += records
            } else {
                guard let nsec = denialRecord(.noData(cut, types: zone.nodes[cut]?.types ?? []), zone: zone),
                    let records = signed([nsec], signer, now: now, metered: metered)
                else { return nil }
                out.authorities += records
            }
            return out
        }
        guard var authorities = signed(resolution.authorities, signer, now: now, metered: metered) else { return nil }
        if let denial = resolution.denial {
            guard let record = denialRecord(denial, zone: zone),
                let nsec = signed([record], signer, now: now, metered: metered)
            else { return nil }
            authorities += nsec
            if case .nxDomain = denial, !compactOK { out.rcode = .noError }
        }
        out.authorities = authorities
        return out
    }

    /// The one NSEC of a compact denial: owned by the name, next name `\000.<name>`, the types
    /// the name holds (none and NXNAME if it does not exist) with RRSIG and NSEC. TTL: the SOA's
    /// negative TTL (RFC 9077). A pool name lists the address types its pool can answer, or, for
    /// one pool answer (`.poolNoData`), the ones that answer has.
    ///
    /// Nil for a name with no room for one more label (254 octets and up): any other next name
    /// would cover names beyond this one, a denial of names nobody asked about that anyone could
    /// replay; such a query is not answered signed (SERVFAIL).
    func denialRecord(_ denial: Resolution.Denial, zone: Zone) -> DNSResourceRecord? {
        let owner: DNSName
        var types: [RecordType] = [.rrsig, .nsec]
        switch denial {
        case .noData(let name, let held):
            owner = name
            types += held + (poolTypes[name] ?? [])
        case .poolNoData(let name, let held):
            owner = name
            types += held
        case .nxDomain(let name):
            owner = name
            types.append(.nxname)
        }
        guard let next = try? owner.prepending(label: [0]) else { return nil }
        return DNSResourceRecord(
            name: owner, ttl: zone.negativeSOA.ttl,
            data: .nsec(NSECRecord(nextDomainName: next, types: TypeBitmap(types))))
    }

    /// The answer to a DO query for the DNSSEC records themselves at `name` (not below a cut): for
    /// NSEC, the name's compact NSEC and its RRSIG; for RRSIG, every RRSIG at the name (over each
    /// RRset it holds and over its NSEC; a pool's address RRSIGs depend on the answer and are left
    /// out). Signed ahead; nil for other types or if a key fails.
    func dnssecRecords(_ type: RecordType, at name: DNSName, zone index: Int) -> Resolution? {
        guard isSigned(zone: index), let signer = zones[index] else { return nil }
        let zone = zoneData[index]
        guard let nsec = denialRecord(.noData(name, types: zone.nodes[name]?.types ?? []), zone: zone) else {
            return nil
        }
        var r = Resolution(rcode: .noError, authoritative: true)
        switch type {
        case .nsec:
            r.answers = [nsec]
            return sign(r, zone: index, metered: false)
        case .rrsig:
            let now = clock()
            let node = zone.nodes[name]
            let sets = (node?.types ?? []).compactMap { node?[$0]?.resourceRecords(owner: name) }
            for records in sets + [[nsec]] {
                guard let signed = signed(records, signer, now: now, metered: nil) else { return nil }
                r.answers += signed.filter { $0.type == .rrsig }
            }
            return r
        default:
            return nil
        }
    }

    /// A pool answer's NODATA at `owner` for a family it has no node of, signed ahead: the NSEC
    /// lists the name's own types and the address types the answer does have (`answered`).
    func poolNoData(owner: DNSName, answered: [RecordType], zone index: Int) -> Resolution? {
        guard isSigned(zone: index) else { return nil }
        let zone = zoneData[index]
        var r = Resolution(rcode: .noError, authoritative: true)
        r.authorities = [zone.negativeSOA]
        r.denial = .poolNoData(owner, types: (zone.nodes[owner]?.types ?? []) + answered)
        return sign(r, zone: index, metered: false)
    }

    /// The RRSIGs a pool's address RRset carries in zone `index`, signed ahead (unmetered).
    func rrsigs(owner: DNSName, type: RecordType, rdata: [RData], originalTTL: UInt32, zone index: Int)
        -> [RRSIGRecord]?
    {
        guard isSigned(zone: index), let signer = zones[index] else { return nil }
        return rrsigs(
            owner: owner, type: type, rdata: rdata, originalTTL: originalTTL, signer, now: clock(), metered: nil)
    }

    /// `records` with each RRset's RRSIGs after it (records come grouped by RRset, as the engine
    /// writes them). Nil when a new signature is over the `metered` budget or a key fails.
    func signed(
        _ records: [DNSResourceRecord], _ signer: ZoneSigner, now: Double, metered: SigningBudget?
    ) -> [DNSResourceRecord]? {
        var out: [DNSResourceRecord] = []
        out.reserveCapacity(records.count * 2)
        var i = 0
        while i < records.count {
            let first = records[i]
            var j = i + 1
            while j < records.count, records[j].type == first.type, records[j].name == first.name { j += 1 }
            let set = records[i..<j]
            guard
                let rrsigs = self.rrsigs(
                    owner: first.name, type: first.type, rdata: set.map(\.data), originalTTL: first.ttl, signer,
                    now: now, metered: metered)
            else { return nil }
            out += set
            for r in rrsigs { out.append(DNSResourceRecord(name: first.name, ttl: first.ttl, data: .rrsig(r))) }
            i = j
        }
        return out
    }

    /// The RRSIGs over one RRset: cached, or made now with the zone's validity policy (if the
    /// `metered` budget, when there is one, allows). Unmetered signatures are answers held ahead:
    /// their refresh time is noted for `refreshDue`.
    func rrsigs(
        owner: DNSName, type: RecordType, rdata: [RData], originalTTL: UInt32, _ signer: ZoneSigner, now: Double,
        metered: SigningBudget?
    ) -> [RRSIGRecord]? {
        let keys = signer.signingKeys(for: type)
        let key = SignatureCache.Key(
            rrset: CanonicalRRset(owner: owner, type: type, rdata: rdata), originalTTL: originalTTL,
            keyTags: keys.map(\.keyTag))
        let seconds = UInt32(clamping: Int(now))
        if let hit = cache.lookup(key, now: seconds) {
            if metered == nil { refresh.note(hit.refreshAt) }
            return hit.rrsigs
        }
        if let metered, !metered.take(now: now) { return nil }
        let (inception, expiration) = signer.policy.validity(now: seconds, spread: key.hashValue)
        var rrsigs: [RRSIGRecord] = []
        for k in keys {
            guard
                let rrsig = try? k.sign(
                    key.rrset, originalTTL: originalTTL, signer: signer.origin, inception: inception,
                    expiration: expiration)
            else { return nil }
            rrsigs.append(rrsig)
        }
        let refreshAt = expiration &- signer.policy.refresh
        cache.store(key, SignatureCache.Signed(rrsigs: rrsigs, refreshAt: refreshAt))
        if metered == nil { refresh.note(refreshAt) }
        return rrsigs
    }
}
