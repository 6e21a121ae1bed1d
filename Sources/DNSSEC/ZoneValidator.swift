import DNSWire

/// Validates answers from one zone against its trust anchor (RFC 4035 section 5), as a stub that
/// pins the anycast zone's key does: the zone's DNSKEY RRset must be signed by a pinned key, every
/// RRset relied on must carry a valid RRSIG by a key of that set, made by the zone and within its
/// validity, and a negative answer must come with the NSEC records that prove it (RFC 4035 5.4,
/// compact denial per RFC 9824 included). Pure: the caller gives the time.
public struct ZoneValidator: Sendable {
    public let anchor: TrustAnchor
    /// Seconds since 1970.
    public let now: UInt32

    public init(anchor: TrustAnchor, now: UInt32) {
        self.anchor = anchor
        self.now = now
    }

    public var zone: DNSName { anchor.zone }

    /// The zone keys from a response to `<zone> DNSKEY`, once a pinned key has signed them.
    public func zoneKeys(from response: DNSMessage) throws(DNSSECError) -> [DNSKEYRecord] {
        let keys = response.answers.compactMap { rr -> DNSKEYRecord? in
            guard rr.name == zone, case .dnskey(let key) = rr.data else { return nil }
            return key
        }
        guard !keys.isEmpty else { throw DNSSECError("\(zone) has no DNSKEY records in the answer") }
        let pinned = keys.filter(anchor.pins)
        guard !pinned.isEmpty else {
            throw DNSSECError("no DNSKEY of \(zone) matches the trust anchor (keys \(keys.map(\.keyTag)))")
        }
        _ = try verify(owner: zone, type: .dnskey, in: response.answers, keys: pinned)
        // Zone keys, but not one its owner revoked (RFC 5011 section 7).
        return keys.filter { $0.flags & DNSKEYRecord.zoneKeyFlag != 0 && $0.flags & 0x0080 == 0 }
    }

    /// Checks the RRset `owner`/`type` in `records` against its RRSIGs there; returns the labels
    /// field of the RRSIG that verified (fewer than the owner has: a wildcard expansion).
    public func verify(
        owner: DNSName, type: RecordType, in records: [DNSResourceRecord], keys: [DNSKEYRecord]
    ) throws(DNSSECError) -> UInt8 {
        guard owner.isSubdomain(of: zone) else {
            throw DNSSECError("\(owner) is outside \(zone), the zone the trust anchor covers")
        }
        let set = records.filter { $0.name == owner && $0.type == type }
        guard !set.isEmpty else { throw DNSSECError("no \(type) records at \(owner) to check") }
        let signatures = records.compactMap { rr -> RRSIGRecord? in
            guard rr.name == owner, case .rrsig(let sig) = rr.data, sig.typeCovered == type else { return nil }
            return sig
        }
        guard !signatures.isEmpty else { throw DNSSECError("\(owner) \(type) is not signed (no RRSIG)") }
        let rrset = CanonicalRRset(owner: owner, type: type, rdata: set.map(\.data))
        var reason = "no key of \(zone) made its RRSIG"
        for sig in signatures {
            guard sig.signerName == zone else {
                reason = "the RRSIG is by \(sig.signerName), not \(zone)"
                continue
            }
            for key in keys where key.keyTag == sig.keyTag && key.algorithm == sig.algorithm {
                switch SignatureCheck.verify(sig, over: rrset, with: key, now: now) {
                case .success: return sig.labels
                case .failure(let why): reason = why.description
                }
            }
        }
        throw DNSSECError("\(owner) \(type): \(reason)")
    }

    /// Checks a positive answer: every CNAME of the chain and the records, each RRset signed; a
    /// wildcard expansion also needs a signed NSEC saying the name itself does not exist.
    public func verifyAnswer(
        records: [DNSResourceRecord], chain: [DNSResourceRecord], in pool: [DNSResourceRecord], keys: [DNSKEYRecord]
    ) throws(DNSSECError) {
        var checked: Set<String> = []
        for rr in chain + records where checked.insert("\(rr.name.lowercased)/\(rr.type)").inserted {
            let labels = try verify(owner: rr.name, type: rr.type, in: pool, keys: keys)
            if labels < CanonicalRRset.labelCount(rr.name) {
                // RFC 4035 5.3.4: a signed NSEC must show that the next closer name (the owner cut
                // to one label more than the wildcard's parent) does not exist.
                let nextCloser = (try? DNSName(labels: Array(rr.name.labels.suffix(Int(labels) + 1)))) ?? rr.name
                guard try covering(nextCloser, in: pool, keys: keys) != nil else {
                    throw DNSSECError("\(rr.name) \(rr.type) is a wildcard expansion without proof that \(rr.name) "
                        + "does not exist")
                }
            }
        }
    }

