import DNSWire
import Foundation
import NetAddress
import NIOCore
import Synchronization

/// How a resolution failed, each case distinct so callers (and the JSON) can tell them apart.
public enum ResolveError: Error, Equatable, Sendable, CustomStringConvertible {
    case nxDomain
    case noData
    case servFail
    case refused
    /// Nothing listens on the server's port: the ICMP port unreachable (UDP) or the RST (TCP)
    /// came back at once, so there was no point in waiting for the timeout.
    case connectionRefused
    case timeout
    /// Every answer we got was malformed or did not match the question.
    case malformed(String)
    case otherRcode(UInt16)
    /// No server could even be asked: an address naming no interface, a network this host has no
    /// route to (an IPv4 server on an IPv6-only host). Said at once, not after a timeout.
    case unusable(String)
    /// Every encrypted resolver failed (not only by timing out): what each did.
    case encrypted(String)

    public var status: String {
        switch self {
        case .nxDomain: return "nxdomain"
        case .noData: return "nodata"
        case .servFail: return "servfail"
        case .refused, .connectionRefused: return "refused"
        case .timeout: return "timeout"
        case .malformed: return "malformed"
        case .otherRcode, .unusable, .encrypted: return "error"
        }
    }

    public var description: String {
        switch self {
        case .nxDomain: return "NXDOMAIN: the name does not exist"
        case .noData: return "NODATA: the name exists but has no records of that type"
        case .servFail: return "SERVFAIL from every server"
        case .refused: return "REFUSED by every server"
        case .connectionRefused: return "connection refused: no DNS server listening on the port"
        case .timeout: return "no server answered in time"
        case .malformed(let why): return "malformed response: \(why)"
        case .otherRcode(let r): return "server answered \(ResponseCode(rawValue: r))"
        case .unusable(let why): return "no server could be asked: \(why)"
        case .encrypted(let why): return "encrypted DNS failed: \(why)"
        }
    }
}

/// What a resolution produced.
public struct ResolveResult: Sendable {
    public var name: DNSName
    public var type: RecordType
    /// Records of the asked type, owned by the end of the CNAME chain.
    public var records: [DNSResourceRecord]
    /// CNAMEs followed, in order.
    public var chain: [DNSResourceRecord]
    public var server: Endpoint
    /// The encrypted resolver that answered (`tls://...`, `https://...`); nil over UDP/TCP 53.
    public var via: String? = nil
    public var rttMilliseconds: Double
    /// Smallest TTL among the records used, capped (absurd TTLs are clamped to one day).
    public var ttl: UInt32
    public var fromCache = false

    /// Who answered, as reports print it: the encrypted resolver, or the server's address.
    public var answeredBy: String { via ?? server.description }
}

/// A DNS stub resolver on the project's own codec (not getaddrinfo).
///
/// Per query: a random ID and a fresh UDP socket (random source port) connected to the server,
/// so the kernel drops datagrams from anywhere else; a reply counts only if its ID and question
/// match (the name case-insensitively). EDNS0 with a 1232-octet buffer; TC -> retry over TCP.
/// Servers are tried best smoothed RTT first (EWMA, failures penalised), in rounds with a timeout
/// that doubles each round. CNAME chains are followed. Answers are cached for their TTL.
public final class StubResolver: Sendable {
    public let configuration: ResolverConfiguration
    public static let maxTTL: UInt32 = 86_400
    static let maxChain = 12
    static let maxCacheEntries = 4096

    struct State {
        var srtt: [Endpoint: Double] = [:]
        var rotation = 0
        var cache: [CacheKey: (result: ResolveResult, expires: Double)] = [:]
    }

    struct CacheKey: Hashable {
        var name: DNSName
        var type: RecordType
    }

    private let state = Mutex(State())

    /// Until when (monotonic seconds) UDP/TCP 53 to these servers is taken as blocked, so only the
    /// encrypted resolvers are asked. Process-wide: each join (each watch round, each C call) makes
    /// a resolver of its own, and none should wait out port 53's timeouts again within the minute.
    private static let plainBlockedUntil = Mutex<[[Endpoint]: Double]>([:])

