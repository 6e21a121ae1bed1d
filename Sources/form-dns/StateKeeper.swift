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

    init(store: any Store) { self.store = store }

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

    /// Adds to the event history; every 256th event also drops those past the retention.
    func event(_ event: DNSEvent) {
        if pendingCount > 0, keep(.event(event)) { return }  // (after what waits: order kept)
        do {
            let stored = try store.appendEvent(event)
            if stored.id % 256 == 0 { pruneEvents() }
        } catch {
            if !keep(.event(event), after: error) { log("store: event not written: \(error)") }
        }
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

    func saveCheckedState(pool: String, node: String, _ state: HealthState) {
        do { try store.saveHealthState(state, for: NodeKey(pool: pool, node: node)) } catch {
            log("store: health state not saved: \(error)")
        }
    }
}
