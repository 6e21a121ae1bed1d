import FormAuthority
import FormConfig
import FormStore
import Foundation
import Synchronization

/// Connects the store (`state_dir`) to a running server: the configuration file's versions, the
/// audit chain, overrides and last health states. Store errors are logged, never fatal once
/// serving: answering goes on without persistence rather than stopping.
final class StateKeeper: Sendable {
    let store: any Store
    /// `events.retention_days`, as the running configuration says (a reload may change it).
    let retentionDays = Atomic<Int>(30)
    /// Audit entries and events a shared store could not take (it was unreachable), oldest
    /// first, each with a number of its own, written when it answers again (`flushPending`): an
    /// outage loses none of them.
    private let pending = Mutex<(next: Int, items: [(number: Int, item: Pending)])>((0, []))
    static let pendingLimit = 10_000

    enum Pending: Sendable {
        case audit(AuditEvent)
        case event(DNSEvent)
    }

    /// Checked states and events wait here for the store's writer (a serial queue), which stores
    /// all that waits in one transaction: a storm of 10,000 transitions costs a few commits rather
    /// than 20,000, and the caller (a health check's task on the cooperative pool) never waits on
    /// the disk. The writer starts as soon as something waits, so a state is stored within
    /// milliseconds, not on a timer.
    private let queued = Mutex<Queued>(Queued())
    private let writer = DispatchQueue(label: "form-dns.store-writer")

    struct Queued {
        var states: [NodeKey: HealthState] = [:]
        var events: [DNSEvent] = []
        var scheduled = false
    }

    init(store: any Store) { self.store = store }

    private func enqueue(_ add: (inout Queued) -> Void) {
        let schedule = queued.withLock { queue in
            add(&queue)
            defer { queue.scheduled = true }
            return !queue.scheduled
        }
        if schedule { writer.async { self.writeQueued() } }
    }

    /// Stores what waits (on the writer queue).
    private func writeQueued() {
        let taken = queued.withLock { queue in
            defer { queue = Queued() }
            return queue
        }
        var events = taken.events
        if pendingCount > 0 {
            // A shared store was away: these go after what waits, in order.
            events = events.filter { !keep(.event($0)) }
        }
        guard !taken.states.isEmpty || !events.isEmpty else { return }
        do {
            let stored = try store.save(states: taken.states, events: events)
            if stored.contains(where: { $0.id % 256 == 0 }) { pruneEvents() }
        } catch {
            let kept = events.filter { keep(.event($0), after: error) }.count
            if kept < events.count { log("store: \(events.count - kept) event(s) not written: \(error)") }
            if !taken.states.isEmpty { log("store: \(taken.states.count) health state(s) not saved: \(error)") }
        }
    }

    /// Waits until everything queued so far is stored (at shutdown).
    func drain() { writer.sync {} }

    /// Keeps `item` for later when the store is shared and could not be reached (a record it
    /// refused would be refused again: that is logged, not kept).
    private func keep(_ item: Pending, after error: StoreError? = nil) -> Bool {
        guard store.isShared, error?.isUnreachable ?? true else { return false }
        pending.withLock { queue in
            if queue.items.count >= Self.pendingLimit {
                queue.items.removeFirst()
                if queue.items.count == Self.pendingLimit - 1 {
                    log("store: over \(Self.pendingLimit) records waiting")
                }
            }
            queue.items.append((queue.next, item))
            queue.next += 1
        }
        return true
    }

    /// Writes what waited, in order; stops at the first the store cannot take for want of a
    /// connection (the rest wait on). One it refuses outright is logged and dropped. Returns how
    /// many were written.
    @discardableResult
    func flushPending() -> Int {
        var written = 0
        while let (number, next) = pending.withLock({ $0.items.first }) {
            do {
                switch next {
                case .audit(let event): _ = try store.appendAudit(event)
                case .event(let event): try store.appendEvent(event)
                }
                written += 1
            } catch {
                if error.isUnreachable { break }
                log("store: a record kept while the store was away is refused, dropped: \(error)")
            }
            // By number: the queue may have dropped its oldest meanwhile (at the limit).
            pending.withLock { queue in queue.items.removeAll { $0.number == number } }
        }
        return written
    }

    var pendingCount: Int { pending.withLock { $0.items.count } }

    /// Puts the stored overrides and last checked states back into the pools' health repositories.
    func restore(into builder: ResponseBuilder) {
        guard let geo = builder.geo else { return }
        do {
            let overrides = try store.overrides(), states = try store.healthStates()
            for (i, pool) in geo.pools.enumerated() {
                guard let repository = geo.health[i] else { continue }
                for node in pool.nodes {
                    let key = NodeKey(pool: pool.name, node: node.id)
                    if let state = states[key] { repository.restore(node: node.id, checked: state) }
                    if let o = overrides[key] { repository.setOverride(node: node.id, o) }
                }
            }
        } catch {
            log("store: cannot restore health state: \(error)")
        }
    }

    /// A store token by id; nil when unknown or the store cannot be read (the request is then refused).
    func token(id: String) -> APIToken? {
        do { return try store.token(id: id) } catch {
            log("store: cannot read tokens: \(error)")
            return nil
        }
    }

    /// Adds to the event history (through the writer); every 256th event also drops those past
    /// the retention.
    func event(_ event: DNSEvent) {
        enqueue { $0.events.append(event) }
    }

    func pruneEvents() {
        let before = Date().addingTimeInterval(-Double(retentionDays.load(ordering: .relaxed)) * 86_400)
        do { try store.pruneEvents(before: before) } catch { log("store: old events not dropped: \(error)") }
    }

    func record(_ event: AuditEvent) {
        if pendingCount > 0, keep(.audit(event)) { return }
        do { _ = try store.appendAudit(event) } catch {
            if !keep(.audit(event), after: error) { log("store: audit entry not written: \(error)") }
        }
    }

    func saveOverride(_ node: NodeKey, _ override: HealthOverride?) {
        do { try store.saveOverride(override, for: node) } catch { log("store: override not saved: \(error)") }
    }

    /// Records a node's checked state (through the writer: only the last of several waiting counts).
    func saveCheckedState(pool: String, node: String, _ state: HealthState) {
        enqueue { $0.states[NodeKey(pool: pool, node: node)] = state }
    }
}
