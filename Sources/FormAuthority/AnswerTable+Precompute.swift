import DNSWire
import DNSZone

extension AnswerTable {
    /// Precomputes every answer that depends only on (name, type): each owner's types, ANY, a
    /// shared NODATA for other types, empty non-terminals and delegations. Whatever is not in the
    /// table (NXDOMAIN, wildcard expansions, names below cuts) takes the general path.
    ///
    /// With a `signer`, every entry of a signed zone gets a twin under `AnswerKey.signed`: the same
    /// answer with its RRSIGs and, if negative, its NSEC, signed here rather than per query.
    /// `poolName` gives a pool name's index among its pool's names.
    init(
        precomputing engine: AuthorityEngine, signer: ResponseSigner? = nil,
        poolName: (DNSName, Int) -> Int = { _, _ in 0 }
    ) {
        self.init(expectedCount: engine.zones.reduce(0) { $0 + $1.nodes.count * 3 })
        func add(_ name: DNSName, _ type: RecordType, key: AnswerKey? = nil, zone own: Int) {
            let q = DNSQuestion(name: name.lowercased, type: type)
            // DS at a zone's apex is the parent's answer, signed with the parent's keys.
            let parent = engine.answeringZone(for: q).flatMap { z in engine.zones.firstIndex { $0.origin == z.origin } }
            let zone = parent ?? own
            let resolution = engine.resolve(q)
            let key = key ?? AnswerKey(qtype: type.rawValue)
            let signed = signer?.isSigned(zone: zone) ?? false
            if let pool = resolution.pool {
                // A pool name itself: marked for per-client answers. A CNAME chain into a pool is
                // left to the general path, which appends the pool's records per query.
                if resolution.answers.isEmpty {
                    let marker = AnswerTemplate.poolMarker(pool, name: poolName(name, pool))
                    insert(name: name, key: key, template: marker)
                    if signed { insert(name: name, key: key.signed, template: marker) }
                }
                return
            }
            insert(name: name, key: key, template: AnswerTemplate(question: q, resolution: resolution, zone: zone))
            if signed, let signer {
                // Every entry of a signed zone has its twin, so a DO query never falls through to
                // another entry's answer; one that could not be signed is answered unsigned.
                let s = signer.sign(resolution, zone: zone, metered: false) ?? resolution
                insert(name: name, key: key.signed, template: AnswerTemplate(question: q, resolution: s, zone: zone))
            }
        }
        for (zoneIndex, zone) in engine.zones.enumerated().reversed() {
            // Structure entries: every existing name (and the apex) says how to answer names below it
            // that do not exist, so NXDOMAIN and REFUSED need neither the engine nor an allocation.
            let nxDomain = AnswerTemplate.negative(soa: zone.negativeSOA, rcode: .nxDomain, zone: zoneIndex)
            for name in zone.allNames + [zone.origin] where engine.zone(for: name)?.origin == zone.origin {
                let general =
                    zone.delegation(covering: name) != nil || name.wildcardChild.map { zone.nodes[$0] != nil } ?? true
                insert(name: name, key: .structure, template: .structure(general ? .general : .nxDomain(nxDomain)))
            }
            for name in zone.allNames where engine.zone(for: name)?.origin == zone.origin {
                let node = zone.nodes[name]
                var types = Set(node?.types ?? [])
                types.formUnion([.a, .aaaa, .any])
                // At a zone cut the parent answers DS itself (RFC 4035 3.1.4.1); every other type is
                // the same referral.
                if zone.delegation(covering: name) == name { types.insert(.ds) }
                // A zone's apex, when the zone above it is served too: DS comes from that one.
                if name == zone.origin, engine.answeringZone(for: DNSQuestion(name: name, type: .ds))?.origin != name {
                    types.insert(.ds)
                }
                if let target = node?[.cname]?.records.first?.targetName, let t = zone.nodes[target] {
                    types.formUnion(t.types)
                }
                for t in types { add(name, t, zone: zoneIndex) }
                // A name with a CNAME answers other types from its target's node: no shared entry.
                // Otherwise every type not listed above gets the same answer, so it is computed once,
                // for a type the name does not hold.
                if node?[.cname] == nil, let absent = Self.typeAbsent(from: types) {
                    add(name, absent, key: .otherTypes, zone: zoneIndex)
                }
                // A DO query for NSEC or RRSIG at a signed name gets those records, not a NODATA
                // whose NSEC would list the very type it denies.
                if let signer, signer.isSigned(zone: zoneIndex), zone.delegation(covering: name) == nil {
                    for type in [RecordType.nsec, .rrsig] {
                        guard let r = signer.dnssecRecords(type, at: name, zone: zoneIndex) else { continue }
                        let q = DNSQuestion(name: name.lowercased, type: type)
                        insert(
                            name: name, key: AnswerKey(qtype: type.rawValue).signed,
                            template: AnswerTemplate(question: q, resolution: r, zone: zoneIndex))
                    }
                }
            }
        }
    }

    /// A private-use type (RFC 6895) not in `types`: the engine gives it no special meaning, so its
    /// answer is the one every unlisted type gets. Nil only if a name holds all 255 of them.
    static func typeAbsent(from types: Set<RecordType>) -> RecordType? {
        for raw in UInt16(0xFF00)...UInt16(0xFFFE) where !types.contains(RecordType(raw)) { return RecordType(raw) }
        return nil
    }
}
