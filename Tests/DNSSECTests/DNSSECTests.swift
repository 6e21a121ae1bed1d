import DNSSEC
import DNSWire
import Foundation
import TestFixtures
import Testing

/// Canonical RRsets, RRSIGs made and checked with both algorithms, DS digests: against the RFCs'
/// own examples and an implementation we did not write (Python's `cryptography`).
struct DNSSECTests {
    static let apex = DNSName(stringLiteral: "example.com.")

    /// RFC 4034 5.4's key; its SHA-1 DS is in RFC 4034, its SHA-256 DS in RFC 4509 2.3.
    static let rfcKey = DNSKEYRecord(
        flags: 256, algorithm: 5,
        publicKey: [UInt8](
            Data(
                base64Encoded: "AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXd"
                    + "vxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==")!))

    @Test func theDSOfTheRFCKeyIsTheRFCs() {
        let owner = DNSName(stringLiteral: "DSKEY.example.com.")  // case must not matter
        let ds = DSDigest.ds(for: Self.rfcKey, owner: owner)
        #expect(ds.keyTag == 60485 && ds.algorithm == 5 && ds.digestType == 2)
        #expect(Presentation.hex(ds.digest) == "D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A")
        #expect(DSDigest.matches(ds, Self.rfcKey, owner: owner))
        var other = Self.rfcKey
        other.publicKey[10] ^= 1
        #expect(!DSDigest.matches(ds, other, owner: owner))
        #expect(!DSDigest.matches(ds, Self.rfcKey, owner: "other.example.com."))
    }

    @Test func anRRsetIsSortedDeduplicatedAndLowerCased() throws {
        let rrset = CanonicalRRset(
            owner: "WWW.Example.COM.", type: .ns,
            rdata: [.ns(NSRecord("NS2.example.com.")), .ns(NSRecord("ns1.EXAMPLE.com.")),
                    .ns(NSRecord("ns2.example.com."))])
        #expect(rrset.owner.description == "www.example.com.")
        #expect(rrset.rdatas.count == 2)
        #expect(rrset.rdatas[0] == Array("\u{3}ns1\u{7}example\u{3}com\u{0}".utf8))
        // NSEC's next name keeps its case (RFC 6840 5.1).
        let nsec = CanonicalRRset.canonicalRDATA(.nsec(NSECRecord(nextDomainName: "B.example.com.", types: TypeBitmap([.a]))))
        #expect(nsec.starts(with: Array("\u{1}B".utf8)))
    }

    @Test(arguments: DNSSECAlgorithm.allCases)
    func aSignatureVerifiesAndAnyChangeBreaksIt(algorithm: DNSSECAlgorithm) throws {
        let key = ZoneKey(generating: algorithm)
        let rrset = CanonicalRRset(
            owner: "entry.example.com.", type: .a, rdata: [.a(ARecord(192, 0, 2, 1)), .a(ARecord(192, 0, 2, 2))])
        let rrsig = try key.sign(rrset, originalTTL: 30, signer: Self.apex, inception: 1_000, expiration: 2_000)
        #expect(rrsig.labels == 3 && rrsig.keyTag == key.keyTag && rrsig.algorithm == algorithm.rawValue)
        #expect(rrsig.signature.count == 64)
        #expect(throws: Never.self) { try SignatureCheck.verify(rrsig, over: rrset, with: key.dnskey, now: 1_500).get() }
        // Another address, another TTL, another owner, another key, outside the window: each refused, with why.
        let swapped = CanonicalRRset(owner: "entry.example.com.", type: .a, rdata: [.a(ARecord(203, 0, 113, 9))])
        #expect(Self.why(rrsig, swapped, key.dnskey, 1_500) == "the signature does not verify")
        var longer = rrsig
        longer.originalTTL = 3600
        #expect(Self.why(longer, rrset, key.dnskey, 1_500) == "the signature does not verify")
        #expect(Self.why(rrsig, rrset, ZoneKey(generating: algorithm).dnskey, 1_500)?.contains("is not this DNSKEY") == true)
        #expect(Self.why(rrsig, rrset, key.dnskey, 2_001)?.hasPrefix("the signature expired") == true)
        #expect(Self.why(rrsig, rrset, key.dnskey, 999)?.hasPrefix("the signature is not valid yet") == true)
        let elsewhere = CanonicalRRset(owner: "entry.example.net.", type: .a, rdata: [.a(ARecord(192, 0, 2, 1))])
        #expect(Self.why(rrsig, elsewhere, key.dnskey, 1_500)?.contains("is not at or above") == true)
        // The private key read back signs as the same key.
        let again = try ZoneKey(algorithm: algorithm, privateKey: key.privateKey)
        #expect(again.dnskey == key.dnskey)
    }

