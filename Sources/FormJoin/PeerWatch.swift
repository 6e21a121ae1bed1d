import Foundation
import Synchronization

/// `form-join watch` as a library: keeps a joined node's entry peers good for as long as it runs.
///
/// Each round either resolves again (at TTL expiry, after a reload, or when every peer known has
/// stopped answering) or probes the peers known again (every `probeInterval`, jittered). A new
/// peer set is handed out only when `Hysteresis` says the held peers changed: a dead first peer
/// is replaced in the round that finds it dead. A DNS outage never ends the watch: the static
/// list and the cache are used as by `form-join peers`, and resolving is retried with backoff.
public final class PeerWatch: Sendable {
    private let settings: WatchSettings
    private let inputs: Mutex<(options: JoinOptions, reloaded: Bool)>
    private let wakeup = Wakeup()
    private let random: @Sendable () -> Double
    /// One loop at a time: two would share one wake-up and one set of inputs.
    private let running = Mutex(false)

    /// - Parameter random: a number in 0..<1 for the jitter (injected so tests can fix it).
    /// - Throws: settings that would probe in a loop or freeze the set (`WatchSettings.problem`).
    public init(
        options: JoinOptions, settings: WatchSettings = WatchSettings(),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) throws(JoinError) {
        if let problem = settings.problem { throw .badInput(problem) }
        self.settings = settings
        self.inputs = Mutex((options, false))
        self.random = random
    }

    /// New inputs (a re-read static list, trust anchor or resolver): used from the next round,
    /// which starts at once and resolves again.
    public func reload(_ options: JoinOptions) {
        inputs.withLock { $0 = (options, true) }
        wakeup.wake()
    }

