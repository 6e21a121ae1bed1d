/// DNSSEC's cryptography on top of the wire codec (RFC 4033-4035): the canonical form of an RRset
/// and what an RRSIG signs (RFC 4034 section 6 and 3.1.8.1), zone keys for the two algorithms
/// form-dns offers (ECDSAP256SHA256, RFC 6605; ED25519, RFC 8080) through swift-crypto, signing
/// and verifying RRSIGs, and DS digests (RFC 4034 section 5.1.4, RFC 4509).
///
/// Pure values and functions: no I/O, no clock (times are passed in). Shared by the authority,
/// which signs, and the join client, which validates.
enum DNSSEC {}
