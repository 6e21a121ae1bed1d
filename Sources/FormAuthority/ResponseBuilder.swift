import DNSWire
import DNSZone
import GeoIP
import NetAddress
import NIOCore

/// The responder: turns one query datagram/frame into one response, between the socket and the
/// authority engine. Pure and synchronous, shared by UDP and TCP.
///
/// It walks a query through small stages, as Knot does: parse (`DNSQueryView`), dispatch on the
/// disposition, look up the precomputed answer (`AnswerTable`, built by `AnswerTable+Precompute`),
/// else classify the miss (NXDOMAIN, REFUSED or the general path through the engine), hand pool
/// names to the `PoolAnswerer`, and write header, question, body and OPT with the one truncation
/// rule (`write(_:view:bytes:limit:scope:into:)`). What lives here: wire writing only; no policy.
public struct ResponseBuilder: Sendable {
    public enum Transport: Sendable { case udp, tcp }

    public let engine: AuthorityEngine
    public let table: AnswerTable
    /// Our EDNS UDP payload size, advertised and used as the cap on UDP responses.
    public let udpPayloadSize: Int
    /// GeoDNS pools and the client locator; nil when no pool is configured.
    public var geo: GeoContext? { pools?.geo }
    /// Answers pool names (shared with `explain`); nil when no pool is configured.
    let pools: PoolAnswerer?
    /// Per pool, the index of the zone its names are in (metrics count pool answers by zone).
    let poolZones: [Int]
    /// Signs the answers of signed zones for queries with DO set; nil when no zone is signed.
    public let signer: ResponseSigner?
    /// `signer != nil`, as a plain flag: testing the optional struct on every query costs retains.
    let signs: Bool
    /// Rate limiting and server cookies (`ResponseBuilder+Limits`).
    public let limits: QueryLimits
    /// Whether `limits` holds anything: one flag tested per query, not two optionals.
    let limited: Bool

    /// With `previous` for the same engine (same zones, same pool names: a change to pools' nodes,
    /// weights or health settings), its precomputed answers are kept rather than computed again;
    /// they depend on nothing else.
    ///
    /// With `signing`, the zones it names answer DO queries signed. A previous builder's answers
    /// are kept only if it signs with the same keys and none of its signatures is due yet.
    public init(
        engine: AuthorityEngine, udpPayloadSize: Int = Int(EDNS.defaultPayloadSize), geo: GeoContext? = nil,
        signing: SigningSetup? = nil, limits: QueryLimits = .none, reusing previous: ResponseBuilder? = nil
    ) {
        var poolZones = [Int](repeating: -1, count: geo?.pools.count ?? 0)
        for (name, pool) in engine.pools where pool < poolZones.count {
            poolZones[pool] = engine.zones.firstIndex { name.isSubdomain(of: $0.origin) } ?? -1
        }
        var signer = signing.map { ResponseSigner(setup: $0, engine: engine, geo: geo) }
        if let previous, previous.engine == engine, ResponseSigner.sameKeys(previous.signer, signer),
            !(previous.signer?.refreshDue() ?? false)
        {
            self.table = previous.table
            signer = previous.signer
        } else {
            self.table = AnswerTable(
                precomputing: engine, signer: signer,
                poolName: { name, pool in geo?.pools[pool].names.firstIndex(of: name) ?? 0 })
        }
        self.engine = engine
        self.udpPayloadSize = udpPayloadSize
        self.poolZones = poolZones
        self.signer = signer
        self.signs = signer != nil
        self.limits = limits
        self.limited = limits.rateLimiter != nil || limits.cookies != nil
        self.pools = geo.map { PoolAnswerer(geo: $0, signer: signer, poolZones: poolZones) }
    }

    /// Builds the engine for `zones` with `geo`'s pool names wired in.
    public init(
        zones: [Zone], udpPayloadSize: Int = Int(EDNS.defaultPayloadSize), geo: GeoContext?,
        signing: SigningSetup? = nil, limits: QueryLimits = .none, reusing previous: ResponseBuilder? = nil
    ) {
        self.init(
            engine: AuthorityEngine(zones: zones, pools: geo?.poolNames ?? [:]), udpPayloadSize: udpPayloadSize,
            geo: geo, signing: signing, limits: limits, reusing: previous)
    }

