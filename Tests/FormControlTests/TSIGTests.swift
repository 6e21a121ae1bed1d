import Crypto
import DNSWire
import FormConfig
import Foundation
import Testing

@testable import FormControl

/// TSIG (RFC 8945) on UPDATE messages built byte by byte here, signed by this file's own reading
/// of the RFC (not by the code under test).
@Suite struct TSIGTests {
    static let secret = Array("0123456789abcdef0123456789abcdef".utf8)

    static func key(_ name: DNSName = "k.", secret: [UInt8] = TSIGTests.secret) -> UpdateKey {
        var k = UpdateKey()
        k.name = name
        k.secret = secret
        k.names = ["*.example.test"]
        return k
    }

    static func u16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }

    /// An UPDATE adding `host.example.test. 60 A 192.0.2.7`, signed with `secret` at `time`.
    static func update(id: Int = 0x1234, time: UInt64, secret: [UInt8] = TSIGTests.secret, keyName: DNSName = "k.")
        -> [UInt8]
    {
        let zone: DNSName = "example.test.", host: DNSName = "host.example.test."
        var body = u16(id) + [0x28, 0x00] + u16(1) + u16(0) + u16(1) + u16(0)
        body += zone.wire + u16(6) + u16(1)
        body += host.wire + u16(1) + u16(1) + [0, 0, 0, 60] + u16(4) + [192, 0, 2, 7]
        let algorithm: DNSName = "hmac-sha256."
        let time48 = (0..<6).map { UInt8((time >> (8 * (5 - UInt64($0)))) & 0xFF) }
        // RFC 8945 4.3.3: the message, then name, class ANY, TTL 0, algorithm, time, fudge 300, error 0, other len 0.
        let variables = keyName.wire + u16(255) + [0, 0, 0, 0] + algorithm.wire + time48 + u16(300) + u16(0) + u16(0)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: body + variables, using: SymmetricKey(data: secret)))
        let rdata = algorithm.wire + time48 + u16(300) + u16(mac.count) + mac + u16(id) + u16(0) + u16(0)
        var signed = body
        signed[11] = 1  // ARCOUNT
        return signed + keyName.wire + u16(250) + u16(255) + [0, 0, 0, 0] + u16(rdata.count) + rdata
    }

    @Test func aCorrectlySignedUpdateIsValidOnceAndItsReplayIsNot() throws {
        let now: UInt64 = 1_800_000_000
        let signer = TSIGSigner(clock: { now })
        let message = try UpdateMessage(parsing: Self.update(time: now - 10))
        guard case .valid(let key) = signer.verify(message, keys: [Self.key()]) else {
            Issue.record("a valid MAC was refused")
            return
        }
        #expect(key.name == "k.")
        guard case .refused(.badSig, let why, _) = signer.verify(message, keys: [Self.key()]) else {
            Issue.record("a replayed MAC was accepted")
            return
        }
        #expect(why.contains("replayed"))
    }

    @Test func aWrongSecretUnknownKeyOrTimeIsRefusedWithItsError() throws {
        let now: UInt64 = 1_800_000_000
        let signer = TSIGSigner(clock: { now })
        let wrong = try UpdateMessage(parsing: Self.update(time: now, secret: Array("another-secret-another-secret!!!".utf8)))
        guard case .refused(.badSig, _, _) = signer.verify(wrong, keys: [Self.key()]) else {
            Issue.record("a wrong MAC was not BADSIG")
            return
        }
        let unknown = try UpdateMessage(parsing: Self.update(time: now, keyName: "other."))
        guard case .refused(.badKey, _, _) = signer.verify(unknown, keys: [Self.key()]) else {
            Issue.record("an unknown key was not BADKEY")
            return
        }
        let late = try UpdateMessage(parsing: Self.update(time: now - 301))
        guard case .refused(.badTime, _, let key?) = signer.verify(late, keys: [Self.key()]) else {
            Issue.record("a time outside the fudge was not BADTIME")
            return
        }
        // BADTIME is answered signed, with the server's time in other data (RFC 8945 5.2.3).
        let reply = DNSUpdateProcessor.reply(to: late.bytes, zone: nil, rcode: .notAuth)
        let signed = signer.sign(reply, request: late.tsig!, key: key, error: 18)
        #expect(signed[11] == 1)
        #expect(Array(signed.suffix(8)) == [0, 6] + [0, 0, 0x6B, 0x49, 0xD2, 0x00], "other data: now, 48 bits")
        let unsigned = try UpdateMessage(parsing: Array(Self.update(time: now)[..<63]).with(arcount: 0))
        guard case .unsigned = signer.verify(unsigned, keys: [Self.key()]) else {
            Issue.record("a message without TSIG was not unsigned")
            return
        }
    }

    @Test func theResponseMACCoversTheRequestMACAndTheResponse() throws {
        let now: UInt64 = 1_800_000_000
        let signer = TSIGSigner(clock: { now })
        let request = try UpdateMessage(parsing: Self.update(time: now))
        let reply = DNSUpdateProcessor.reply(to: request.bytes, zone: (request.zone, 6, 1), rcode: .noError)
        let signed = try UpdateMessage(parsing: signer.sign(reply, request: request.tsig!, key: Self.key()))
        let tsig = try #require(signed.tsig)
        let requestMAC = request.tsig!.mac
        var unsignedReply = Array(signed.bytes[..<signed.tsigOffset])
        unsignedReply[11] = 0
        let time48 = (0..<6).map { UInt8((now >> (8 * (5 - UInt64($0)))) & 0xFF) }
        let variables =
            DNSName("k.").wire + Self.u16(255) + [0, 0, 0, 0] + DNSName("hmac-sha256.").wire + time48 + Self.u16(300)
            + Self.u16(0) + Self.u16(0)
        let expected = HMAC<SHA256>.authenticationCode(
            for: Self.u16(requestMAC.count) + requestMAC + unsignedReply + variables,
            using: SymmetricKey(data: Self.secret))
        #expect(tsig.mac == Array(expected))
        #expect(tsig.originalID == 0x1234)
    }
}

extension [UInt8] {
    fileprivate func with(arcount: UInt8) -> [UInt8] {
        var copy = self
        copy[11] = arcount
        return copy
    }
}
