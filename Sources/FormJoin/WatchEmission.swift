import Foundation

/// One line of `form-join watch` (and one element of `PeerWatch.emissions()`): a peer set handed
/// out because the rule said the peers changed. Stable JSON, schema_version 1, fields only added.
public struct WatchEmission: Sendable, Encodable {
    /// Why this peer set was handed out; its raw value is the JSON `reason`.
    public enum Reason: String, Sendable, Encodable {
        /// The first peer set of the watch.
        case initial
        /// The first peer stopped answering: handed out at once, whatever the hysteresis.
        case firstPeerLost = "first-peer-lost"
        /// Another peer stopped answering.
        case peerLost = "peer-lost"
        /// A peer beat one held (faster by the margin and the ratio), or took a free place.
        case betterPeer = "better-peer"
        /// The same peers, but one is now joined through another endpoint, port or key.
        case peerChanged = "peer-changed"
        /// Inputs were re-read (SIGHUP, `reload`) and the peers differ.
        case reload
    }

    public var schemaVersion = 1
    public var event = "peers"
    public var reason: Reason
    /// 1 for the first emission, then one more each time.
    public var sequence: Int
    public var exitCode: JoinExitCode
    /// When the round that called for it ended (milliseconds in the JSON: formnet can tell how
    /// long a dead peer took to be replaced).
    public var emittedAt = Date()
    /// The peer set, in the held order (see `Hysteresis`): the same schema as `form-join peers --json`.
    public var peerSet: PeerSet

    enum CodingKeys: String, CodingKey {
        case event, reason, sequence
        case schemaVersion = "schema_version"
        case exitCode = "exit_code"
        case emittedAt = "emitted_at"
        case peerSet = "peer_set"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(event, forKey: .event)
        try c.encode(reason, forKey: .reason)
        try c.encode(sequence, forKey: .sequence)
        try c.encode(exitCode.rawValue, forKey: .exitCode)
        try c.encode(emittedAt.formatted(Self.milliseconds), forKey: .emittedAt)
        try c.encode(peerSet, forKey: .peerSet)
    }

    private static let milliseconds = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// One line of JSON, keys sorted, no newline inside.
    public func jsonLine() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }
}