    /// The same answers signed again now (the builder to swap in once `signer.refreshDue()`):
    /// signatures still fresh come from the cache, those due are made again.
    public func resigned() -> ResponseBuilder {
        guard let signer else { return self }
        return ResponseBuilder(
            engine: engine, udpPayloadSize: udpPayloadSize, geo: geo, signing: signer.setup, limits: limits,
            reusing: nil)
    }

    /// Writes the response to `query` into `out`; returns false if the query must be dropped.
    /// `source` is the address the query came from (GeoDNS places clients by it when there is no
    /// ECS); `cache` is the calling event loop's pool-answer memo; `counters` are the calling
    /// thread's query counters; `clock` is read for rate limiting and cookies (nil: now).
    public func respond(
        to query: ByteBuffer, source: IPAddress? = nil, transport: Transport, cache: GeoAnswerCache? = nil,
        counters: QueryCounters? = nil, clock: QueryClock? = nil, into out: inout ByteBuffer
    ) -> Bool {
        query.withUnsafeReadableBytes { bytes in
            respond(
                to: bytes, source: source, transport: transport, cache: cache, counters: counters, clock: clock,
                into: &out)
        }
    }

    public func respond(
        to bytes: UnsafeRawBufferPointer, source: IPAddress? = nil, transport: Transport,
        cache: GeoAnswerCache? = nil, counters: QueryCounters? = nil, clock: QueryClock? = nil,
        into out: inout ByteBuffer
    ) -> Bool {
        // The cells, not the object: counting below costs no reference count.
        let counters = counters?.cells
        var view = DNSQueryView(bytes: bytes)
        let start = out.writerIndex
        guard limited else {
            guard
                let zone = write(
                    view: view, bytes: bytes, source: source, cache: cache, counters: counters, into: &out,
                    transport: transport)
            else { return false }
            if let counters {
                count(view, transport: transport, source: source, zone: zone, from: start, out, counters)
            }
            return true
        }
        return respondLimited(
            view: &view, bytes: bytes, source: source, transport: transport, cache: cache, counters: counters,
            clock: clock, start: start, into: &out)
    }