    /// The peer sets handed out, as they are decided. The watch runs while the stream is iterated;
    /// it stops when the consumer stops (the stream is dropped or its task cancelled).
    public func emissions() -> AsyncStream<WatchEmission> {
        let (stream, continuation) = AsyncStream.makeStream(
            of: WatchEmission.self, bufferingPolicy: .bufferingNewest(64))
        let task = Task { [self] in
            await run { continuation.yield($0) }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// The loop itself; `emit` gets each peer set handed out. A watch runs one loop at a time: a
    /// second `run` (or `emissions()`) while one is going returns at once, emitting nothing.
    public func run(emit: (WatchEmission) -> Void) async {
        guard
            running.withLock({ r in
                r
                    ? false
                    : {
                        r = true
                        return true
                    }()
            })
        else { return }
        defer { running.withLock { $0 = false } }
        var state = WatchState(settings: settings)
        while !Task.isCancelled {
            let (options, reloaded) = inputs.withLock { s -> (JoinOptions, Bool) in
                defer { s.reloaded = false }
                return (s.options, s.reloaded)
            }
            let outcome = await state.round(options, reloaded: reloaded, now: monotonicNow())
            if Task.isCancelled { break }
            if let emission = state.decide(outcome, options: options, reloaded: reloaded) { emit(emission) }
            await wakeup.sleep(state.delay(now: monotonicNow(), unit: random()))
        }
    }
}

/// What one watch remembers between rounds, and the decisions made from it.
struct WatchState {
    let settings: WatchSettings
    var last: JoinOutcome?
    var held: [String]?
    /// What formnet joins through, per held peer: a change hands the set out again.
    var heldDetails: [String: PeerDetails] = [:]
    var sequence = 0
    var nextResolve = 0.0
    var failures = 0

    init(settings: WatchSettings) { self.settings = settings }

    /// Resolves or re-probes, as due.
    mutating func round(_ options: JoinOptions, reloaded: Bool, now: Double) async -> JoinOutcome {
        if !reloaded, now < nextResolve, let last {
            let outcome = await JoinPlanner.reprobe(options, previous: last)
            // Everything known went quiet: ask DNS again now rather than at TTL expiry.
            let allLost = outcome.ranked.isEmpty && !last.ranked.isEmpty
            if !allLost { return remember(outcome) }
        }
        let outcome = await JoinPlanner.run(options)
        if outcome.exitCode == .viaDNS {
            failures = 0
            nextResolve = monotonicNow() + settings.resolveDelay(ttl: outcome.peerSet.dns.ttl ?? 0)
            return remember(outcome)
        }
        failures += 1
        nextResolve = monotonicNow() + settings.backoff(failures: failures)
        if let kept = await keepingLastAnswer(options, failed: outcome) { return remember(kept) }
        return remember(outcome)
    }

    /// DNS statuses that say nothing about the nodes (the name's answer could not be had or
    /// trusted), as opposed to NXDOMAIN or NODATA, which say there are none.
    static let outages: Set<String> = [
        "timeout", "refused", "servfail", "malformed", "error", "bogus", "indeterminate",
    ]

    /// When resolving fails for want of DNS, the peers of the last good answer that still answer
    /// are kept: they outrank the static list and the cache (both older), so an outage of the
    /// resolver does not move formnet's peers. The failure is in `dns` and in a note.
    private func keepingLastAnswer(_ options: JoinOptions, failed: JoinOutcome) async -> JoinOutcome? {
        guard Self.outages.contains(failed.peerSet.dns.status), let last, last.peerSet.outcome == .dns else {
            return nil
        }
        var kept = await JoinPlanner.reprobe(options, previous: last)
        guard kept.exitCode == .viaDNS else { return nil }
        kept.peerSet.dns = failed.peerSet.dns
        kept.peerSet.notes =
            failed.peerSet.notes + ["DNS \(failed.peerSet.dns.status): the peers of the last good answer are kept"]
        return kept
    }

    private mutating func remember(_ outcome: JoinOutcome) -> JoinOutcome {
        last = outcome
        return outcome
    }

    /// The emission this round calls for, if any.
    mutating func decide(_ outcome: JoinOutcome, options: JoinOptions, reloaded: Bool) -> WatchEmission? {
        let round = outcome.ranked.compactMap { peer in
            peer.rttMs.median.map { Hysteresis.Measured(id: peer.id, medianMs: $0) }
        }
        let next = settings.hysteresis.hold(held ?? [], round: round, limit: max(1, options.maxPeers))
        let byID = Dictionary(outcome.ranked.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let details = Dictionary(uniqueKeysWithValues: next.compactMap { id in byID[id].map { (id, PeerDetails($0)) } })
        let reason: WatchEmission.Reason
        if let held {
            let alive = Set(round.map(\.id))
            if let first = held.first, !alive.contains(first) {
                reason = .firstPeerLost
            } else if !held.allSatisfy(alive.contains) {
                reason = .peerLost
            } else if next != held {
                reason = reloaded ? .reload : .betterPeer
            } else if details != heldDetails {
                reason = .peerChanged
            } else {
                return nil
            }
        } else {
            reason = .initial
        }
        held = next
        heldDetails = details
        sequence += 1
        var set = outcome.peerSet
        set.peers = next.compactMap { byID[$0] }
        return WatchEmission(reason: reason, sequence: sequence, exitCode: outcome.exitCode, peerSet: set)
    }

    /// Seconds to wait before the next round: the probe interval, jittered, but never past the
    /// time to resolve again.
    func delay(now: Double, unit: Double) -> Double {
        max(0.01, min(settings.jittered(settings.probeInterval, unit: unit), nextResolve - now))
    }
}

/// What formnet joins a held peer through: its endpoint, port and WireGuard key. When one of them
/// changes (IPv6 broke so IPv4 answers first, a new key in the discovery record), the same peers
/// are handed out again.
struct PeerDetails: Equatable {
    var endpoint: String?
    var port: UInt16
    var publicKey: String?
    var internalEndpoint: String?

    init(_ peer: PeerSet.Peer) {
        endpoint = peer.endpoints.first
        port = peer.port
        publicKey = peer.publicKey
        internalEndpoint = peer.internalEndpoint
    }
}
