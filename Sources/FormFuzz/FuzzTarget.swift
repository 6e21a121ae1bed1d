/// The fuzzed entry points, one body per target: what libFuzzer drives (Fuzz/, `scripts/fuzz`) and
/// what the unit tests replay over the seed corpus and every input that once crashed
/// (Fixtures/fuzz). A body returns normally for any input; a broken invariant traps, which is what
/// libFuzzer reports as a crash.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// `DNSQueryView` (the server's zero-copy parse) and `DNSMessage(parsing:)` on any bytes.
    case dnsMessage = "dns-message"
    /// A query's bytes through the response builder (cookies and rate limiting on): a response it
    /// writes must parse and carry the query's ID.
    case response
    /// Zone file text (RFC 1035 master files).
    case zoneFile = "zone-file"
    /// The YAML configuration against the schema (no file is read).
    case config
    /// A mutated MaxMind database opened and looked up.
    case mmdb
    /// A datagram as the stub resolver's reply to its question: accepted or not, then read.
    case stubReply = "stub-reply"
    /// A bootstrap list (JSON).
    case bootstrapList = "bootstrap-list"

    /// Runs one input.
    public func run(_ data: UnsafeRawBufferPointer) {
        switch self {
        case .dnsMessage: DNSMessageFuzz.run(data)
        case .response: ResponseFuzz.run(data)
        case .zoneFile: ZoneFileFuzz.run(data)
        case .config: ConfigFuzz.run(data)
        case .mmdb: MMDBFuzz.run(data)
        case .stubReply: StubReplyFuzz.run(data)
        case .bootstrapList: BootstrapListFuzz.run(data)
        }
    }

    public func run(_ bytes: [UInt8]) { bytes.withUnsafeBytes { run($0) } }
}
