import DNSWire
import DNSZone
import GeoIP
import NIOCore

/// Turns one query datagram/frame into one response: the whole server-side DNS logic
/// between the socket and the authority engine. Pure and synchronous, shared by UDP and TCP.
public struct ResponseBuilder: Sendable {
    public enum Transport: Sendable { case udp, tcp }

    public let engine: AuthorityEngine
    public let table: AnswerTable
    /// Our EDNS UDP payload size, advertised and used as the cap on UDP responses.
    public let udpPayloadSize: Int
    /// GeoDNS pools and the client locator; nil when no pool is configured.
    public let geo: GeoContext?
    /// Per pool, what the per-query path reads (as references, so reading costs one retain).
    let poolRuntime: [PoolRuntime]

    final class PoolRuntime: Sendable {
        let ecsEnabled: Bool
        let trustedResolvers: [IPNetwork]
        let health: HealthRepository?
        init(_ p: GeoPool, health: HealthRepository?) {
            ecsEnabled = p.ecsEnabled
            trustedResolvers = p.trustedResolvers
            self.health = health
        }
        @inline(__always)
        func acceptsClientSubnet(from source: IPAddress) -> Bool {
            ecsEnabled && (trustedResolvers.isEmpty || trustedResolvers.contains { $0.contains(source) })
        }
    }

    public init(engine: AuthorityEngine, udpPayloadSize: Int = Int(EDNS.defaultPayloadSize), geo: GeoContext? = nil) {
        self.engine = engine
        self.udpPayloadSize = udpPayloadSize
        self.geo = geo
        self.poolRuntime = (geo?.pools ?? []).enumerated().map { i, p in PoolRuntime(p, health: geo!.health[i]) }
        self.table = ResponseBuilder.precompute(engine)
    }

    /// Builds the engine for `zones` with `geo`'s pool names wired in.
    public init(zones: [Zone], udpPayloadSize: Int = Int(EDNS.defaultPayloadSize), geo: GeoContext?) {
        self.init(engine: AuthorityEngine(zones: zones, pools: geo?.poolNames ?? [:]), udpPayloadSize: udpPayloadSize, geo: geo)
    }

    /// Precomputes every answer that depends only on (name, type): each owner's types, ANY, a
    /// shared NODATA for other types, empty non-terminals and delegations. Whatever is not in the
    /// table (NXDOMAIN, wildcard expansions, names below cuts) takes the general path.
    static func precompute(_ engine: AuthorityEngine) -> AnswerTable {
        var table = AnswerTable(expectedCount: engine.zones.reduce(0) { $0 + $1.nodes.count * 3 })
        func add(_ name: DNSName, _ type: RecordType, key: AnswerKey? = nil) {
            let q = DNSQuestion(name: name.lowercased, type: type)
            let resolution = engine.resolve(q)
            let key = key ?? AnswerKey(qtype: type.rawValue)
            if let pool = resolution.pool {
                // A pool name itself: marked for per-client answers. A CNAME chain into a pool is
                // left to the general path, which appends the pool's records per query.
                if resolution.answers.isEmpty { table.insert(name: name, key: key, template: .poolMarker(pool)) }
                return
            }
            table.insert(name: name, key: key, template: AnswerTemplate(question: q, resolution: resolution))
        }
        for zone in engine.zones.reversed() {
            // Structure entries: every existing name (and the apex) says how to answer names below it
            // that do not exist, so NXDOMAIN and REFUSED need neither the engine nor an allocation.
            let nxDomain = AnswerTemplate.negative(soa: zone.negativeSOA, rcode: .nxDomain)
            for name in zone.allNames + [zone.origin] where engine.zone(for: name)?.origin == zone.origin {
                let general = zone.delegation(covering: name) != nil || name.wildcardChild.map { zone.nodes[$0] != nil } ?? true
                table.insert(name: name, key: .structure, template: .structure(general ? .general : .nxDomain(nxDomain)))
            }
            for name in zone.allNames where engine.zone(for: name)?.origin == zone.origin {
                let node = zone.nodes[name]
                var types = Set(node?.types ?? [])
                types.formUnion([.a, .aaaa, .any])
                // At a zone cut the parent answers DS itself (RFC 4035 3.1.4.1); every other type is
                // the same referral.
                if zone.delegation(covering: name) == name { types.insert(.ds) }
                if let target = node?[.cname]?.records.first?.targetName, let t = zone.nodes[target] {
                    types.formUnion(t.types)
                }
                for t in types { add(name, t) }
                // A name with a CNAME answers other types from its target's node: no shared entry.
                // Otherwise every type not listed above gets the same answer, so it is computed once,
                // for a type the name does not hold.
                if node?[.cname] == nil, let absent = Self.typeAbsent(from: types) {
                    add(name, absent, key: .otherTypes)
                }
            }
        }
        return table
    }