    public init(configuration: ResolverConfiguration) {
        self.configuration = configuration
    }

    /// Smoothed RTT per server in seconds (for tests and diagnostics).
    public var smoothedRTT: [Endpoint: Double] { state.withLock { $0.srtt } }

    public func resolve(_ name: DNSName, type: RecordType) async throws(ResolveError) -> ResolveResult {
        try await lookup(name, type: type).get()
    }

    /// `resolve` as a value: the blocking work runs off the cooperative pool.
    public func lookup(_ name: DNSName, type: RecordType) async -> Result<ResolveResult, ResolveError> {
        await runBlocking {
            do throws(ResolveError) { return .success(try self.resolveBlocking(name, type: type)) } catch {
                return .failure(error)
            }
        }
    }

    /// The blocking core, bounded by the configured timeouts.
    public func resolveBlocking(_ name: DNSName, type: RecordType) throws(ResolveError) -> ResolveResult {
        let key = CacheKey(name: name, type: type)
        let now = monotonicNow()
        if let hit = state.withLock({ s in s.cache[key].flatMap { $0.expires > now ? $0.result : nil } }) {
            var r = hit
            r.fromCache = true
            return r
        }
        let result = try traceBlocking(name, type: type).result.get()
        store(key, result)
        return result
    }

    /// A resolution and the responses it was read from, in order (what a validator checks).
    public struct Traced: Sendable {
        public var result: Result<ResolveResult, ResolveError>
        public var responses: [DNSMessage]
        /// The CNAMEs followed, whatever the outcome (a denial is of the last one's target).
        public var chain: [DNSResourceRecord]
    }

    /// `traceBlocking` off the cooperative pool.
    public func trace(_ name: DNSName, type: RecordType) async -> Result<Traced, ResolveError> {
        await runBlocking {
            do throws(ResolveError) { return .success(try self.traceBlocking(name, type: type)) } catch {
                return .failure(error)
            }
        }
    }

    /// Resolves without the cache, keeping every response: an answer from the name's data
    /// (records, NXDOMAIN, NODATA) is the `result`; only a failure to get one throws.
    public func traceBlocking(_ name: DNSName, type: RecordType) throws(ResolveError) -> Traced {
        var chain: [DNSResourceRecord] = []
        var responses: [DNSMessage] = []
        var current = name
        var seen: Set<DNSName> = [name]
        func ended(_ error: ResolveError) -> Traced {
            Traced(result: .failure(error), responses: responses, chain: chain)
        }
        for _ in 0..<Self.maxChain {
            let (message, server, via, rtt) = try exchangeWithRetries(DNSQuestion(name: current, type: type))
            responses.append(message)
            switch Self.read(message, asked: current, type: type, chain: &chain, seen: &seen) {
            case .records(let records):
                let ttl = min((chain + records).map(\.ttl).min() ?? 0, Self.maxTTL)
                let result = ResolveResult(
                    name: name, type: type, records: records, chain: chain, server: server, via: via,
                    rttMilliseconds: rtt * 1000, ttl: ttl)
                return Traced(result: .success(result), responses: responses, chain: chain)
            case .ask(let next):
                current = next
            case .ended(let error):
                return ended(error)
            }
        }
        return ended(.malformed("CNAME chain longer than \(Self.maxChain)"))
    }

    private func store(_ key: CacheKey, _ result: ResolveResult) {
        guard result.ttl > 0 else { return }
        state.withLock { s in
            if s.cache.count >= Self.maxCacheEntries { s.cache.removeAll() }
            s.cache[key] = (result, monotonicNow() + Double(result.ttl))
        }
    }

    /// Server order for one resolution: best smoothed RTT first (unknown servers count as 0, so
    /// each gets tried), or rotated when configured.
    func serverOrder() -> [Endpoint] {
        state.withLock { s in
            let servers = configuration.servers
            if configuration.rotate {
                s.rotation += 1
                let k = s.rotation % max(servers.count, 1)
                return Array(servers[k...] + servers[..<k])
            }
            return servers.enumerated().sorted { a, b in
                let ra = s.srtt[a.element] ?? 0, rb = s.srtt[b.element] ?? 0
                return ra != rb ? ra < rb : a.offset < b.offset
            }.map(\.element)
        }
    }

