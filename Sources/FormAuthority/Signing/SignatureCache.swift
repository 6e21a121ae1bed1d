import DNSSEC
import DNSWire
import Synchronization

/// RRSIGs by what they sign: the canonical RRset, its original TTL and the signing keys' tags. Shared
/// by every thread and kept across reloads that keep the keys, so a reload or a pool's few answer
/// sets cost a lookup, not a signature. Bounded: past `capacity` entries it starts over.
public final class SignatureCache: Sendable {
    struct Key: Hashable, Sendable {
        var rrset: CanonicalRRset
        var originalTTL: UInt32
        var keyTags: [UInt16]
    }

    struct Signed: Sendable {
        var rrsigs: [RRSIGRecord]
        /// After this (seconds since 1970) the signatures are made again.
        var refreshAt: UInt32
    }

    private let entries = Mutex<[Key: Signed]>([:])
    public let capacity: Int

    public init(capacity: Int = 200_000) { self.capacity = capacity }

    public var count: Int { entries.withLock { $0.count } }

    func lookup(_ key: Key, now: UInt32) -> Signed? {
        entries.withLock { e in
            guard let hit = e[key], now < hit.refreshAt else { return nil }
            return hit
        }
    }

    func store(_ key: Key, _ signed: Signed) {
        entries.withLock { e in
            if e.count >= capacity { e.removeAll(keepingCapacity: true) }
            e[key] = signed
        }
    }
}
