import FormAuthority
import Synchronization

/// The authority snapshot shared with the UDP workers: a generation number they poll once per
/// read batch (one atomic load, no lock) and the builder itself, taken under the mutex only when
/// the generation changed (after a reload).
final class SharedBuilder: Sendable {
    let generation = Atomic<Int>(0)
    private let current: Mutex<ResponseBuilder>
    /// Where UPDATE messages go (nil: they get NOTIMP like any other opcode but QUERY).
    let updates = Mutex<DNSUpdateResponder?>(nil)
    /// Where AXFR requests over TCP go (nil: REFUSED, as over UDP).
    let transfers = Mutex<DNSTransferResponder?>(nil)
    /// Every answering thread's query counters.
    let metrics = QueryMetrics()
    /// Whether the answering threads count at all (`server.query_metrics`).
    let counting: Bool

    init(_ builder: ResponseBuilder, counting: Bool = true) {
        current = Mutex(builder)
        self.counting = counting
    }

    func replace(_ builder: ResponseBuilder) {
        current.withLock { $0 = builder }
        generation.add(1, ordering: .releasing)
    }

    func snapshot() -> (Int, ResponseBuilder) {
        let g = generation.load(ordering: .acquiring)
        return (g, current.withLock { $0 })
    }
}