    private func recordRTT(_ server: Endpoint, _ sample: Double) {
        state.withLock { s in
            let old = s.srtt[server] ?? sample
            s.srtt[server] = 0.7 * old + 0.3 * sample  // EWMA, as BIND's server selection does
        }
    }

    private func penalise(_ server: Endpoint, _ timeout: Double) {
        state.withLock { s in s.srtt[server] = (s.srtt[server] ?? 0) + timeout }
    }

    /// The answer to `question`: over UDP/TCP 53 unless the configuration says encrypted only;
    /// over the encrypted resolvers when those fail for want of a network path (timeouts, refused
    /// connections, unroutable servers: port 53 blocked), and for a minute after such a failure
    /// without trying 53 again.
    private func exchangeWithRetries(_ question: DNSQuestion) throws(ResolveError) -> (
        DNSMessage, Endpoint, String?, Double
    ) {
        let encrypted = configuration.encrypted
        if encrypted.isEmpty {
            // Never 53 when told so, even with nothing else to ask.
            if configuration.encryptedOnly { throw .unusable("encrypted only, and no encrypted resolver configured") }
            let (message, server, rtt) = try exchangePlain(question)
            return (message, server, nil, rtt)
        }
        let servers = configuration.servers
        let plainBlocked = Self.plainBlockedUntil.withLock { ($0[servers] ?? 0) > monotonicNow() }
        if !configuration.encryptedOnly && !plainBlocked {
            do {
                let (message, server, rtt) = try exchangePlain(question)
                return (message, server, nil, rtt)
            } catch {
                switch error {
                case .timeout, .connectionRefused, .unusable:
                    Self.plainBlockedUntil.withLock { $0[servers] = monotonicNow() + 60 }
                default:
                    throw error
                }
            }
        }
        return try exchangeEncrypted(question)
    }

    /// Rounds over the encrypted resolvers, in the order given, with the same doubling timeouts.
    private func exchangeEncrypted(_ question: DNSQuestion) throws(ResolveError) -> (
        DNSMessage, Endpoint, String?, Double
    ) {
        var failures: [String] = []
        var onlyTimeouts = true
        var answeredBadly: ResolveError? = nil
        for round in 0..<max(1, configuration.attempts) {
            let timeout = configuration.timeout * Double(1 << min(round, 4))
            for server in configuration.encrypted {
                let start = monotonicNow()
                do {
                    // RFC 8484 4.1: DoH queries carry ID 0 (caches); DoT ones a random ID, to match answers.
                    let (id, wire) = try makeQuery(question, id: server.kind == .https ? 0 : nil, padded: true)
                    let bytes = try EncryptedDNSClient.shared.exchange(
                        wire, id: id, server: server, trust: configuration.trust, deadline: start + timeout)
                    var malformed: String? = nil
                    guard let reply = Self.accept(bytes, id: id, question: question, malformed: &malformed) else {
                        answeredBadly = .malformed(malformed ?? "\(server): the answer does not match the query")
                        continue
                    }
                    switch reply.rcode {
                    case .servFail: answeredBadly = .servFail
                    case .refused: answeredBadly = .refused
                    default: return (reply, server.endpoint, server.description, monotonicNow() - start)
                    }
                } catch let e as EncryptedDNSError {
                    if case .timeout = e {} else { onlyTimeouts = false }
                    if !failures.contains("\(e)") { failures.append("\(e)") }
                } catch {
                    onlyTimeouts = false
                    failures.append("\(server): \(error)")
                }
            }
        }
        if let answeredBadly { throw answeredBadly }
        if onlyTimeouts { throw .timeout }
        throw .encrypted(failures.joined(separator: "; "))
    }

