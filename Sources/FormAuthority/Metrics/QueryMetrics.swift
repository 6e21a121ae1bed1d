import Synchronization

/// Every answering thread's counters, and the totals of counters already replaced: what a scrape
/// reads. Taking the lock is for registering, retiring and scraping, never for a query.
public final class QueryMetrics: Sendable {
    private struct State {
        var live: [ObjectIdentifier: QueryCounters] = [:]
        var retired = QueryCounts()
    }

    private let state = Mutex(State())

    public init() {}

    /// Counters for one answering thread laid out for `builder`; `previous` (that thread's
    /// counters so far) is kept when the layout is the same, else retired into the totals.
    public func counters(for builder: ResponseBuilder, replacing previous: QueryCounters? = nil) -> QueryCounters {
        let layout = MetricsLayout(builder)
        if let previous, previous.layout == layout { return previous }
        let fresh = QueryCounters(layout: layout)
        state.withLock { s in
            if let previous {
                var final = previous.snapshot()
                final.gauges = [:]  // a TTL last given under another layout says nothing now
                s.retired.merge(final)
                s.live[ObjectIdentifier(previous)] = nil
            }
            s.live[ObjectIdentifier(fresh)] = fresh
        }
        return fresh
    }

    /// Forgets a thread's counters (it stopped) but keeps what they counted.
    public func retire(_ counters: QueryCounters) {
        state.withLock { s in
            guard s.live.removeValue(forKey: ObjectIdentifier(counters)) != nil else { return }
            var final = counters.snapshot()
            final.gauges = [:]
            s.retired.merge(final)
        }
    }

    /// Everything counted since the server started, over every thread and layout.
    public func snapshot() -> QueryCounts {
        let (live, retired) = state.withLock { s in (Array(s.live.values), s.retired) }
        var out = retired
        for c in live { out.merge(c.snapshot()) }
        return out
    }
}
