extension PeerSet {
    /// How the peer set was found; its raw value is the JSON `outcome` (and decides the exit code).
    public enum Outcome: String, Codable, Sendable {
        /// Peers from the DNS answer answered their probes (exit 0).
        case dns
        /// DNS gave nothing usable; peers came from the static list or the cache (exit 10).
        case fallback
        /// Nothing reachable (exit 20).
        case none
    }

    /// Where one candidate came from; its raw value is the JSON `source` of a peer.
    public enum Source: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
        case dns
        /// The bootstrap list (`--fallback`, `$FORM_JOIN_BOOTSTRAP` or the built-in one).
        case staticList = "static"
        /// The last-known-good cache.
        case cache

        /// As in the JSON (`static`, not the case name), wherever a source is printed.
        public var description: String { rawValue }
    }
}
