/// The DNSSEC signing algorithms form-dns signs and validates with (IANA "DNS Security Algorithm
/// Numbers"). RSA and the SHA-1 algorithms are left out: RFC 8624 says not to sign with them.
public enum DNSSECAlgorithm: UInt8, Sendable, CaseIterable {
    /// ECDSA on P-256 with SHA-256 (RFC 6605): 64-octet keys (x, y) and signatures (r, s).
    case ecdsaP256SHA256 = 13
    /// Ed25519 (RFC 8080): 32-octet keys, 64-octet signatures.
    case ed25519 = 15

    /// The mnemonic of the registry (as `dnssec.algorithm` is written and BIND key files name it).
    public var mnemonic: String {
        switch self {
        case .ecdsaP256SHA256: return "ECDSAP256SHA256"
        case .ed25519: return "ED25519"
        }
    }

    public init?(mnemonic: String) {
        guard let found = Self.allCases.first(where: { $0.mnemonic == mnemonic.uppercased() }) else { return nil }
        self = found
    }
}
