import Atomics
import NetAddress

/// Response rate limiting (RRL) as BIND and Knot do it, on one table every UDP worker shares.
///
/// A flow is (client network, kind of response, name): the network is the client's /24 or /56;
/// the kind is an answer, NODATA, NXDOMAIN or another error; the name is the query's for answers,
/// the zone's for the others, so a flood of random names under one zone is one flow. Each flow
/// has an account that earns `responsesPerSecond` credits a second, up to that many; each response
/// costs one; while it is negative, responses are limited. It sinks no lower than `window` seconds
/// of credit, so a flood that goes on stays limited and one that stops is forgiven within the
/// window (BIND's "credit" scheme).
///
/// The table is fixed: a slot is one 64-bit word updated by compare-and-swap, so workers never
/// lock and a query never allocates. Two flows that land on one slot share it until the newer
/// one takes it over; that only forgives, never limits a flow that should not be. Pure apart from
/// the table: the time is given, in seconds from any fixed start.
public final class ResponseRateLimiter: Sendable {
    public enum Kind: UInt64, Sendable, CustomStringConvertible {
        case answer = 1
        case noData = 2
        case nxDomain = 3
        case error = 4

        public var description: String {
            switch self {
            case .answer: return "answer"
            case .noData: return "nodata"
            case .nxDomain: return "nxdomain"
            case .error: return "error"
            }
        }
    }

    public let settings: RateLimitSettings
    // Sendable: immutable after init; the slots are reached only through UnsafeAtomic operations.
    nonisolated(unsafe) private let slots: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>
    private let mask: Int
    private let seed: UInt64
    private let rate: Int
    private let floor: Int
    private let exemptV4: [IPNetwork]
    private let exemptV6: [IPNetwork]
    private let limitedCount = ManagedAtomic<UInt64>(0)
    private let lastLogSecond = ManagedAtomic<UInt32>(0)
    private let countAtLastLog = ManagedAtomic<UInt64>(0)
    /// Hears at most one line a second about what is limited (nil: nothing is logged).
    public let log: (@Sendable (String) -> Void)?

    /// The balance field holds -2^23 ... 2^23-1; window x rate is kept within it.
    static let balanceBits: UInt64 = 24
    public static let balanceLimit = 1 << 23 - 1

    public init(
        settings: RateLimitSettings, seed: UInt64 = UInt64.random(in: 1...UInt64.max),
        log: (@Sendable (String) -> Void)? = nil
    ) {
        self.settings = settings
        self.log = log
        var size = 1024
        while size < settings.tableSize { size <<= 1 }
        mask = size - 1
        slots = .allocate(capacity: size)
        slots.initialize(repeating: .init(0), count: size)
        self.seed = seed
        rate = max(1, min(settings.responsesPerSecond, Self.balanceLimit))
        floor = -min(settings.windowSeconds * rate, Self.balanceLimit)
        exemptV4 = settings.exempt.filter(\.address.isIPv4)
        exemptV6 = settings.exempt.filter { !$0.address.isIPv4 }
    }

    deinit {
        for i in 0...mask { _ = slots[i].dispose() }
        slots.deinitialize(count: mask + 1)
        slots.deallocate()
    }

    /// Whether `client` is never limited.
    @inline(__always)
    public func isExempt(_ client: IPAddress) -> Bool {
        for network in client.isIPv4 ? exemptV4 : exemptV6 where network.contains(client) { return true }
        return false
    }

