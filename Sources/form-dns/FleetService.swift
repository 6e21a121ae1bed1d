import FormAuthority
import FormConfig
import FormControl
import FormDNSServer
import FormStore
import Foundation
import NIOPosix
import ServiceLifecycle

/// Keeps this authority in step with its fleet through the shared store:
/// - serves every configuration version another authority stores (LISTEN/NOTIFY wakes it at
///   once; a read every `catch_up_s` repairs a missed notification);
/// - applies the overrides set on any authority;
/// - publishes its own view of every node, and applies the verdict a quorum of fresh views
///   agrees on;
/// - writes the audit entries and events that waited while the store was unreachable.
///
/// Losing the store is not an outage: answers go on from the last state, changes are refused,
/// `/v1/health` and `/metrics` say so, and all of the above resumes when the store returns.
struct FleetService: Service {
    let store: PostgresStore
    let settings: FleetSettings
    let control: ControlPlane
    let server: DNSServer
    let keeper: StateKeeper
    let overrides: NodeOverrides
    let status: FleetStatus

    func run() async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        // Graceful shutdown cancels the whole group: the LISTEN connection closes, the clock and
        // the rounds stop, and run returns (so the services started before this one stop too).
        try await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await listen(wake) }
                group.addTask {
                    // The clock: catch up and publish even when nothing is announced.
                    let tick = Duration.seconds(min(settings.catchUpSeconds, settings.reportIntervalSeconds))
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        wake.yield()
                    }
                }
                group.addTask {
                    var lastPublished = ContinuousClock.now - .seconds(3600)
                    for await _ in wakes {
                        if Task.isCancelled { break }
                        let publish = ContinuousClock.now - lastPublished >= .seconds(settings.reportIntervalSeconds)
                        if await sync(publishing: publish), publish { lastPublished = .now }
                    }
                }
            }
        }
    }

    /// LISTEN on a connection of its own, made again a second after it is lost.
    func listen(_ wake: AsyncStream<Void>.Continuation) async {
        while !Task.isCancelled {
            do { try await store.listen { _ in wake.yield() } } catch {}
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// One round; false when the store could not be reached.
    func sync(publishing: Bool) async -> Bool {
        do {
            try await followNewestVersion()
            try await blocking { try adoptOverrides() }
            try await blocking { try agreeOnHealth(publishing: publishing) }
            let written = await blocking { keeper.flushPending() }
            if written > 0 { log("fleet: wrote \(written) audit entries and events kept while the store was away") }
            if status.reached() { log("fleet: the store \(store.location) answers again; caught up") }
            return true
        } catch let error as StoreError {
            if status.failed(error) {
                log("fleet: the store cannot be reached; answering from the last state, changes refused: \(error)")
            }
            dropStaleVerdicts()
            return false
        } catch {
            log("fleet: \(error)")
            return false
        }
    }

    /// Serves the newest stored version if another authority stored it.
    func followNewestVersion() async throws {
        let serving = await control.running.version ?? 0
        guard let newest = try await blocking({ try store.configVersions(limit: 1).first }), newest.id > serving,
            let version = try await blocking({ try store.configVersion(id: newest.id) })
        else { return }
        do {
            if try await control.follow(version) {
                log("fleet: serving version \(version.id) (\(version.author): \(version.message))")
            }
        } catch {
            // A version that does not load here (a file another authority has and this one lacks)
            // is not served; the next one may be. Said each round until then.
            log("fleet: version \(version.id) does not load here, still serving version \(serving): \(error)")
        }
    }

    /// Sets the overrides the store holds where they differ from those in force.
    func adoptOverrides() throws {
        let stored = try store.overrides()
        let current = overrides.all()
        for key in Set(stored.keys).union(current.keys) where stored[key] != current[key] {
            overrides.adopt(key, stored[key])
        }
    }

    /// Publishes this authority's checked states (when due), reads every fresh view and applies
    /// each node's verdict.
    func agreeOnHealth(publishing: Bool) throws {
        guard let geo = server.currentBuilder().geo else { return }
        if publishing {
            var own: [NodeKey: HealthState] = [:]
            for (i, pool) in geo.pools.enumerated() {
                for (id, node) in geo.health[i]?.snapshot() ?? [:] where node.state != .unknown {
                    own[NodeKey(pool: pool.name, node: id)] = node.state
                }
            }
            try store.publishHealth(own)
        }
        let views = try store.healthViews(freshWithin: Double(settings.reportFreshSeconds))
        var byNode: [NodeKey: [String: HealthState]] = [:]
        for view in views { byNode[view.node, default: [:]][view.authority] = view.state }
        var nodes: [NodeKey: (views: [String: HealthState], agreed: HealthState?)] = [:]
        for (i, pool) in geo.pools.enumerated() {
            guard let repository = geo.health[i] else { continue }
            for node in pool.nodes {
                let key = NodeKey(pool: pool.name, node: node.id)
                let seen = byNode[key] ?? [:]
                let verdict = settings.quorum.verdict(Array(seen.values))
                repository.setAgreed(node: node.id, verdict, why: Self.why(seen, quorum: settings.quorum))
                nodes[key] = (seen, verdict)
            }
        }
        status.synced(reporting: Array(Set(views.map(\.authority))).sorted(), nodes: nodes)
    }

    /// "2 of 3 authorities see it unhealthy (a1, a2); quorum majority".
    static func why(_ views: [String: HealthState], quorum: HealthQuorum) -> String {
        let checked = views.filter { $0.value != .unknown }
        let down = checked.filter { $0.value == .unhealthy }.keys.sorted()
        return "\(down.count) of \(checked.count) authorities see it unhealthy"
            + (down.isEmpty ? "" : " (\(down.joined(separator: ", ")))") + "; quorum \(quorum)"
    }

    /// Once no view is fresh any more (the store has been away that long), each node goes by this
    /// authority's own checks again, as without a fleet.
    func dropStaleVerdicts() {
        let snapshot = status.snapshot()
        guard let last = snapshot.lastSync, Date().timeIntervalSince(last) > Double(settings.reportFreshSeconds),
            let geo = server.currentBuilder().geo
        else { return }
        for (i, pool) in geo.pools.enumerated() {
            for node in pool.nodes {
                geo.health[i]?.setAgreed(node: node.id, nil, why: "no fresh views (the store is unreachable)")
            }
        }
    }

    /// Store calls block their thread (up to a statement's timeout): they run on NIO's blocking
    /// pool, not on the concurrency pool's few threads.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { try body() }
    }

    func blocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        (try? await NIOThreadPool.singleton.runIfActive { body() }) ?? body()
    }
}