    static func why(_ rrsig: RRSIGRecord, _ rrset: CanonicalRRset, _ key: DNSKEYRecord, _ now: UInt32) -> String? {
        if case .failure(let error) = SignatureCheck.verify(rrsig, over: rrset, with: key, now: now) {
            return error.description
        }
        return nil
    }

    /// A wildcard's RRSIG (labels 2) verifies over any name it expands to.
    @Test func aWildcardSignatureCoversItsExpansions() throws {
        let key = ZoneKey(generating: .ed25519)
        let wildcard = CanonicalRRset(owner: "*.example.com.", type: .txt, rdata: [.txt(TXTRecord("hello"))])
        let rrsig = try key.sign(wildcard, originalTTL: 60, signer: Self.apex, inception: 0, expiration: 10)
        #expect(rrsig.labels == 2)
        let expanded = CanonicalRRset(owner: "a.b.example.com.", type: .txt, rdata: [.txt(TXTRecord("hello"))])
        #expect(Self.why(rrsig, expanded, key.dnskey, 5) == nil)
    }

    /// Time runs in serial number arithmetic (RFC 1982): a window across 2106 still holds.
    @Test func theValidityWindowWrapsAround() throws {
        let key = ZoneKey(generating: .ecdsaP256SHA256)
        let rrset = CanonicalRRset(owner: "example.com.", type: .a, rdata: [.a(ARecord(192, 0, 2, 1))])
        let rrsig = try key.sign(rrset, originalTTL: 60, signer: Self.apex, inception: UInt32.max - 10, expiration: 20)
        #expect(Self.why(rrsig, rrset, key.dnskey, 5) == nil)
        #expect(Self.why(rrsig, rrset, key.dnskey, 30) != nil)
    }

    /// The signatures are the ones the RFCs define: Python's `cryptography` (OpenSSL) verifies
    /// them over the same signed data, P-256's r and s turned into DER as OpenSSL wants them.
    @Test(arguments: DNSSECAlgorithm.allCases)
    func anotherImplementationVerifiesOurSignatures(algorithm: DNSSECAlgorithm) throws {
        let key = ZoneKey(generating: algorithm)
        let rrset = CanonicalRRset(owner: "entry.example.com.", type: .a, rdata: [.a(ARecord(192, 0, 2, 7))])
        let rrsig = try key.sign(rrset, originalTTL: 30, signer: Self.apex, inception: 1, expiration: 2)
        let data = rrset.signedData(by: rrsig)
        let script = """
            import sys
            from cryptography.hazmat.primitives import hashes
            from cryptography.hazmat.primitives.asymmetric import ec, ed25519
            from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
            alg, key, sig, data = sys.argv[1], bytes.fromhex(sys.argv[2]), bytes.fromhex(sys.argv[3]), bytes.fromhex(sys.argv[4])
            if alg == "13":
                public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\\x04" + key)
                der = encode_dss_signature(int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big"))
                public.verify(der, data, ec.ECDSA(hashes.SHA256()))
            else:
                ed25519.Ed25519PublicKey.from_public_bytes(key).verify(sig, data)
            print("valid")
            """
        let arguments = [
            "python3", "-c", script, String(algorithm.rawValue), Presentation.hex(key.publicKey),
            Presentation.hex(rrsig.signature), Presentation.hex(data),
        ]
        let (status, text) = try ChildProcess.run("/usr/bin/env", arguments)
        #expect(status == 0 && text.contains("valid"), "\(text)")
    }
}

/// BIND's key files, written and read back.
struct KeyFileTests {
    @Test(arguments: DNSSECAlgorithm.allCases)
    func aKeyFilePairReadsBackAsTheSameKey(algorithm: DNSSECAlgorithm) throws {
        let key = ZoneKey(generating: algorithm, flags: 257)
        let file = KeyFile(zone: "Formation.Test.", key: key, created: 1_796_126_261)
        #expect(file.baseName.hasPrefix("Kformation.test.+0\(algorithm.rawValue)+"))
        #expect(file.privateText.contains("Created: 20261201115741"))
        let back = try KeyFile(publicText: file.publicText, privateText: file.privateText)
        #expect(back.key.dnskey == key.dnskey && back.created == 1_796_126_261 && back.zone == "formation.test.")
        // A .key that is not the .private's public half is refused.
        let other = KeyFile(zone: "formation.test.", key: ZoneKey(generating: algorithm, flags: 257), created: 0)
        #expect(throws: DNSSECError.self) { try KeyFile(publicText: other.publicText, privateText: file.privateText) }
        #expect(throws: DNSSECError.self) { try KeyFile(publicText: file.publicText, privateText: "garbage") }
        #expect(throws: DNSSECError.self) {
            try KeyFile(publicText: file.publicText, privateText: "Private-key-format: v1.3\nAlgorithm: 8 (RSASHA256)\n")
        }
    }
}