    /// Accounts one response of `kind` about `name` (a name hash, or a zone index) to `client`
    /// at `now` (whole seconds); whether it is limited.
    public func limits(client: IPAddress, kind: Kind, name: UInt64, now: UInt32) -> Bool {
        let network = client.masked(to: client.isIPv4 ? settings.ipv4PrefixLength : settings.ipv6PrefixLength)
        let key = Self.mix(Self.mix(Self.mix(seed ^ network.high, network.low ^ kind.rawValue), name), 0)
        let fingerprint = key >> 40
        let time = UInt64(now & 0xFFFF)
        let first = Int(truncatingIfNeeded: key) & mask
        // Two slots for a flow: its own (same fingerprint) if either has it, else the staler one.
        let other = first ^ 1
        let a = UnsafeAtomic<UInt64>(at: slots + first), b = UnsafeAtomic<UInt64>(at: slots + other)
        // Lock-free: a failed exchange means another worker's succeeded; read again and redo.
        while true {
            let wordA = a.load(ordering: .relaxed), wordB = b.load(ordering: .relaxed)
            let slot: UnsafeAtomic<UInt64>, old: UInt64
            if wordA != 0 && wordA >> 40 == fingerprint {
                (slot, old) = (a, wordA)
            } else if wordB != 0 && wordB >> 40 == fingerprint {
                (slot, old) = (b, wordB)
            } else {
                let ageA = (time &- (wordA >> 24 & 0xFFFF)) & 0xFFFF, ageB = (time &- (wordB >> 24 & 0xFFFF)) & 0xFFFF
                (slot, old) = wordA == 0 || (wordB != 0 && ageA >= ageB) ? (a, wordA) : (b, wordB)
            }
            var balance: Int
            if old != 0 && old >> 40 == fingerprint {
                balance = Self.balance(old)
                let elapsed = Int((time &- (old >> 24 & 0xFFFF)) & 0xFFFF)
                // The 16-bit time wraps after 18 hours: a flow untouched that long reads as recent,
                // which at worst keeps an old debt for one window.
                if elapsed > 0 { balance = min(rate, balance + min(elapsed, 1 << 16) * rate) }
            } else {
                balance = rate
            }
            balance = max(floor, balance - 1)
            let word = fingerprint << 40 | time << 24 | UInt64(bitPattern: Int64(balance)) & 0xFF_FFFF
            if slot.compareExchange(expected: old, desired: word, ordering: .relaxed).exchanged {
                return balance < 0
            }
        }
    }

    /// Records one limited response to `client`; whether it slips, i.e. goes out truncated (every
    /// `slip`-th; never in log-only mode, where the caller answers as usual). At most once a second
    /// a line says what is limited and how much since the last line.
    @inline(__always)
    public func noteLimited(client: IPAddress, kind: Kind, now: UInt32) -> Bool {
        let n = limitedCount.loadThenWrappingIncrement(ordering: .relaxed)
        if log != nil, lastLogSecond.load(ordering: .relaxed) != now { logLine(client: client, kind: kind, now: now) }
        let slip = UInt64(settings.slip)
        return !settings.logOnly && slip > 0 && n % slip == 0
    }

    /// Limited responses since start.
    public var limitedTotal: UInt64 { limitedCount.load(ordering: .relaxed) }

    private func logLine(client: IPAddress, kind: Kind, now: UInt32) {
        let last = lastLogSecond.load(ordering: .relaxed)
        guard last != now, lastLogSecond.compareExchange(expected: last, desired: now, ordering: .relaxed).exchanged,
            let log
        else { return }
        let total = limitedCount.load(ordering: .relaxed)
        let since = total &- countAtLastLog.exchange(total, ordering: .relaxed)
        let prefix = client.isIPv4 ? settings.ipv4PrefixLength : settings.ipv6PrefixLength
        let network = IPNetwork(address: client, prefixLength: prefix)
        let action =
            settings.logOnly
            ? "would be limited (log_only)"
            : settings.slip == 0 ? "dropped" : "dropped, 1 in \(settings.slip) sent truncated"
        log("rate limit: \(kind) responses to \(network) \(action); \(since) limited since the last line")
    }

    static func balance(_ word: UInt64) -> Int {
        let raw = Int64(word & 0xFF_FFFF)
        return Int(raw & 0x80_0000 != 0 ? raw - 0x100_0000 : raw)
    }

    /// A 64-bit mix (the finaliser of splitmix64 over a combining step).
    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var z = (a ^ b.rotatedLeft(29)) &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