    /// What a negative answer for `name`/`type` proves, from the NSEC records in `authority`:
    /// that the name holds other types (NODATA) or does not exist (NXDOMAIN); throws when the
    /// proof is missing, unsigned or does not cover the name.
    public func verifyDenial(
        name: DNSName, type: RecordType, authority: [DNSResourceRecord], keys: [DNSKEYRecord]
    ) throws(DNSSECError) -> Denial {
        if authority.contains(where: { $0.type == RecordType(50) }) {
            throw DNSSECError("NSEC3 denial is not supported (form-dns answers with NSEC)")
        }
        // The name's own NSEC: its types (compact denial marks a name that does not exist NXNAME).
        if let own = nsecs(in: authority).first(where: { $0.owner == name }) {
            try verifyNSEC(own.owner, in: authority, keys: keys)
            let types = own.record.types.types
            guard !types.contains(type), !types.contains(.cname) else {
                throw DNSSECError("the NSEC at \(name) lists \(type) (or a CNAME): it does not deny it")
            }
            // The parent's NSEC at a zone cut (NS, no SOA) speaks for the DS alone: the child's
            // own data is not the parent's to deny (RFC 4035 5.4, RFC 6840 4.1).
            guard type == .ds || !types.contains(.ns) || types.contains(.soa) else {
                throw DNSSECError("the NSEC at \(name) is the parent's at a delegation: it cannot deny \(type)")
            }
            return types.contains(.nxname) ? .nxDomain : .noData
        }
        if let denial = try provenMissing(name, in: authority, keys: keys) { return denial }
        throw DNSSECError("no NSEC proves that \(name) \(type) does not exist")
    }

    public enum Denial: Sendable, Equatable {
        case noData
        case nxDomain
    }

    /// A signed NSEC covering `name` (the name does not exist) and one covering (or holding, without
    /// the type) the wildcard at its closest encloser (RFC 4035 5.4); nil when `pool` has none.
    func provenMissing(_ name: DNSName, in pool: [DNSResourceRecord], keys: [DNSKEYRecord]) throws(DNSSECError)
        -> Denial?
    {
        let all = nsecs(in: pool)
        guard let cover = try covering(name, in: pool, keys: keys) else { return nil }
        // The closest encloser: the longest ancestor of `name` that the covering NSEC's ends share.
        let encloser = [cover.owner, cover.record.nextDomainName].map { name.commonAncestor(with: $0) }
            .max { $0.labelCount < $1.labelCount } ?? zone
        guard let wildcard = try? encloser.prepending(label: [UInt8(ascii: "*")]) else { return nil }
        if let w = all.first(where: { Self.covers($0, wildcard) }) {
            try verifyNSEC(w.owner, in: pool, keys: keys)
            return .nxDomain
        }
        return nil
    }

    /// A signed NSEC in `pool` whose span holds `name`: the name does not exist.
    func covering(_ name: DNSName, in pool: [DNSResourceRecord], keys: [DNSKEYRecord]) throws(DNSSECError)
        -> (owner: DNSName, record: NSECRecord)?
    {
        guard let cover = nsecs(in: pool).first(where: { Self.covers($0, name) }) else { return nil }
        try verifyNSEC(cover.owner, in: pool, keys: keys)
        return cover
    }

    /// An NSEC's signature, which must be its own owner's: an NSEC is never synthesised from a
    /// wildcard (RFC 4035 5.3.4; RFC 4592 4.3), so an RRSIG with fewer labels than the owner is a
    /// wildcard NSEC's signature replayed under another name.
    func verifyNSEC(_ owner: DNSName, in pool: [DNSResourceRecord], keys: [DNSKEYRecord]) throws(DNSSECError) {
        let labels = try verify(owner: owner, type: .nsec, in: pool, keys: keys)
        guard labels == CanonicalRRset.labelCount(owner) else {
            throw DNSSECError("the NSEC at \(owner) carries a wildcard's signature: refused")
        }
    }

    static func covers(_ nsec: (owner: DNSName, record: NSECRecord), _ name: DNSName) -> Bool {
        let next = nsec.record.nextDomainName
        // The last NSEC of a zone points back at the apex: it covers everything after its owner.
        return nsec.owner < name && (name < next || !(nsec.owner < next))
    }

    func nsecs(in records: [DNSResourceRecord]) -> [(owner: DNSName, record: NSECRecord)] {
        records.compactMap { rr in
            guard case .nsec(let n) = rr.data, rr.name.isSubdomain(of: zone) else { return nil }
            return (rr.name, n)
        }
    }
}

extension DNSName {
    /// The longest name both are at or below.
    func commonAncestor(with other: DNSName) -> DNSName {
        var candidate: DNSName? = self
        while let c = candidate {
            if other == c || other.isSubdomain(of: c) { return c }
            candidate = c.parent
        }
        return .root
    }
}