    /// A private-use type (RFC 6895) not in `types`: the engine gives it no special meaning, so its
    /// answer is the one every unlisted type gets. Nil only if a name holds all 255 of them.
    static func typeAbsent(from types: Set<RecordType>) -> RecordType? {
        for raw in UInt16(0xFF00)...UInt16(0xFFFE) where !types.contains(RecordType(raw)) { return RecordType(raw) }
        return nil
    }

    /// Writes the response to `query` into `out`; returns false if the query must be dropped.
    /// `source` is the address the query came from (GeoDNS places clients by it when there is no
    /// ECS); `cache` is the calling event loop's pool-answer memo.
    public func respond(to query: ByteBuffer, source: IPAddress? = nil, transport: Transport, cache: GeoAnswerCache? = nil,
                        into out: inout ByteBuffer) -> Bool {
        query.withUnsafeReadableBytes { bytes in
            respond(to: bytes, source: source, transport: transport, cache: cache, into: &out)
        }
    }

    public func respond(to bytes: UnsafeRawBufferPointer, source: IPAddress? = nil, transport: Transport,
                        cache: GeoAnswerCache? = nil, into out: inout ByteBuffer) -> Bool {
        let view = DNSQueryView(bytes: bytes)
        switch view.disposition {
        case .drop:
            return false
        case .formErr:
            writeError(.formErr, view: view, bytes: bytes, into: &out)
        case .notImp:
            writeError(.notImp, view: view, bytes: bytes, into: &out)
        case .badVers:
            writeError(.badVers, view: view, bytes: bytes, into: &out)
        case .answer:
            let limit = transport == .udp ? view.udpResponseLimit(serverMax: udpPayloadSize) : 65535
            let qtype = RecordType(view.qtype)
            if qtype == .opt {
                writeError(.formErr, view: view, bytes: bytes, into: &out)
            } else if qtype == .axfr || qtype == .ixfr || view.qclass != RecordClass.internet.rawValue {
                // No zone transfers; only class IN is served.
                writeError(.refused, view: view, bytes: bytes, into: &out)
            } else {
                let qname = UnsafeRawBufferPointer(rebasing: bytes[12..<(12 + view.qnameLength)])
                let template = table.lookup(qname: qname, hash: view.qnameHash, key: AnswerKey(qtype: view.qtype))
                    ?? table.lookup(qname: qname, hash: view.qnameHash, key: .otherTypes)
                if let template, template.pool >= 0 {
                    writePool(template.pool, qname: qname, view: view, bytes: bytes, source: source, cache: cache, limit: limit, into: &out)
                } else if let template {
                    write(template, view: view, bytes: bytes, limit: limit, into: &out)
                } else {
                    switch classifyMiss(qname: qname, hash: view.qnameHash) {
                    case .nxDomain(let t): write(t, view: view, bytes: bytes, limit: limit, into: &out)
                    case .refused: writeError(.refused, view: view, bytes: bytes, into: &out)
                    case .general: writeResolved(view: view, bytes: bytes, source: source, cache: cache, limit: limit, into: &out)
                    }
                }
            }
        }
        return true
    }

    enum Miss {
        case nxDomain(AnswerTemplate)
        case refused
        case general
    }

