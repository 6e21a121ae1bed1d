import Crypto
import Foundation

/// The audit log's hash chain. Each entry's hash covers the previous entry's hash, its own
/// sequence number and every field of its event, so changing, removing or reordering any entry
/// breaks every link after it. (Removing entries from the end leaves a shorter valid chain: the
/// head hash that `verify` prints is what an operator keeps elsewhere to detect that.)
public enum AuditChain {
    /// The hash an entry must carry.
    public static func hash(sequence: Int, event: AuditEvent, previousHash: String) -> String {
        // Length-prefixed fields: no two different entries serialise to the same bytes.
        var bytes: [UInt8] = []
        func add(_ field: String) {
            let utf8 = Array(field.utf8)
            bytes += Array(String(utf8.count).utf8) + [0x3A] + utf8
        }
        add(previousHash)
        add(String(sequence))
        add(String(microseconds(event.time)))
        for field in [
            event.actor, event.role, event.remote, event.requestID, event.action, event.target, event.change,
            event.outcome,
        ] { add(field) }
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// A time as whole microseconds since 1970: what is stored and hashed (a Double of seconds
    /// does not survive every round trip through Date bit for bit).
    public static func microseconds(_ time: Date) -> Int64 {
        Int64((time.timeIntervalSince1970 * 1_000_000).rounded())
    }

    public enum Verification: Sendable, Equatable {
        case intact(entries: Int, head: String)
        case broken(Problem)
    }

    /// The first entry that does not fit the chain, and how.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var sequence: Int
        public var reason: String
        public var description: String { "audit entry \(sequence): \(reason)" }
    }

    /// Checks entries one by one, in stored order.
    public struct Verifier {
        public private(set) var count = 0
        public private(set) var previousHash = ""

        public init() {}

        public mutating func check(_ entry: AuditEntry) -> Problem? {
            let expected = count + 1
            if entry.sequence != expected {
                let what = entry.sequence > expected ? "missing (deleted?)" : "out of order"
                return Problem(sequence: expected, reason: "entry \(expected) is \(what); found \(entry.sequence)")
            }
            if entry.previousHash != previousHash {
                return Problem(sequence: entry.sequence, reason: "does not link to the entry before it")
            }
            if AuditChain.hash(sequence: entry.sequence, event: entry.event, previousHash: previousHash) != entry.hash {
                return Problem(sequence: entry.sequence, reason: "its contents were changed after it was written")
            }
            count += 1
            previousHash = entry.hash
            return nil
        }
    }
}
