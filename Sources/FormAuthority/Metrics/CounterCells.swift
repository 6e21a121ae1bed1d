import Atomics

/// Where a thread's counters live and how they are laid out: a plain value (a pointer and
/// offsets), so the query path counts without touching a reference count. Made and owned by
/// `QueryCounters`, which keeps the memory alive while its thread answers.
///
/// Every counter is moved by a relaxed load and a relaxed store (plain moves on x86-64 and
/// arm64: no lock, no read-modify-write): only the owning thread writes, so none is lost, and a
/// scrape's relaxed loads may see a count a few queries old, never a torn one.
public struct CounterCells {
    let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    let count: Int
    // Where each family starts.
    let responsesAt: Int
    let truncatedAt: Int
    let ecsAt: Int
    let droppedAt: Int
    let sizeAt: Int
    let sizeSumAt: Int
    let durationAt: Int
    let durationSumAt: Int
    let geoAnswersAt: Int
    let geoDecisionsAt: Int
    let poolTTLAt: Int
    /// Rate limiting's actions (`RateLimitAction`), then cookie checks (`ServerCookies.Check`).
    let rateLimitAt: Int
    let cookiesAt: Int
    let zoneCount: Int
    let poolCount: Int
    let regionCount: Int
    /// Per pool: the cell of its first node's first region, and its node count.
    let poolNodes: UnsafeMutablePointer<(cell: Int, count: Int)>
    // Literals, not `static let`s: a static let costs a once-check on every query. The tests hold
    // them to the label tables.
    static var reasonCount: Int { 5 }
    static var qtypeCount: Int { 17 }
    static var rcodeCount: Int { 17 }

    /// Allocates zeroed cells for `layout` (`release()` frees them).
    init(layout: MetricsLayout) {
        var at = 2 * 2 * Self.qtypeCount
        func take(_ n: Int) -> Int {
            defer { at += n }
            return at
        }
        zoneCount = layout.zones.count
        responsesAt = take((layout.zones.count + 1) * Self.rcodeCount)
        truncatedAt = take(1)
        ecsAt = take(1)
        droppedAt = take(1)
        sizeAt = take(MetricLabels.responseSizeBounds.count + 1)
        sizeSumAt = take(1)
        durationAt = take(MetricLabels.durationBounds.count + 1)
        durationSumAt = take(1)
        regionCount = max(layout.regions.count, 1)
        let nodes = layout.nodes.reduce(0) { $0 + $1.count }
        geoAnswersAt = take(nodes * regionCount)
        poolCount = layout.pools.count
        poolNodes = .allocate(capacity: max(layout.nodes.count, 1))
        var first = 0
        for (p, n) in layout.nodes.enumerated() {
            (poolNodes + p).initialize(to: (geoAnswersAt + first * regionCount, n.count))
            first += n.count
        }
        geoDecisionsAt = take(layout.pools.count * Self.reasonCount)
        poolTTLAt = take(layout.pools.count)
        rateLimitAt = take(RateLimitAction.allCases.count)
        cookiesAt = take(3)
        count = at
        base = .allocate(capacity: at)
        base.initialize(repeating: .init(0), count: at)
    }

    func release() {
        for i in 0..<count { _ = base[i].dispose() }
        base.deinitialize(count: count)
        base.deallocate()
        poolNodes.deallocate()
    }

    @inline(__always)
    func add(_ cell: Int, _ amount: UInt64 = 1) {
        let counter = UnsafeAtomic<UInt64>(at: base + cell)
        counter.store(counter.load(ordering: .relaxed) &+ amount, ordering: .relaxed)
    }

    @inline(__always)
    func value(_ cell: Int) -> UInt64 {
        UnsafeAtomic<UInt64>(at: base + cell).load(ordering: .relaxed)
    }