    /// Writes the response to a parsed query; the index of the zone that answered (-1: none), or
    /// nil when the query is dropped.
    func write(
        view: DNSQueryView, bytes: UnsafeRawBufferPointer, source: IPAddress?, cache: GeoAnswerCache?,
        counters: CounterCells?, into out: inout ByteBuffer, transport: Transport
    ) -> Int? {
        var zone = -1
        switch view.disposition {
        case .drop:
            counters?.dropped()
            return nil
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
                let key = AnswerKey(qtype: view.qtype)
                // DO: a signed zone's entries have signed twins; an unsigned zone's answer as usual.
                let signedTemplate =
                    view.dnssecOK && signs
                    ? table.lookup(qname: qname, hash: view.qnameHash, key: key.signed)
                        ?? table.lookup(qname: qname, hash: view.qnameHash, key: AnswerKey.otherTypes.signed)
                    : nil
                let template =
                    signedTemplate
                    ?? table.lookup(qname: qname, hash: view.qnameHash, key: key)
                    ?? table.lookup(qname: qname, hash: view.qnameHash, key: .otherTypes)
                if let template, template.pool >= 0 {
                    zone = poolZones[template.pool]
                    writePool(
                        template.pool, name: template.poolName, qname: qname, view: view, bytes: bytes,
                        source: source, cache: cache, counters: counters, limit: limit, into: &out)
                } else if let template {
                    zone = Int(template.zone)
                    write(template, view: view, bytes: bytes, limit: limit, into: &out)
                } else {
                    switch classifyMiss(qname: qname, hash: view.qnameHash) {
                    case .nxDomain(let t) where view.dnssecOK && signer?.isSigned(zone: Int(t.zone)) == true:
                        // Compact denial names the query: signed per name, on the general path, unless
                        // the zone's signing budget is spent (a random-subdomain flood): SERVFAIL at once.
                        zone = Int(t.zone)
                        if signer?.budgetSpent(zone: zone) == true {
                            writeError(.servFail, view: view, bytes: bytes, into: &out)
                        } else {
                            zone = writeResolved(
                                view: view, bytes: bytes, source: source, cache: cache, counters: counters,
                                limit: limit, into: &out)
                        }
                    case .nxDomain(let t):
                        zone = Int(t.zone)
                        write(t, view: view, bytes: bytes, limit: limit, into: &out)
                    case .refused: writeError(.refused, view: view, bytes: bytes, into: &out)
                    case .general:
                        zone = writeResolved(
                            view: view, bytes: bytes, source: source, cache: cache, counters: counters, limit: limit,
                            into: &out)
                    }
                }
            }
        }
        return zone
    }

    /// Counts an answered query from the response as written (RCODE and TC from its header).
    @inline(__always)
    func count(
        _ view: DNSQueryView, transport: Transport, source: IPAddress?, zone: Int, from start: Int,
        _ out: ByteBuffer, _ counters: CounterCells
    ) {
        let flags = out.getInteger(at: start + 2, as: UInt16.self) ?? 0
        let rcode = view.disposition == .badVers ? 16 : Int(flags & 0xF)
        counters.answered(
            tcp: transport == .tcp, ipv6: source.map { !$0.isIPv4 } ?? false, qtype: view.qtype, zone: zone,
            rcode: rcode, truncated: flags & 0x0200 != 0,
            clientSubnet: view.hasClientSubnet, size: out.writerIndex - start)
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
            if let entry = table.lookup(qname: suffix, hash: FoldedNameHash.hash(suffix), key: .structure) {
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
    func writeHeader(
        view: DNSQueryView, flags: UInt16, counts: (UInt16, UInt16, UInt16, UInt16), into out: inout ByteBuffer
    ) {
        // QR, our flags, the query's opcode and its RD and CD bits (RFC 1035 4.1.1; CD per RFC 4035 3.1.6).
        let fromQuery =
            view.flags & (0x7800 | DNSHeader.Flag.recursionDesired.rawValue | DNSHeader.Flag.checkingDisabled.rawValue)
        out.writeMultipleIntegers(view.id, 0x8000 | flags | fromQuery, counts.0, counts.1, counts.2, counts.3)
    }

    private func optSize(_ view: DNSQueryView) -> Int {
        guard view.hasEDNS else { return 0 }
        let cookie = view.replyServerCookie != nil ? 4 + DNSCookie.clientLength + 16 : 0
        return (view.hasClientSubnet ? 11 + 8 + (Int(view.ecsSourcePrefix) + 7) / 8 : 11) + cookie
    }

    /// Our OPT: our payload size, DO echoed (RFC 3225), ECS echoed (RFC 7871 section 7.2.1) with
    /// SCOPE 0 for answers that do not depend on the client's location, else the deciding prefix;
    /// the client cookie with our server cookie when the query had one (RFC 7873 section 5.2).
    func writeOPT(view: DNSQueryView, extendedRcode: UInt8 = 0, scope: UInt8 = 0, into out: inout ByteBuffer) {
        let size = optSize(view)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { p in
            storeOPT(p.baseAddress!, view: view, extendedRcode: extendedRcode, scope: scope)
        }
    }

    /// Stores our OPT record at `p`; returns its length (`optSize(view)`).
    @inline(__always)
    private func storeOPT(_ p: UnsafeMutableRawPointer, view: DNSQueryView, extendedRcode: UInt8, scope: UInt8) -> Int {
        @inline(__always) func u16(_ v: UInt16, _ at: Int) {
            p.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt16.self)
        }
        p.storeBytes(of: 0, toByteOffset: 0, as: UInt8.self)
        u16(RecordType.opt.rawValue, 1)
        u16(UInt16(udpPayloadSize), 3)
        p.storeBytes(of: extendedRcode, toByteOffset: 5, as: UInt8.self)
        p.storeBytes(of: 0, toByteOffset: 6, as: UInt8.self)
        u16(view.dnssecOK ? 0x8000 : 0, 7)
        var at = 11
        if view.hasClientSubnet {
            let addressLength = (Int(view.ecsSourcePrefix) + 7) / 8
            u16(ClientSubnet.optionCode, 11)
            u16(UInt16(4 + addressLength), 13)
            u16(view.ecsFamily, 15)
            p.storeBytes(of: view.ecsSourcePrefix, toByteOffset: 17, as: UInt8.self)
            p.storeBytes(of: scope, toByteOffset: 18, as: UInt8.self)
            for k in 0..<addressLength {
                let word = k < 8 ? view.ecsAddressHigh : view.ecsAddressLow
                p.storeBytes(
                    of: UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (k % 8))), toByteOffset: 19 + k,
                    as: UInt8.self)
            }
            at = 19 + addressLength
        }
        if let cookie = view.replyServerCookie {
            u16(DNSCookie.optionCode, at)
            u16(UInt16(DNSCookie.clientLength + 16), at + 2)
            p.storeBytes(of: view.clientCookie.bigEndian, toByteOffset: at + 4, as: UInt64.self)
            p.storeBytes(of: cookie.high.bigEndian, toByteOffset: at + 12, as: UInt64.self)
            p.storeBytes(of: cookie.low.bigEndian, toByteOffset: at + 20, as: UInt64.self)
            at += 28
        }
        u16(UInt16(at - 11), 9)
        return at
    }

    func writeError(
        _ rcode: ResponseCode, view: DNSQueryView, bytes: UnsafeRawBufferPointer, into out: inout ByteBuffer
    ) {
        let hasQuestion = view.hasQuestion
        let edns: UInt16 = view.hasEDNS ? 1 : 0
        writeHeader(view: view, flags: rcode.rawValue & 0xF, counts: (hasQuestion ? 1 : 0, 0, 0, edns), into: &out)
        if hasQuestion { out.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[12..<view.questionEnd])) }
        if view.hasEDNS { writeOPT(view: view, extendedRcode: UInt8(rcode.rawValue >> 4), into: &out) }
    }

    private func write(
        _ t: AnswerTemplate, view: DNSQueryView, bytes: UnsafeRawBufferPointer, limit: Int, scope: UInt8 = 0,
        into out: inout ByteBuffer
    ) {
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
            @inline(__always) func u16(_ v: UInt16, _ at: Int) {
                p.storeBytes(of: v.bigEndian, toByteOffset: at, as: UInt16.self)
            }
            let fromQuery =
                view.flags
                & (0x7800 | DNSHeader.Flag.recursionDesired.rawValue | DNSHeader.Flag.checkingDisabled.rawValue)
            u16(view.id, 0)
            u16(0x8000 | flags | fromQuery, 2)
            u16(1, 4)
            u16(counts.0, 6)
            u16(counts.1, 8)
            u16(counts.2, 10)
            (p + 12).copyMemory(from: bytes.baseAddress! + 12, byteCount: questionLength)
            if bodyLength > 0 {
                t.body.withUnsafeBytes {
                    (p + view.questionEnd).copyMemory(from: $0.baseAddress!, byteCount: bodyLength)
                }
            }
            if view.hasEDNS {
                _ = storeOPT(p + view.questionEnd + bodyLength, view: view, extendedRcode: 0, scope: scope)
            }
            return total
        }
    }

    /// The general path: resolve, then encode (with the same truncation rules as templates).
    /// Returns the index of the zone that answered (-1: none).
    private func writeResolved(
        view: DNSQueryView, bytes: UnsafeRawBufferPointer, source: IPAddress?, cache: GeoAnswerCache?,
        counters: CounterCells?, limit: Int, into out: inout ByteBuffer
    ) -> Int {
        let name: DNSName
        do { name = try DNSName(wire: Array(bytes[12..<(12 + view.qnameLength)])) } catch {
            writeError(.formErr, view: view, bytes: bytes, into: &out)
            return -1
        }
        let question = DNSQuestion(name: name, type: RecordType(view.qtype), recordClass: RecordClass(view.qclass))
        var resolution = engine.resolve(question)
        var scope: UInt8 = 0
        if let pool = resolution.pool, let owner = resolution.poolOwner, let pools {
            // A CNAME chain that ends at a pool: append the pool's records for this client.
            let entry: GeoAnswerCache.Entry
            (entry, scope) = pools.answer(pool: pool, view: view, source: source, cache: cache)
            let ipv6 =
                view.qtype == RecordType.aaaa.rawValue
                || (entry.ipv4.isEmpty && view.qtype == RecordType.any.rawValue)
            let addresses = ipv6 ? entry.ipv6 : entry.ipv4
            counters?.poolAnswered(pool: pool, entry: entry, ipv6: ipv6)
            for a in addresses {
                let data: RData = a.count == 4 ? .a(ARecord(a[0], a[1], a[2], a[3])) : .aaaa(AAAARecord(bytes: a)!)
                resolution.answers.append(DNSResourceRecord(name: owner, ttl: entry.ttl, data: data))
            }
            if addresses.isEmpty, let zone = engine.zone(for: owner) {
                resolution.authorities.append(zone.negativeSOA)
                // The NSEC lists what the name holds in this answer: its own types and the other family.
                let other: [RecordType] =
                    ipv6 ? (entry.ipv4.isEmpty ? [] : [.a]) : (entry.ipv6.isEmpty ? [] : [.aaaa])
                resolution.denial = .poolNoData(owner, types: (zone.nodes[owner]?.types ?? []) + other)
            }
        }
        let zone = engine.zones.firstIndex { name.isSubdomain(of: $0.origin) } ?? -1
        if view.dnssecOK, let signer, signer.isSigned(zone: zone) {
            // Signed per query, within the zone's signing budget: past it, SERVFAIL (a resolver
            // tries another server; an unsigned answer would only be bogus).
            guard
                let signed = signer.sign(resolution, zone: zone, metered: true, compactOK: view.compactOK)
            else {
                writeError(.servFail, view: view, bytes: bytes, into: &out)
                return zone
            }
            resolution = signed
        }
        let template = AnswerTemplate(question: question, resolution: resolution)
        write(template, view: view, bytes: bytes, limit: limit, scope: scope, into: &out)
        return zone
    }

    // MARK: - GeoDNS

    /// Answers a pool name: the cached (or freshly chosen) node set for this client's network.
    private func writePool(
        _ pool: Int, name: Int, qname: UnsafeRawBufferPointer, view: DNSQueryView, bytes: UnsafeRawBufferPointer,
        source: IPAddress?, cache: GeoAnswerCache?, counters: CounterCells?, limit: Int, into out: inout ByteBuffer
    ) {
        guard let pools else { return writeError(.servFail, view: view, bytes: bytes, into: &out) }
        let (entry, scope) = pools.answer(pool: pool, view: view, source: source, cache: cache)
        // ANY answers with the IPv6 nodes only when the pool has no IPv4 node.
        let ipv6 = view.qtype == RecordType.aaaa.rawValue || (view.qtype == RecordType.any.rawValue && entry.a == nil)
        // DO in a signed zone: this name's signed records, or its signed NODATA when the answer has
        // no node of the family (the entry holds both per pool name).
        let signed = view.dnssecOK && !entry.signedA.isEmpty
        let answered = ipv6 ? entry.aaaa : entry.a
        let template: AnswerTemplate?
        if signed {
            template = name < entry.signedA.count ? (ipv6 ? entry.signedAAAA[name] : entry.signedA[name]) : nil
        } else {
            template = answered
        }
        if let counters, answered != nil { counters.poolAnswered(pool: pool, entry: entry, ipv6: ipv6) }
        // No node of this family: NODATA, from the name's shared negative template (signed for DO).
        let negativeKey = signed ? AnswerKey.otherTypes.signed : AnswerKey.otherTypes
        if let t = template ?? table.lookup(qname: qname, hash: view.qnameHash, key: negativeKey) {
            write(t, view: view, bytes: bytes, limit: limit, scope: scope, into: &out)
        } else {
            writeError(.servFail, view: view, bytes: bytes, into: &out)
        }
    }
}
