/// When a watch changes the peer set it has handed out: the rule that keeps formnet's entry peers
/// from flapping between nodes whose latencies differ by noise.
///
/// A peer is held until it stops answering. A peer that is not held, or ranked lower, takes the
/// place of one that is only when it *beats* it: faster by more than `marginMs` **and** at most
/// `ratio` of its median RTT. This is Tailscale's rule for its home DERP region (10 ms and 2/3):
/// the margin keeps fast links (5 ms against 12 ms) from swapping on jitter, the ratio keeps slow
/// ones (300 ms against 285 ms) from swapping on a few percent.
public struct Hysteresis: Sendable, Equatable {
    /// Milliseconds a challenger must be faster by.
    public var marginMs: Double = 10
    /// The largest fraction of the incumbent's median a challenger may have (0 < ratio <= 1).
    public var ratio: Double = 2.0 / 3.0

    public init(marginMs: Double = 10, ratio: Double = 2.0 / 3.0) {
        self.marginMs = marginMs
        self.ratio = ratio
    }

    /// Whether a peer with median `challenger` ms takes the place of one with median `incumbent` ms.
    public func beats(_ challenger: Double, _ incumbent: Double) -> Bool {
        incumbent - challenger > marginMs && challenger <= incumbent * ratio
    }

    /// One peer of a probe round: its id and median RTT in ms.
    public struct Measured: Sendable, Equatable {
        public var id: String
        public var medianMs: Double
        public init(id: String, medianMs: Double) {
            self.id = id
            self.medianMs = medianMs
        }
    }

    /// The peers to hand out after a probe round, best first.
    ///
    /// - Parameters:
    ///   - held: the ids handed out last, best first.
    ///   - round: every peer that answered this round, fastest first.
    ///   - limit: how many peers to hand out at most.
    /// Held peers that did not answer are dropped at once; free places go to the fastest others;
    /// a full set admits a newcomer only if it beats the slowest held peer; and a peer moves ahead
    /// of the one before it only if it beats it.
    public func hold(_ held: [String], round: [Measured], limit: Int) -> [String] {
        var median: [String: Double] = [:]
        for peer in round where median[peer.id] == nil { median[peer.id] = peer.medianMs }
        var kept = Array(held.filter { median[$0] != nil }.prefix(limit))
        for peer in round where !kept.contains(peer.id) {
            if kept.count < limit {
                kept.append(peer.id)
                continue
            }
            guard let slowest = kept.indices.max(by: { median[kept[$0]]! < median[kept[$1]]! }) else { continue }
            if beats(peer.medianMs, median[kept[slowest]]!) {
                kept.remove(at: slowest)
                kept.append(peer.id)
            }
        }
        // Adjacent swaps only where the rule holds. Each swap puts a strictly faster peer first,
        // so the passes end (at most n² swaps).
        var swapped = true
        while swapped {
            swapped = false
            for i in kept.indices.dropFirst() where beats(median[kept[i]]!, median[kept[i - 1]]!) {
                kept.swapAt(i, i - 1)
                swapped = true
            }
        }
        return kept
    }
}
