import Foundation

/// The output for `formnet join`: stable, versioned JSON. Fields are only ever added, never
/// renamed or removed, within schema_version 1.
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
    }

    public struct Peer: Codable, Sendable {
        public var id: String
        /// dns, static, cache
        public var source: String
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
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case id, source, endpoints, ipv4, ipv6, port, region, error
            case publicKey = "public_key"
            case internalEndpoint = "internal_endpoint"
            case rttMs = "rtt_ms"
            case cacheAgeS = "cache_age_s"
        }
    }

    public var schemaVersion = 1
    public var name: String
    public var resolver: String?
    /// dns, fallback or none
    public var outcome: String
    public var dns: DNSReport
    public var timing: Timing
    public var generatedAt: Date
    public var expiresAt: Date
    /// Reachable peers, best first.
    public var peers: [Peer]
    /// Candidates that did not answer any probe: reported, not silently dropped.
    public var unreachable: [Peer]

    enum CodingKeys: String, CodingKey {
        case name, resolver, outcome, dns, timing, peers, unreachable
        case schemaVersion = "schema_version"
        case generatedAt = "generated_at"
        case expiresAt = "expires_at"
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
}
