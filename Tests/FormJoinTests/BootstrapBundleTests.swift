import Crypto
import Foundation
import Testing

@testable import FormJoin

/// Signed bootstrap bundles: what verifies, and each way a bundle is refused (bad signature,
/// another key, expiry, an older sequence, trailing bytes, fields nobody signed), with its reason.
struct BootstrapBundleTests {
    static let key = Curve25519.Signing.PrivateKey()
    static let now = Date(timeIntervalSince1970: 1_796_000_000)
    static let peers = [
        PeerInfo(id: "ams-1", ipv4: "127.0.0.11", port: 51820, publicKey: "Zm9ybWF0aW9uLWZpeHR1cmUta2V5LWFtcy0xLTAwMDA=")
    ]

    static func bundle(seq: UInt64 = 7, expires: Date = now.addingTimeInterval(3600), key: Curve25519.Signing.PrivateKey = key)
        throws -> Data
    {
        try BootstrapBundle.sign(
            BootstrapBundle.Contents(name: "entry.formation.test.", seq: seq, expires: expires, peers: peers), key: key)
    }

    func open(_ data: Data, accepted: UInt64? = nil) -> Result<BootstrapBundle.Contents, BootstrapBundle.Rejection> {
        Result { () throws(BootstrapBundle.Rejection) in
            try BootstrapBundle.open(data, source: "b.json", key: Self.key.publicKey, now: Self.now, accepted: accepted)
        }
    }

    @Test func aSignedBundleOpensWithItsKey() throws {
        let data = try Self.bundle()
        #expect(BootstrapBundle.isBundle(data))
        let contents = try open(data).get()
        #expect(contents.peers == Self.peers && contents.seq == 7 && contents.name == "entry.formation.test.")
        // The signed text is canonical: what a reader re-encodes is byte for byte what was signed.
        #expect(BootstrapBundle.canonical(contents) == BootstrapBundle.canonical(
            BootstrapBundle.Contents(name: "entry.formation.test.", seq: 7, expires: contents.expires, peers: Self.peers)))
        #expect(try open(data, accepted: 7).get().seq == 7)  // the same bundle again is fine
    }

    @Test func everyTamperingIsRefusedWithItsReason() throws {
        let good = try Self.bundle()
        let text = String(decoding: good, as: UTF8.self)
        func reason(_ data: Data, accepted: UInt64? = nil) -> String {
            switch open(data, accepted: accepted) {
            case .success: return "accepted"
            case .failure(let r): return r.description
            }
        }
        #expect(reason(Data(text.replacingOccurrences(of: "127.0.0.11", with: "127.0.0.66").utf8)).contains("does not verify"))
        #expect(reason(try Self.bundle(key: Curve25519.Signing.PrivateKey())).contains("not the pinned --bootstrap-key"))
        #expect(reason(try Self.bundle(expires: Self.now.addingTimeInterval(-1))).hasPrefix("expired at"))
        #expect(reason(try Self.bundle(seq: 6), accepted: 7).contains("sequence 6 is older than 7"))
        #expect(reason(Data((text + "\n{}").utf8)).contains("not valid JSON"))
        #expect(reason(Data(text.replacingOccurrences(of: "\"format\"", with: "\"extra\" : 1, \"format\"").utf8))
            .contains("unknown fields [\"extra\"]"))
        #expect(reason(Data("[]".utf8)).contains("not an object"))
        #expect(reason(Data(text.replacingOccurrences(of: "form-join-bundle-v1", with: "v0").utf8)).contains("format"))
        // Signed, but not a list a reader would take: refused for what is wrong in it.
        let odd = try BootstrapBundle.sign(
            BootstrapBundle.Contents(
                name: "entry.formation.test.", seq: 1, expires: Self.now.addingTimeInterval(60),
                peers: [PeerInfo(id: "x", ipv4: "not-an-ip", port: 1)]), key: Self.key)
        #expect(reason(odd).contains("peers[0]"), "\(reason(odd))")
        // A key given as text: base64 of 32 bytes, or a file holding it.
        #expect(throws: JoinError.self) { try BootstrapBundle.publicKey("AAAA") }
        #expect(try BootstrapBundle.publicKey(Self.key.publicKey.rawRepresentation.base64EncodedString()).rawRepresentation
            == Self.key.publicKey.rawRepresentation)
    }
}