    private func exchangePlain(_ question: DNSQuestion) throws(ResolveError) -> (DNSMessage, Endpoint, Double) {
        var lastError: ResolveError = .timeout
        var sawServFail = false, sawRefused = false, sawMalformed: String? = nil
        var sawConnectionRefused = false, sawOther = false
        var unusable: [String] = []
        for round in 0..<max(1, configuration.attempts) {
            let timeout = configuration.timeout * Double(1 << min(round, 4))
            for server in serverOrder() {
                let start = monotonicNow()
                do {
                    let message = try exchange(question, with: server, deadline: start + timeout)
                    let rtt = monotonicNow() - start
                    switch message.rcode {
                    case .servFail:
                        sawServFail = true
                        penalise(server, timeout / 2)
                        continue
                    case .refused:
                        sawRefused = true
                        penalise(server, timeout / 2)
                        continue
                    default:
                        recordRTT(server, rtt)
                        return (message, server, rtt)
                    }
                } catch let e as ResolveError {
                    if case .malformed(let why) = e { sawMalformed = why }
                    lastError = e
                    sawOther = true
                    penalise(server, timeout)
                } catch let e as SocketError where e.isConnectionRefused {
                    // Refused within a millisecond: on to the next server (or the caller's fallback) now.
                    sawConnectionRefused = true
                    penalise(server, timeout)
                } catch let e as CannotAsk {
                    // Not even sent (bad zone index, no route): the next server now; said if all are so.
                    if !unusable.contains("\(e)") { unusable.append("\(e)") }
                    penalise(server, timeout)
                } catch {
                    lastError = .timeout
                    sawOther = true
                    penalise(server, timeout)
                }
            }
        }
        if sawServFail { throw .servFail }
        if sawRefused { throw .refused }
        if let why = sawMalformed { throw .malformed(why) }
        // Every server that was tried refused the connection: say so rather than "timeout".
        if sawConnectionRefused && !sawOther { throw .connectionRefused }
        if !unusable.isEmpty && !sawOther && !sawConnectionRefused { throw .unusable(unusable.joined(separator: "; ")) }
        throw lastError
    }

    /// The query for `question`, the same over UDP and TCP: a fresh random ID, RD, EDNS0 with a
    /// 1232-octet buffer and the configured Client Subnet; DO and CD when validating.
    func makeQuery(_ question: DNSQuestion, id fixed: UInt16? = nil, padded: Bool = false) throws -> (
        id: UInt16, wire: [UInt8]
    ) {
        var rng = SystemRandomNumberGenerator()
        let id = fixed ?? UInt16.random(in: 0...UInt16.max, using: &rng)
        var edns = EDNS(udpPayloadSize: 1232, dnssecOK: configuration.dnssec)
        if let ecs = configuration.clientSubnet { edns.options = [.clientSubnet(ecs)] }
        if padded {
            // RFC 8467 4.1: an encrypted query padded to a multiple of 128 octets (RFC 7830's
            // option), so its length does not tell the name. The option itself takes 4 octets.
            let unpadded = try DNSMessage(header: DNSHeader(id: 0), questions: [question], edns: edns).encode()
            let length = unpadded.readableBytes + 4
            edns.options.append(.unknown(code: 12, data: [UInt8](repeating: 0, count: (128 - length % 128) % 128)))
        }
        // A validating stub asks for the signatures (DO) and for the data even if a validating
        // resolver finds it bogus (CD, RFC 4035 3.2.2), so it can say why itself.
        var flags = DNSHeader.Flag.recursionDesired.rawValue
        if configuration.dnssec { flags |= DNSHeader.Flag.checkingDisabled.rawValue }
        let header = DNSHeader(id: id, flags: flags)
        let query = DNSMessage(header: header, questions: [question], edns: edns)
        return (id, Array(try query.encode().readableBytesView))
    }

