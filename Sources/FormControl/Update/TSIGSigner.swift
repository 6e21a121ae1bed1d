import Crypto
import DNSWire
import FormConfig
import Foundation
import Synchronization

/// TSIG with hmac-sha256 (RFC 8945 5): checks a request's MAC, time and freshness, and signs the
/// response. A MAC is accepted once: a copy replayed within the time window is refused.
public final class TSIGSigner: Sendable {
    /// MACs already accepted, with the time they stop being acceptable anyway.
    private let seen = Mutex<[Data: UInt64]>([:])
    let clock: @Sendable () -> UInt64

    public init(clock: @escaping @Sendable () -> UInt64 = { UInt64(Date().timeIntervalSince1970) }) {
        self.clock = clock
    }

    public enum Verdict: Sendable {
        case valid(UpdateKey)
        /// Unsigned: no TSIG at all.
        case unsigned
        /// A TSIG error to answer with NOTAUTH (signed only for BADTIME, RFC 8945 5.2.3), and why.
        case refused(TSIGRecord.Failure, String, key: UpdateKey?)
    }

    /// Checks `message`'s TSIG against `keys` (the configuration's, as it is now).
    public func verify(_ message: UpdateMessage, keys: [UpdateKey]) -> Verdict {
        guard let tsig = message.tsig else { return .unsigned }
        let name = tsig.name.lowercased
        guard let key = keys.first(where: { $0.name.lowercased == name }),
            tsig.algorithm.lowercased == TSIGRecord.hmacSHA256
        else {
            return .refused(.badKey, "unknown key \(tsig.name) or algorithm \(tsig.algorithm)", key: nil)
        }
        guard tsig.mac.count == 32 else { return .refused(.badSig, "MAC of \(tsig.mac.count) bytes", key: nil) }
        let expected = Self.mac(key, Self.requestInput(message, tsig))
        guard ManagementToken.matches(expected, tsig.mac) else {
            return .refused(.badSig, "the MAC does not match key \(key.name)", key: nil)
        }
        let now = clock()
        let skew = now > tsig.timeSigned ? now - tsig.timeSigned : tsig.timeSigned - now
        guard skew <= UInt64(tsig.fudge) else {
            return .refused(.badTime, "signed \(skew) s away from now (fudge \(tsig.fudge) s)", key: key)
        }
        let fresh = seen.withLock { seen -> Bool in
            seen = seen.filter { $0.value >= now }
            let mac = Data(tsig.mac)
            guard seen[mac] == nil else { return false }
            seen[mac] = tsig.timeSigned + UInt64(tsig.fudge)
            return true
        }
        guard fresh else { return .refused(.badSig, "a replayed MAC", key: nil) }
        return .valid(key)
    }

    /// The request as the MAC covers it: the message without the TSIG record, ARCOUNT one less,
    /// the original ID, then the TSIG variables.
    static func requestInput(_ message: UpdateMessage, _ tsig: TSIGRecord) -> [UInt8] {
        var body = Array(message.bytes[..<message.tsigOffset])
        body[0] = UInt8(tsig.originalID >> 8)
        body[1] = UInt8(tsig.originalID & 0xFF)
        let arcount = (UInt16(body[10]) << 8 | UInt16(body[11])) &- 1
        body[10] = UInt8(arcount >> 8)
        body[11] = UInt8(arcount & 0xFF)
        return body + tsig.variables()
    }

    /// Appends a TSIG record to `response` (RFC 8945 5.3: request MAC, response, variables) and
    /// adds one to its ARCOUNT. `error` BADTIME carries the server's time in other data.
    public func sign(_ response: [UInt8], request: TSIGRecord, key: UpdateKey, error: UInt16 = 0) -> [UInt8] {
        let now = clock()
        var record = TSIGRecord(
            name: request.name, algorithm: TSIGRecord.hmacSHA256, timeSigned: error == 18 ? request.timeSigned : now,
            fudge: request.fudge, mac: [], originalID: request.originalID, error: error,
            other: error == 18 ? TSIGRecord.uint48(now) : [])
        let input = TSIGRecord.uint16(UInt16(request.mac.count)) + request.mac + response + record.variables()
        record.mac = Self.mac(key, input)
        return Self.appending(record, to: response)
    }

    /// Signs the messages of a multi-message reply in order (a zone transfer, RFC 8945 5.3.1):
    /// the first over the request's MAC, the message and all the variables; each next one over
    /// the MAC before it, the message and the timers only. Every message is signed.
    public func sign(stream messages: [[UInt8]], request: TSIGRecord, key: UpdateKey) -> [[UInt8]] {
        let now = clock()
        var previous = request.mac
        return messages.enumerated().map { i, message in
            var record = TSIGRecord(
                name: request.name, algorithm: TSIGRecord.hmacSHA256, timeSigned: now, fudge: request.fudge, mac: [],
                originalID: request.originalID, error: 0, other: [])
            let input =
                TSIGRecord.uint16(UInt16(previous.count)) + previous + message + record.variables(timersOnly: i > 0)
            record.mac = Self.mac(key, input)
            previous = record.mac
            return Self.appending(record, to: message)
        }
    }

    /// `reply` (a NOTAUTH) carrying a refused request's TSIG error: signed for BADTIME with the
    /// key that verified, unsigned otherwise (RFC 8945 5.2.3, 5.3.2).
    public func refusal(_ reply: [UInt8], request: TSIGRecord, failure: TSIGRecord.Failure, key: UpdateKey?)
        -> [UInt8]
    {
        if failure == .badTime, let key { return sign(reply, request: request, key: key, error: failure.rawValue) }
        return Self.unsignedError(reply, request: request, error: failure.rawValue)
    }

    /// An unsigned TSIG record carrying only the error (BADKEY, BADSIG: RFC 8945 5.3.2).
    public static func unsignedError(_ response: [UInt8], request: TSIGRecord, error: UInt16) -> [UInt8] {
        let record = TSIGRecord(
            name: request.name, algorithm: request.algorithm, timeSigned: request.timeSigned, fudge: request.fudge,
            mac: [], originalID: request.originalID, error: error, other: [])
        return appending(record, to: response)
    }

    static func appending(_ record: TSIGRecord, to response: [UInt8]) -> [UInt8] {
        var out = response
        let arcount = (UInt16(out[10]) << 8 | UInt16(out[11])) + 1
        out[10] = UInt8(arcount >> 8)
        out[11] = UInt8(arcount & 0xFF)
        return out + record.wire
    }

    static func mac(_ key: UpdateKey, _ input: [UInt8]) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key.secret)))
    }
}
