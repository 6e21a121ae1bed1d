import FormAuthority
import GeoIP
import NIOCore

/// The authority snapshot one event loop answers from, and that loop's GeoDNS answer cache.
///
/// Only touched on its own event loop (it is always reached through `NIOLoopBound`), so the read
/// path takes no lock and no atomic: a reload hands each loop its new snapshot with `execute`.
final class LoopState {
    var builder: ResponseBuilder {
        didSet {
            geoCache.clear()  // answers cached under the old pools must not outlive them
            counters = metrics.counters(for: builder, replacing: counters)
        }
    }
    let geoCache = GeoAnswerCache()
    /// This loop's query counters (TCP), laid out for `builder`.
    private(set) var counters: QueryCounters
    private let metrics: QueryMetrics
    /// Whether queries are counted (`server.query_metrics`).
    let counting: Bool
    /// The counters to answer with: nil when not counting.
    var counted: QueryCounters? { counting ? counters : nil }

    init(builder: ResponseBuilder, metrics: QueryMetrics, counting: Bool = true) {
        self.builder = builder
        self.metrics = metrics
        self.counting = counting
        counters = metrics.counters(for: builder)
    }
}