    /// One answered query. `zone` indexes `layout.zones` (-1: none, e.g. REFUSED or FORMERR);
    /// `rcode` is 0-16 (16: BADVERS).
    @inline(__always)
    public func answered(
        tcp: Bool, ipv6: Bool, qtype: UInt16, zone: Int, rcode: Int, truncated: Bool, clientSubnet: Bool,
        size: Int
    ) {
        add(((tcp ? 2 : 0) + (ipv6 ? 1 : 0)) * Self.qtypeCount + MetricLabels.qtypeIndex(qtype))
        // One unsigned compare each: a negative zone or an out-of-range code lands in a valid cell.
        let zoneSlot = UInt(bitPattern: zone) < UInt(zoneCount) ? zone + 1 : 0
        let rcodeSlot = UInt(bitPattern: rcode) < UInt(Self.rcodeCount) ? rcode : Self.rcodeCount - 1
        add(responsesAt + zoneSlot * Self.rcodeCount + rcodeSlot)
        if truncated { add(truncatedAt) }
        if clientSubnet { add(ecsAt) }
        add(sizeAt + Self.sizeBucket(size))
        add(sizeSumAt, UInt64(truncatingIfNeeded: size))
    }

    /// A datagram or message dropped without an answer (too short to carry an ID, a response).
    @inline(__always)
    public func dropped() { add(droppedAt) }

    /// A response rate limiting held back (or, in log-only mode, would have).
    @inline(__always)
    public func rateLimited(_ action: RateLimitAction) { add(rateLimitAt + action.rawValue) }

    /// A query's COOKIE option, as checked.
    @inline(__always)
    public func cookie(_ check: ServerCookies.Check) {
        switch check {
        case .clientOnly: add(cookiesAt)
        case .valid: add(cookiesAt + 1)
        case .invalid: add(cookiesAt + 2)
        }
    }

    /// A sampled answering time.
    @inline(__always)
    public func answeringTook(nanoseconds: UInt64) {
        add(durationAt + Self.bucket(Double(nanoseconds) / 1e9, MetricLabels.durationBounds))
        add(durationSumAt, nanoseconds)
    }

    /// A pool answer of one family: its nodes, the client's region, the reason and the TTL.
    @inline(__always)
    public func poolAnswered(pool: Int, entry: GeoAnswerCache.Entry, ipv6: Bool) {
        guard UInt(bitPattern: pool) < UInt(poolCount) else { return }
        let tally = entry.tally
        let region = UInt32(bitPattern: tally.clientRegion) < UInt32(regionCount) ? Int(tally.clientRegion) : 0
        let packed = ipv6 ? tally.ipv6Nodes : tally.ipv4Nodes
        let count = Int(ipv6 ? tally.ipv6Count : tally.ipv4Count)
        let (first, nodes) = poolNodes[pool]
        for i in 0..<min(count, GeoDecision.Tally.packed) {
            let node = GeoDecision.Tally.node(packed, i)
            if node < nodes { add(first + node * regionCount + region) }
        }
        if count > GeoDecision.Tally.packed {
            // More nodes than the tally holds (max_answers over 4): the rest from the arrays.
            for node in (ipv6 ? entry.decision.ipv6Nodes : entry.decision.ipv4Nodes).dropFirst(GeoDecision.Tally.packed)
            where Int(node) < nodes {
                add(first + Int(node) * regionCount + region)
            }
        }
        add(geoDecisionsAt + pool * Self.reasonCount + Int(tally.reason))
        let ttlCell = UnsafeAtomic<UInt64>(at: base + poolTTLAt + pool)
        ttlCell.store(UInt64(entry.ttl) + 1, ordering: .relaxed)  // 0 means "none answered yet"
    }

    /// `MetricLabels.responseSizeBounds` as integer compares (no array read on the query path).
    @inline(__always)
    static func sizeBucket(_ size: Int) -> Int {
        if size <= 512 { return size <= 64 ? 0 : size <= 128 ? 1 : size <= 256 ? 2 : 3 }
        if size <= 1452 { return size <= 768 ? 4 : size <= 1232 ? 5 : 6 }
        return size <= 4096 ? 7 : size <= 16384 ? 8 : size <= 65535 ? 9 : 10
    }

    @inline(__always)
    static func bucket(_ value: Double, _ bounds: [Double]) -> Int {
        var i = 0
        while i < bounds.count, value > bounds[i] { i += 1 }
        return i
    }
}