    /// One query to one server: UDP, then TCP if the answer is truncated.
    func exchange(_ question: DNSQuestion, with server: Endpoint, deadline: Double) throws -> DNSMessage {
        let (id, wire) = try makeQuery(question)
        let socket: PosixSocket
        do { socket = try PosixSocket(udpFor: server) } catch { throw CannotAsk(error: error) }
        try socket.send(wire, deadline: deadline)
        var malformed: String? = nil
        while true {
            guard let datagram = try socket.receive(max: 65535, deadline: deadline) else {
                if let malformed { throw ResolveError.malformed(malformed) }
                throw ResolveError.timeout
            }
            guard let reply = Self.accept(datagram, id: id, question: question, malformed: &malformed) else { continue }
            if reply.header.has(.truncated) { return try exchangeTCP(question, with: server, deadline: deadline) }
            return reply
        }
    }

    func exchangeTCP(_ question: DNSQuestion, with server: Endpoint, deadline: Double) throws -> DNSMessage {
        let (id, wire) = try makeQuery(question)
        let socket = try PosixSocket(tcpTo: server, deadline: deadline)
        try socket.send([UInt8(wire.count >> 8), UInt8(wire.count & 0xFF)] + wire, deadline: deadline)
        let header = try socket.receiveExactly(2, deadline: deadline)
        let length = Int(header[0]) << 8 | Int(header[1])
        let body = try socket.receiveExactly(length, deadline: deadline)
        var malformed: String? = nil
        guard let reply = Self.accept(body, id: id, question: question, malformed: &malformed) else {
            throw ResolveError.malformed(malformed ?? "TCP answer does not match the query")
        }
        return reply
    }

    /// What one response to a question for `current` says.
    public enum ReplyReading: Sendable, Equatable {
        /// The records asked for (at the end of the CNAMEs followed).
        case records([DNSResourceRecord])
        /// The CNAMEs lead to a name this response has no data for: ask for it.
        case ask(DNSName)
        /// NXDOMAIN, NODATA, another RCODE, or a CNAME loop.
        case ended(ResolveError)
    }

    /// Reads a response: walks its answer section from `current` through any CNAMEs (RFC 1034
    /// section 4.3.2), adding each to `chain` and each target to `seen` (a target seen before is a
    /// loop). Pure; the resolver's reply handling after `accept`.
    public static func read(
        _ message: DNSMessage, asked current: DNSName, type: RecordType, chain: inout [DNSResourceRecord],
        seen: inout Set<DNSName>
    ) -> ReplyReading {
        var owner = current
        var progressed = true
        while progressed {
            progressed = false
            let owned = message.answers.filter { $0.name == owner && $0.recordClass == .internet }
            let matching = owned.filter { $0.type == type }
            if !matching.isEmpty || type == .cname {
                let records = type == .cname ? owned.filter { $0.type == .cname } : matching
                if !records.isEmpty { return .records(records) }
            }
            if let cname = owned.first(where: { $0.type == .cname }), case .cname(let c) = cname.data {
                chain.append(cname)
                guard seen.insert(c.target).inserted else { return .ended(.malformed("CNAME loop at \(c.target)")) }
                owner = c.target
                progressed = true
            }
        }
        let rcode = message.rcode
        if owner != current {
            // The chain left this response without data: ask for the new name (unless it is known not to exist).
            return rcode == .nxDomain ? .ended(.nxDomain) : .ask(owner)
        }
        switch rcode {
        case .nxDomain: return .ended(.nxDomain)
        case .noError: return .ended(.noData)
        default: return .ended(.otherRcode(rcode.rawValue))
        }
    }

    /// A datagram is the answer only if it parses, is a response, and matches ID and question.
    public static func accept(_ bytes: [UInt8], id: UInt16, question: DNSQuestion, malformed: inout String?)
        -> DNSMessage?
    {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        let message: DNSMessage
        do { message = try DNSMessage(parsing: buffer) } catch {
            malformed = "\(error)"
            return nil
        }
        guard message.header.isResponse, message.header.id == id, message.questions.count == 1,
            message.questions[0].name == question.name, message.questions[0].type == question.type,
            message.questions[0].recordClass == question.recordClass
        else { return nil }
        return message
    }
}

/// A query that could not even be sent: the socket could not be made or connected (an address
/// naming no interface, no route to the server's network). Unlike a timeout, it is known at once.
struct CannotAsk: Error, CustomStringConvertible {
    var error: any Error
    var description: String { "\(error)" }
}
