import Crypto
import DNSWire

/// The DS that points at a DNSKEY (RFC 4034 5.1.4): "digest = digest_algorithm( DNSKEY owner name
/// | DNSKEY RDATA)", the owner in canonical form; SHA-256 is digest type 2 (RFC 4509), SHA-384
/// type 4 (RFC 6605).
public enum DSDigest {
    public enum DigestType: UInt8, Sendable {
        case sha256 = 2
        case sha384 = 4
    }

    public static func ds(for key: DNSKEYRecord, owner: DNSName, digest type: DigestType = .sha256) -> DSRecord {
        var input = owner.lowercased.wire
        input += CanonicalRRset.canonicalRDATA(.dnskey(key))
        let digest: [UInt8]
        switch type {
        case .sha256: digest = Array(SHA256.hash(data: input))
        case .sha384: digest = Array(SHA384.hash(data: input))
        }
        return DSRecord(keyTag: key.keyTag, algorithm: key.algorithm, digestType: type.rawValue, digest: digest)
    }

    /// Whether `ds` points at `key` at `owner` (for a trust anchor or a parent's DS).
    public static func matches(_ ds: DSRecord, _ key: DNSKEYRecord, owner: DNSName) -> Bool {
        guard ds.keyTag == key.keyTag, ds.algorithm == key.algorithm,
            let type = DigestType(rawValue: ds.digestType)
        else { return false }
        return Self.ds(for: key, owner: owner, digest: type).digest == ds.digest
    }
}
