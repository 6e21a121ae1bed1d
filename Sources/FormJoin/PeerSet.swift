import Foundation

/// The output for `formnet join`: stable, versioned JSON. Fields are only ever added, never
/// renamed or removed, within schema_version 1. Every field is always written; one with no value
/// is an explicit null (a reader written against Docs/formnet-integration.md finds every key).
public struct PeerSet: Codable, Sendable {
    public struct DNSReport: Codable, Sendable {
        /// ok, nxdomain, nodata, servfail, refused, timeout, malformed, error, skipped
        public var status: String
        public var detail: String?
        public var server: String?
        public var rttMs: Double?
        public var ttl: UInt32?
        enum CodingKeys: String, CodingKey {
            case status, detail, server, ttl
            case rttMs = "rtt_ms"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(status, forKey: .status)
            try c.encode(detail, forKey: .detail)
            try c.encode(server, forKey: .server)
            try c.encode(rttMs, forKey: .rttMs)
            try c.encode(ttl, forKey: .ttl)
        }
    }

    public struct Timing: Codable, Sendable {
        public var dnsMs: Double
        public var probeMs: Double
        public var totalMs: Double
        enum CodingKeys: String, CodingKey {
            case dnsMs = "dns_ms"
            case probeMs = "probe_ms"
            case totalMs = "total_ms"
        }
    }

    public struct RTT: Codable, Sendable, Equatable {
        public var min: Double?
        public var median: Double?
        public var samples: Int
        public var loss: Double

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(min, forKey: .min)
            try c.encode(median, forKey: .median)
            try c.encode(samples, forKey: .samples)
            try c.encode(loss, forKey: .loss)
        }
    }

    public struct Peer: Codable, Sendable {
        public var id: String
        public var source: Source
        public var endpoints: [String]
        public var ipv4: String?
        public var ipv6: String?
        public var port: UInt16
        public var publicKey: String?
        public var internalEndpoint: String?
        public var region: String?
        public var rttMs: RTT
        /// Age of the cached entry in seconds (source "cache" only: stale data, used as a last resort).
        public var cacheAgeS: Double?
        /// How the peer was authenticated: dnssec, signed-list, cache-of-dnssec or none.
        public var authenticated: Authentication = .none
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, source, endpoints, ipv4, ipv6, port, region, error, authenticated
            case publicKey = "public_key"
            case internalEndpoint = "internal_endpoint"
            case rttMs = "rtt_ms"
            case cacheAgeS = "cache_age_s"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(source, forKey: .source)
            try c.encode(endpoints, forKey: .endpoints)
            try c.encode(ipv4, forKey: .ipv4)
            try c.encode(ipv6, forKey: .ipv6)
            try c.encode(port, forKey: .port)
            try c.encode(publicKey, forKey: .publicKey)
            try c.encode(internalEndpoint, forKey: .internalEndpoint)
            try c.encode(region, forKey: .region)
            try c.encode(rttMs, forKey: .rttMs)
            try c.encode(cacheAgeS, forKey: .cacheAgeS)
            try c.encode(authenticated, forKey: .authenticated)
            try c.encode(error, forKey: .error)
        }
    }

    public var schemaVersion = 1
    public var name: String
    public var resolver: String?
    public var outcome: Outcome
    public var dns: DNSReport
    /// none (no trust anchor), secure, "bogus: why" or "indeterminate: why" (`Validation`).
    public var validation: String
    public var timing: Timing
    public var generatedAt: Date
    public var expiresAt: Date
    /// Reachable peers, best first.
    public var peers: [Peer]
    /// Candidates that did not answer any probe: reported, not silently dropped.
    public var unreachable: [Peer]
    /// What the caller should know that is not an error of discovery itself: a cache that was
    /// not used (written for another name, not ours, unreadable) or could not be written.
    public var notes: [String] = []

    enum CodingKeys: String, CodingKey {
        case name, resolver, outcome, dns, timing, peers, unreachable, notes, validation
        case schemaVersion = "schema_version"
        case generatedAt = "generated_at"
        case expiresAt = "expires_at"
    }

    public init(
        name: String, resolver: String?, outcome: Outcome, dns: DNSReport, validation: String = "none", timing: Timing,
        generatedAt: Date, expiresAt: Date, peers: [Peer], unreachable: [Peer], notes: [String] = []
    ) {
        self.validation = validation
        self.name = name
        self.resolver = resolver
        self.outcome = outcome
        self.dns = dns
        self.timing = timing
        self.generatedAt = generatedAt
        self.expiresAt = expiresAt
        self.peers = peers
        self.unreachable = unreachable
        self.notes = notes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        name = try c.decode(String.self, forKey: .name)
        resolver = try c.decodeIfPresent(String.self, forKey: .resolver)
        outcome = try c.decode(Outcome.self, forKey: .outcome)
        dns = try c.decode(DNSReport.self, forKey: .dns)
        validation = try c.decodeIfPresent(String.self, forKey: .validation) ?? "none"
        timing = try c.decode(Timing.self, forKey: .timing)
        generatedAt = try c.decode(Date.self, forKey: .generatedAt)
        expiresAt = try c.decode(Date.self, forKey: .expiresAt)
        peers = try c.decode([Peer].self, forKey: .peers)
        unreachable = try c.decode([Peer].self, forKey: .unreachable)
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schemaVersion, forKey: .schemaVersion)
        try c.encode(name, forKey: .name)
        try c.encode(resolver, forKey: .resolver)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(dns, forKey: .dns)
        try c.encode(validation, forKey: .validation)
        try c.encode(timing, forKey: .timing)
        try c.encode(generatedAt, forKey: .generatedAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(peers, forKey: .peers)
        try c.encode(unreachable, forKey: .unreachable)
        try c.encode(notes, forKey: .notes)
    }

    public func json() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return String(decoding: (try? e.encode(self)) ?? Data(), as: UTF8.self)
    }
}

/// Exit codes of `form-join peers` (documented in Docs/formnet-integration.md).
public enum JoinExitCode: Int32, Sendable {
    case viaDNS = 0
    case viaFallback = 10
    case nothingReachable = 20
    case usage = 64

    /// The code for how a peer set was found.
    public init(_ outcome: PeerSet.Outcome) {
        switch outcome {
        case .dns: self = .viaDNS
        case .fallback: self = .viaFallback
        case .none: self = .nothingReachable
        }
    }
}
