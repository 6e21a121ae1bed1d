import DNSWire
import DNSZone

/// Answers questions from a set of zones: pure logic, no I/O, no clock.
///
/// Behaviour follows RFC 1034 section 4.3.2 (the lookup algorithm), RFC 2308 (negative answers),
/// RFC 4592 (wildcards), RFC 6604 (RCODE after CNAME chains) and RFC 8482 (minimal ANY):
/// - names outside every zone: REFUSED, no AA;
/// - at or below a zone cut: a referral (NS in authority, glue in additional, no AA), except DS at
///   the cut itself, which the parent answers (RFC 4035 section 3.1.4.1);
/// - CNAMEs are followed inside the zone; the RCODE is that of the last name in the chain;
/// - NXDOMAIN and NODATA carry the SOA in authority with TTL min(SOA TTL, SOA MINIMUM);
/// - empty non-terminals answer NODATA; wildcards synthesise answers for names that do not exist;
/// - ANY returns a single RRset (the lowest type present, as Knot does), never a dump;
/// - NS, MX and SRV answers get the targets' in-zone A/AAAA records as additional data.
public struct AuthorityEngine: Equatable, Sendable {
    /// Zones, most specific origin first, so the deepest enclosing zone wins.
    public let zones: [Zone]
    /// GeoDNS pool owner names -> pool index. Their A/AAAA (and ANY) answers are per client.
    public let pools: [DNSName: Int]
    /// Bound on CNAME hops inside one answer (loops are also detected directly).
    public static let maxCNAMEChain = 16

    public init(zones: [Zone], pools: [DNSName: Int] = [:]) {
        let names = Array(pools.keys)
        self.zones = zones.map { $0.addingDynamicNames(names) }.sorted { $0.origin.labelCount > $1.origin.labelCount }
        self.pools = pools
    }

    /// The zone whose origin is the longest suffix of `name`.
    public func zone(for name: DNSName) -> Zone? {
        zones.first { name.isSubdomain(of: $0.origin) }
    }

    /// The zone that answers `question`: the deepest enclosing one, except for DS at a zone's apex,
    /// which the zone above it answers when it is served here too (RFC 4035 3.1.4.1).
    public func answeringZone(for question: DNSQuestion) -> Zone? {
        guard let zone = zone(for: question.name) else { return nil }
        guard question.type == .ds, zone.origin == question.name else { return zone }
        return zones.first { question.name != $0.origin && question.name.isSubdomain(of: $0.origin) } ?? zone
    }

    public func resolve(_ question: DNSQuestion) -> Resolution {
        guard question.recordClass == .internet || question.recordClass == .any,
            let zone = answeringZone(for: question)
        else { return .refused }
        var result = Resolution(rcode: .noError, authoritative: true)
        var current = question.name
        var visited: Set<DNSName> = []
        let type = question.type

        for _ in 0..<Self.maxCNAMEChain {
            visited.insert(current)
            if let cut = zone.delegation(covering: current) {
                // DS lives on the parent side of the cut (RFC 4035 3.1.4.1): answered here, with
                // AA, or NODATA with the SOA; never referred to the child.
                if cut == current, type == .ds {
                    if let ds = zone.nodes[cut]?[.ds] {
                        result.answers += ds.resourceRecords(owner: current)
                    } else {
                        addNegative(zone: zone, into: &result)
                        result.denial = .noData(cut, types: zone.nodes[cut]?.types ?? [])
                    }
                    return result
                }
                addReferral(cut: cut, zone: zone, into: &result)
                result.referral = cut
                // A referral straight away is not authoritative; one reached through our own CNAME
                // keeps AA for the CNAME data we did answer.
                result.authoritative = !result.answers.isEmpty
                return result
            }
            // The node that answers for `current`: its own, or a wildcard's (RFC 4592 section 3.3).
            let node: ZoneNode
            if let own = zone.nodes[current] {
                node = own
            } else if zone.emptyNonTerminals.contains(current) {
                addNegative(zone: zone, into: &result)
                result.denial = .noData(current, types: [])
                return result
            } else if let wildcard = wildcardNode(for: current, in: zone) {
                node = wildcard
            } else {
                result.rcode = .nxDomain
                addNegative(zone: zone, into: &result)
                result.denial = .nxDomain(current)
                return result
            }

            if let pool = pools[current], type == .a || type == .aaaa || type == .any {
                result.pool = pool
                result.poolOwner = current
                return result
            }
            if type == .any {
                // RFC 8482 section 4.1: answer with one RRset; the CNAME if there is one.
                if let first = node[.cname] ?? node.types.first.flatMap({ node[$0] }) {
                    let records = first.resourceRecords(owner: current)
                    result.answers += records
                    addTargets(of: records, zone: zone, into: &result)
                }
                return result
            }
            if let set = node[type] {
                let records = set.resourceRecords(owner: current)
                result.answers += records
                addTargets(of: records, zone: zone, into: &result)
                return result
            }
            if let cname = node[.cname], case .cname(let c) = cname.records[0] {
                result.answers += cname.resourceRecords(owner: current)
                // Out of the zone, or a loop: the resolver continues from the CNAME we gave it.
                guard c.target.isSubdomain(of: zone.origin), !visited.contains(c.target) else { return result }
                current = c.target
                continue
            }
            addNegative(zone: zone, into: &result)
            result.denial = .noData(current, types: node.types)
            return result
        }
        return result
    }

    /// RFC 4592: the source of synthesis is `*.<closest encloser>`, if it exists.
    private func wildcardNode(for name: DNSName, in zone: Zone) -> ZoneNode? {
        var candidate = name.parent
        while let encloser = candidate, encloser.isSubdomain(of: zone.origin) {
            if zone.exists(encloser) {
                guard let star = encloser.wildcardChild else { return nil }
                return zone.nodes[star]
            }
            candidate = encloser.parent
        }
        return nil
    }

    private func addNegative(zone: Zone, into result: inout Resolution) {
        result.authorities.append(zone.negativeSOA)
    }

    private func addReferral(cut: DNSName, zone: Zone, into result: inout Resolution) {
        guard let ns = zone.nodes[cut]?[.ns] else { return }
        let records = ns.resourceRecords()
        result.authorities += records
        // Glue: addresses of name servers inside this zone (RFC 1034 4.3.2 step 3b, RFC 9471).
        for rr in records {
            guard let host = rr.data.targetName, host.isSubdomain(of: zone.origin) else { continue }
            let before = result.additionals.count
            appendAddresses(of: host, zone: zone, into: &result.additionals)
            if result.additionals.count > before, host.isSubdomain(of: cut) { result.additionalRequired = true }
        }
    }

    private func addTargets(of records: [DNSResourceRecord], zone: Zone, into result: inout Resolution) {
        for rr in records {
            switch rr.type {
            case .ns, .mx, .srv:
                guard let host = rr.data.targetName, host.isSubdomain(of: zone.origin) else { continue }
                appendAddresses(of: host, zone: zone, into: &result.additionals)
            default:
                continue
            }
        }
    }

    private func appendAddresses(of host: DNSName, zone: Zone, into list: inout [DNSResourceRecord]) {
        guard let node = zone.nodes[host] else { return }
        for type in [RecordType.a, .aaaa] {
            guard let set = node[type] else { continue }
            for rr in set.resourceRecords() where !list.contains(rr) { list.append(rr) }
        }
    }
}
