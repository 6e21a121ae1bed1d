import Crypto
import DNSWire

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Checks an RRSIG over an RRset with a DNSKEY (RFC 4035 5.3): the fields must agree (algorithm,
/// key tag, covered type, signer at or above the owner, labels), the time must be within the
/// validity window, and the signature must verify. Each refusal says why, for the join client's
/// "bogus: ..." report.
public enum SignatureCheck {
    public static func verify(
        _ rrsig: RRSIGRecord, over rrset: CanonicalRRset, with key: DNSKEYRecord, now: UInt32
    ) -> Result<Void, DNSSECError> {
        guard let algorithm = DNSSECAlgorithm(rawValue: rrsig.algorithm) else {
            return .failure(DNSSECError("algorithm \(rrsig.algorithm) is not supported"))
        }
        guard key.algorithm == rrsig.algorithm, key.keyTag == rrsig.keyTag, key.protocolValue == 3,
            key.flags & DNSKEYRecord.zoneKeyFlag != 0
        else { return .failure(DNSSECError("the RRSIG's key (tag \(rrsig.keyTag)) is not this DNSKEY")) }
        guard rrsig.typeCovered == rrset.type else {
            return .failure(DNSSECError("the RRSIG covers \(rrsig.typeCovered), not \(rrset.type)"))
        }
        guard rrset.owner == rrsig.signerName || rrset.owner.isSubdomain(of: rrsig.signerName) else {
            return .failure(DNSSECError("signer \(rrsig.signerName) is not at or above \(rrset.owner)"))
        }
        guard rrsig.labels <= CanonicalRRset.labelCount(rrset.owner) else {
            return .failure(DNSSECError("the RRSIG has more labels than its owner"))
        }
        // Serial number arithmetic (RFC 1982): inception <= now <= expiration.
        guard Int32(bitPattern: now &- rrsig.inception) >= 0 else {
            return .failure(DNSSECError("the signature is not valid yet (inception \(rrsig.inception))"))
        }
        guard Int32(bitPattern: rrsig.expiration &- now) >= 0 else {
            return .failure(DNSSECError("the signature expired (expiration \(rrsig.expiration))"))
        }
        let data = rrset.signedData(by: rrsig)
        let valid: Bool
        switch algorithm {
        case .ecdsaP256SHA256:
            guard let publicKey = try? P256.Signing.PublicKey(rawRepresentation: key.publicKey),
                let signature = try? P256.Signing.ECDSASignature(rawRepresentation: rrsig.signature)
            else { return .failure(DNSSECError("malformed P-256 key or signature")) }
            valid = publicKey.isValidSignature(signature, for: data)
        case .ed25519:
            guard let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: key.publicKey),
                rrsig.signature.count == 64
            else { return .failure(DNSSECError("malformed Ed25519 key or signature")) }
            valid = publicKey.isValidSignature(rrsig.signature, for: data)
        }
        return valid ? .success(()) : .failure(DNSSECError("the signature does not verify"))
    }
}
