import Crypto
import DNSWire

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A zone's signing key: the private half, kept by form-dns in `state_dir`, and the DNSKEY that
/// publishes the public half. A CSK or a ZSK has flags 256 (zone key); a KSK 257 (zone key and
/// secure entry point, the key a DS points at).
public struct ZoneKey: Sendable {
    enum Secret: Sendable {
        case p256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    let secret: Secret
    public let flags: UInt16

    public var algorithm: DNSSECAlgorithm {
        switch secret {
        case .p256: return .ecdsaP256SHA256
        case .ed25519: return .ed25519
        }
    }

    /// A new random key.
    public init(generating algorithm: DNSSECAlgorithm, flags: UInt16 = 256) {
        switch algorithm {
        case .ecdsaP256SHA256: secret = .p256(P256.Signing.PrivateKey())
        case .ed25519: secret = .ed25519(Curve25519.Signing.PrivateKey())
        }
        self.flags = flags
    }

    /// A key from its private octets: P-256's 32-octet scalar, Ed25519's 32-octet seed.
    public init(algorithm: DNSSECAlgorithm, privateKey: [UInt8], flags: UInt16 = 256) throws(DNSSECError) {
        do {
            switch algorithm {
            case .ecdsaP256SHA256: secret = .p256(try P256.Signing.PrivateKey(rawRepresentation: privateKey))
            case .ed25519: secret = .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: privateKey))
            }
        } catch {
            throw DNSSECError("not a \(algorithm.mnemonic) private key: \(error)")
        }
        self.flags = flags
    }

    /// The private octets (for the key file; never logged, never served).
    public var privateKey: [UInt8] {
        switch secret {
        case .p256(let key): return [UInt8](key.rawRepresentation)
        case .ed25519(let key): return [UInt8](key.rawRepresentation)
        }
    }

    /// The public key as DNSKEY carries it: P-256's x and y (RFC 6605 4), Ed25519's 32 octets (RFC 8080 3).
    public var publicKey: [UInt8] {
        switch secret {
        case .p256(let key): return [UInt8](key.publicKey.rawRepresentation)
        case .ed25519(let key): return [UInt8](key.publicKey.rawRepresentation)
        }
    }

    public var dnskey: DNSKEYRecord {
        DNSKEYRecord(flags: flags, protocolValue: 3, algorithm: algorithm.rawValue, publicKey: publicKey)
    }

    public var keyTag: UInt16 { dnskey.keyTag }

    /// The signature over `data`: P-256's r and s (RFC 6605 4), Ed25519's 64 octets (RFC 8080 4).
    public func sign(_ data: [UInt8]) throws(DNSSECError) -> [UInt8] {
        do {
            switch secret {
            case .p256(let key): return [UInt8](try key.signature(for: data).rawRepresentation)
            case .ed25519(let key): return [UInt8](try key.signature(for: data))
            }
        } catch {
            throw DNSSECError("signing failed: \(error)")
        }
    }

    /// Signs `rrset` as this key: an RRSIG valid from `inception` to `expiration` (seconds since
    /// 1970), signed by `signer` (the zone's apex).
    public func sign(
        _ rrset: CanonicalRRset, originalTTL: UInt32, signer: DNSName, inception: UInt32, expiration: UInt32
    ) throws(DNSSECError) -> RRSIGRecord {
        var rrsig = RRSIGRecord(
            typeCovered: rrset.type, algorithm: algorithm.rawValue, labels: CanonicalRRset.labelCount(rrset.owner),
            originalTTL: originalTTL, expiration: expiration, inception: inception, keyTag: keyTag,
            signerName: signer, signature: [])
        rrsig.signature = try sign(rrset.signedData(by: rrsig))
        return rrsig
    }
}

/// Why a key, a signature or a record could not be used.
public struct DNSSECError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