    /// For a (name, type) with no precomputed answer: finds the closest existing ancestor through
    /// the structure entries. No ancestor in any zone -> REFUSED; an ancestor under which names
    /// simply do not exist -> NXDOMAIN; anything else (the name exists, a wildcard, a zone cut)
    /// -> the general path. Allocation-free.
    func classifyMiss(qname: UnsafeRawBufferPointer, hash: UInt64) -> Miss {
        if table.lookup(qname: qname, hash: hash, key: .structure) != nil { return .general }
        var i = 1 + Int(qname[0])
        while i < qname.count {
            let suffix = UnsafeRawBufferPointer(rebasing: qname[i...])
            var h: UInt64 = 0xcbf29ce484222325
            for b in suffix {
                let folded = (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b
                h = (h ^ UInt64(folded)) &* 0x100000001b3
            }
            if let entry = table.lookup(qname: suffix, hash: h, key: .structure) {
                if case .nxDomain(let t) = entry.below { return .nxDomain(t) }
                return .general
            }
            if qname[i] == 0 { break }
            i += 1 + Int(qname[i])
        }
        return .refused
    }

    // MARK: - Writers

    @inline(__always)
    private func writeHeader(view: DNSQueryView, flags: UInt16, counts: (UInt16, UInt16, UInt16, UInt16), into out: inout ByteBuffer) {
        // QR, our flags, the query's opcode and its RD and CD bits (RFC 1035 4.1.1; CD per RFC 4035 3.1.6).
        let fromQuery = view.flags & (0x7800 | DNSHeader.Flag.recursionDesired.rawValue | DNSHeader.Flag.checkingDisabled.rawValue)
        out.writeMultipleIntegers(view.id, 0x8000 | flags | fromQuery, counts.0, counts.1, counts.2, counts.3)
    }

    private func optSize(_ view: DNSQueryView) -> Int {
        guard view.hasEDNS else { return 0 }
        return view.hasClientSubnet ? 11 + 8 + (Int(view.ecsSourcePrefix) + 7) / 8 : 11
    }

    /// Our OPT: our payload size, DO echoed (RFC 3225), ECS echoed (RFC 7871 section 7.2.1) with
    /// SCOPE 0 for answers that do not depend on the client's location, else the deciding prefix.
    private func writeOPT(view: DNSQueryView, extendedRcode: UInt8 = 0, scope: UInt8 = 0, into out: inout ByteBuffer) {
        let size = optSize(view)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { p in
            storeOPT(p.baseAddress!, view: view, extendedRcode: extendedRcode, scope: scope)
        }
    }

    /// Stores our OPT record at `p`; returns its length (`optSize(view)`).
    @inline(__always)
    private func storeOPT(_ p: UnsafeMutableRawPointer, view: DNSQueryView, extendedRcode: UInt8, scope: UInt8) -> Int {
        @inline(__always) func u16(_ v: UInt16, _ at: Int) { p.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt16.self) }
        p.storeBytes(of: 0, toByteOffset: 0, as: UInt8.self)
        u16(RecordType.opt.rawValue, 1)
        u16(UInt16(udpPayloadSize), 3)
        p.storeBytes(of: extendedRcode, toByteOffset: 5, as: UInt8.self)
        p.storeBytes(of: 0, toByteOffset: 6, as: UInt8.self)
        u16(view.dnssecOK ? 0x8000 : 0, 7)
        guard view.hasClientSubnet else { u16(0, 9); return 11 }
        let addressLength = (Int(view.ecsSourcePrefix) + 7) / 8
        u16(UInt16(8 + addressLength), 9)
        u16(ClientSubnet.optionCode, 11)
        u16(UInt16(4 + addressLength), 13)
        u16(view.ecsFamily, 15)
        p.storeBytes(of: view.ecsSourcePrefix, toByteOffset: 17, as: UInt8.self)
        p.storeBytes(of: scope, toByteOffset: 18, as: UInt8.self)
        for k in 0..<addressLength {
            let word = k < 8 ? view.ecsAddressHigh : view.ecsAddressLow
            p.storeBytes(of: UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (k % 8))), toByteOffset: 19 + k, as: UInt8.self)
        }
        return 19 + addressLength
    }

    private func writeError(_ rcode: ResponseCode, view: DNSQueryView, bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer) {
        let hasQuestion = view.hasQuestion
        let edns: UInt16 = view.hasEDNS ? 1 : 0
        writeHeader(view: view, flags: rcode.rawValue & 0xF, counts: (hasQuestion ? 1 : 0, 0, 0, edns), into: &out)
        if hasQuestion { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd])) }
        if view.hasEDNS { writeOPT(view: view, extendedRcode: UInt8(rcode.rawValue >> 4), into: &out) }
    }

    private func write(_ t: AnswerTemplate, view: DNSQueryView, bytes: UnsafeRawBufferPointer, limit: Int, scope: UInt8 = 0,
                       into out: inout ByteBuffer) {
        let opt = optSize(view)
        let edns: UInt16 = view.hasEDNS ? 1 : 0
        let fixed = view.questionEnd + opt
        var flags = t.flags
        var counts = (t.answerCount, t.authorityCount, t.additionalCount + edns)
        var bodyLength = t.body.count
        if fixed + bodyLength > limit {
            if !t.additionalRequired, fixed + t.bodyLengthWithoutAdditional <= limit {
                // Additional data may be omitted without setting TC (RFC 2181 section 9).
                bodyLength = t.bodyLengthWithoutAdditional
                counts.2 = edns
            } else {
                // Does not fit: TC with the question only; the client retries over TCP (RFC 7766).
                bodyLength = 0
                counts = (0, 0, edns)
                flags |= DNSHeader.Flag.truncated.rawValue
            }
        }
        // One capacity check and one copy per part: the whole response is stored in place.
        let total = fixed + bodyLength
        let questionLength = view.questionEnd - 12
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { raw in
            let p = raw.baseAddress!
            @inline(__always) func u16(_ v: UInt16, _ at: Int) { p.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt16.self) }
            let fromQuery = view.flags & (0x7800 | DNSHeader.Flag.recursionDesired.rawValue | DNSHeader.Flag.checkingDisabled.rawValue)
            u16(view.id, 0)
            u16(0x8000 | flags | fromQuery, 2)
            u16(1, 4)
            u16(counts.0, 6)
            u16(counts.1, 8)
            u16(counts.2, 10)
            (p + 12).copyMemory(from: bytes.baseAddress! + 12, byteCount: questionLength)
            if bodyLength > 0 {
                t.body.withUnsafeBytes { (p + view.questionEnd).copyMemory(from: $0.baseAddress!, byteCount: bodyLength) }
            }
            if view.hasEDNS { _ = storeOPT(p + view.questionEnd + bodyLength, view: view, extendedRcode: 0, scope: scope) }
            return total
        }
    }

    /// The general path: resolve, then encode (with the same truncation rules as templates).
    private func writeResolved(view: DNSQueryView, bytes: UnsafeRawBufferPointer, source: IPAddress?, cache: GeoAnswerCache?,
                               limit: Int, into out: inout ByteBuffer) {
        let name: DNSName
        do { name = try DNSName(wire: Array(bytes[12..<(12 + view.qnameLength)])) } catch {
            writeError(.formErr, view: view, bytes: bytes, into: &out)
            return
        }
        let question = DNSQuestion(name: name, type: RecordType(view.qtype), recordClass: RecordClass(view.qclass))
        var resolution = engine.resolve(question)
        var scope: UInt8 = 0
        if let pool = resolution.pool, let owner = resolution.poolOwner {
            // A CNAME chain that ends at a pool: append the pool's records for this client.
            let entry: GeoAnswerCache.Entry
            (entry, scope) = poolEntry(pool, view: view, source: source, cache: cache)
            let ipv6 = view.qtype == RecordType.aaaa.rawValue
            let addresses = ipv6 ? entry.ipv6 : (entry.ipv4.isEmpty && view.qtype == RecordType.any.rawValue ? entry.ipv6 : entry.ipv4)
            for a in addresses {
                let data: RData = a.count == 4 ? .a(ARecord(a[0], a[1], a[2], a[3])) : .aaaa(AAAARecord(bytes: a)!)
                resolution.answers.append(DNSResourceRecord(name: owner, ttl: entry.ttl, data: data))
            }
            if addresses.isEmpty, let zone = engine.zone(for: owner) {
                resolution.authorities.append(zone.negativeSOA)
            }
        }
        let template = AnswerTemplate(question: question, resolution: resolution)
        write(template, view: view, bytes: bytes, limit: limit, scope: scope, into: &out)
    }

    // MARK: - GeoDNS

    /// Answers a pool name: the cached (or freshly chosen) node set for this client's network.
    private func writePool(_ pool: Int, qname: UnsafeRawBufferPointer, view: DNSQueryView, bytes: UnsafeRawBufferPointer,
                           source: IPAddress?, cache: GeoAnswerCache?, limit: Int, into out: inout ByteBuffer) {
        let (entry, scope) = poolEntry(pool, view: view, source: source, cache: cache)
        let template: AnswerTemplate?
        switch view.qtype {
        case RecordType.aaaa.rawValue: template = entry.aaaa
        case RecordType.any.rawValue: template = entry.a ?? entry.aaaa
        default: template = entry.a
        }
        // No node of this family: NODATA, from the name's shared negative template.
        if let t = template ?? table.lookup(qname: qname, hash: view.qnameHash, key: .otherTypes) {
            write(t, view: view, bytes: bytes, limit: limit, scope: scope, into: &out)
        } else {
            writeError(.servFail, view: view, bytes: bytes, into: &out)
        }
    }

    /// The client's address for placement: ECS when present, non-zero and allowed for this pool.
    private func placementAddress(_ pool: Int, view: DNSQueryView, source: IPAddress) -> (IPAddress, Int)? {
        guard view.hasClientSubnet, view.ecsSourcePrefix > 0, poolRuntime[pool].acceptsClientSubnet(from: source) else { return nil }
        return (IPAddress(high: view.ecsAddressHigh, low: view.ecsAddressLow, isIPv4: view.ecsFamily == 1), Int(view.ecsSourcePrefix))
    }

    static let unspecified = IPAddress(high: 0, low: 0, isIPv4: true)

    /// The pool's answer for this client and the ECS scope to return with it.
    private func poolEntry(_ index: Int, view: DNSQueryView, source: IPAddress?, cache: GeoAnswerCache?) -> (GeoAnswerCache.Entry, UInt8) {
        let from = source ?? Self.unspecified
        let ecs = placementAddress(index, view: view, source: from)
        let entry = poolEntry(index, from: from, ecs: ecs, cache: cache)
        // RFC 7871 7.2.1: ECS not used (absent, SOURCE 0, disabled, untrusted) -> SCOPE 0; otherwise
        // the deciding network, no longer than SOURCE.
        return (entry, ecs == nil ? 0 : min(entry.networkPrefix, view.ecsSourcePrefix))
    }

    private func poolEntry(_ index: Int, from: IPAddress, ecs: (IPAddress, Int)?, cache: GeoAnswerCache?) -> GeoAnswerCache.Entry {
        let key = ecs.map { $0.0.masked(to: $0.1) } ?? from
        let repository = poolRuntime[index].health
        let generation = repository?.generation.load(ordering: .acquiring) ?? 0
        if let hit = cache?.lookup(pool: index, address: key), hit.healthGeneration == generation { return hit }
        let geo = self.geo!
        let pool = geo.pools[index]
        var placement = geo.place(pool: pool, source: from, clientSubnet: ecs)
        let ranked = Self.rank(pool, placement: &placement, health: repository)
        let entry = Self.poolEntry(pool, placement: placement, ranked: ranked, health: repository, generation: generation)
        cache?.insert(pool: index, network: placement.network, entry: entry)
        return entry
    }

    /// Ranks a pool's nodes for one placed client, with the pool's current health if it has checks.
    /// The widened answer block (`AnswerScopeMap`) holds only while no cost is scaled by health: with
    /// a degraded node or a spilling region the client's own deciding network is used instead (its
    /// cell key, its cache block, its ECS scope), so `placement` may come back narrowed.
    static func rank(_ pool: GeoPool, placement: inout GeoContext.ClientPlacement,
                     health: HealthRepository?) -> [GeoSelector.Candidate] {
        let states = health?.stateLookup()
        let ranked = GeoSelector.rank(pool, client: placement.location, cellKey: GeoContext.cellKey(placement.network),
                                      health: states)
        guard placement.network != placement.decidingNetwork,
              ranked.contains(where: { $0.health == .degraded || $0.regionDegraded }) else { return ranked }
        placement.network = placement.decidingNetwork
        return GeoSelector.rank(pool, client: placement.location, cellKey: GeoContext.cellKey(placement.network),
                                health: states)
    }

    /// Encodes a pool's answer from its ranking.
    static func poolEntry(_ pool: GeoPool, placement: GeoContext.ClientPlacement, ranked: [GeoSelector.Candidate],
                          health: HealthRepository? = nil, generation: Int = 0) -> GeoAnswerCache.Entry {
        let snapshot = health?.snapshot()
        let v4Nodes = GeoSelector.select(ranked, ipv6: false, maxAnswers: pool.policy.maxAnswers)
        let v6Nodes = GeoSelector.select(ranked, ipv6: true, maxAnswers: pool.policy.maxAnswers)
        let v4 = v4Nodes.compactMap(\.ipv4)
        let v6 = v6Nodes.compactMap(\.ipv6)
        var ttl = pool.ttl
        if let cfg = pool.health, let snapshot {
            // The states the ranking used, so TTL and answer agree even if health moved meanwhile.
            let rankedState = Dictionary(ranked.map { ($0.node.id, $0.health) }, uniquingKeysWith: { a, _ in a })
            let answered = v4Nodes + v6Nodes
            let failOpen = ranked.contains { if case .failOpen = $0.verdict { return true }; return false }
            // Counted only for answered nodes that are failing checks: a passing node keeps the full TTL.
            let removal = answered.compactMap { (snapshot[$0.id] ?? NodeHealth()).checksUntilRemoval(policy: health!.policy) }.min()
            // A degraded region in the answer shortens the TTL like a degraded node does.
            let regionDegraded = ranked.contains { c in c.regionDegraded && answered.contains { $0.id == c.node.id } }
            // Without active checks (`check: none`) no check can remove a node: no interval bound.
            let interval = cfg.check == .none ? 0 : Double(cfg.intervalMs) / 1000
            ttl = HealthTTLPolicy(full: pool.ttl, degraded: cfg.degradedTTL, minimum: cfg.minimumTTL, checkInterval: interval)
                .ttl(answered: answered.map { rankedState[$0.id] ?? .healthy } + (regionDegraded ? [.degraded] : []), failOpen: failOpen, checksUntilRemoval: removal)
        }
        let owner = pool.names[0]
        func template(_ addresses: [[UInt8]], _ type: RecordType) -> AnswerTemplate? {
            guard !addresses.isEmpty else { return nil }
            var r = Resolution(rcode: .noError, authoritative: true)
            r.answers = addresses.map { a in
                DNSResourceRecord(name: owner, ttl: ttl, data: a.count == 4 ? .a(ARecord(a[0], a[1], a[2], a[3])) : .aaaa(AAAARecord(bytes: a)!))
            }
            // The owner equals the question name, so it is encoded as a pointer to offset 12 and
            // the template fits every name of the pool.
            return AnswerTemplate(question: DNSQuestion(name: owner, type: type), resolution: r)
        }
        return GeoAnswerCache.Entry(a: template(v4, .a), aaaa: template(v6, .aaaa), ipv4: v4, ipv6: v6, ttl: ttl,
                                    networkPrefix: UInt8(placement.network.prefixLength), healthGeneration: generation)
    }
}
