// FormPKI: a small certificate authority for operators without a PKI (`form-dns pki`), and the
// checks that make a bad or expired certificate a clear error at start instead of a failed
// handshake later.
//
// Lives here: making a CA, issuing server certificates (names and IP addresses) and node client
// certificates (whose common name, `POOL/NODE`, names the node a reporter speaks for), reading
// and checking PEM files. Keys are ECDSA P-256 (swift-crypto), certificates X.509 v3
// (swift-certificates).
//
// Must not live here: TLS itself (NIOSSL in the server and the CLI), deciding what a certificate
// may do (the API's access rules).
