import Crypto
import Foundation
import NIOSSL

/// What makes an encrypted resolver's certificate acceptable: a chain to a trusted CA for the
/// server's name (or address), and, when pins are given, a public key among them.
public struct EncryptedDNSTrust: Sendable, Hashable {
    /// A PEM file of the CAs to trust; nil: the system's.
    public var caFile: String?
    /// Base64 SHA-256 digests of SubjectPublicKeyInfo (RFC 7469's pin-sha256, as stubby and
    /// kdig take them). With any, the server's key must match one, on top of the certificate
    /// being valid: a CA that issues a certificate for the name cannot stand in for the server.
    public var pins: [String] = []

    public init(caFile: String? = nil, pins: [String] = []) {
        self.caFile = caFile
        self.pins = pins
    }

    /// The TLS settings for `kind`: TLS 1.2 at least, full verification, ALPN "dot" or "h2".
    func configuration(for kind: EncryptedServer.Kind) -> TLSConfiguration {
        var c = TLSConfiguration.makeClientConfiguration()
        c.minimumTLSVersion = .tlsv12
        c.certificateVerification = .fullVerification
        if let caFile { c.trustRoots = .file(caFile) }
        c.applicationProtocols = kind == .tls ? ["dot"] : ["h2"]
        return c
    }

    /// The pin of a certificate's key: base64 of SHA-256 over its SubjectPublicKeyInfo.
    public static func pin(of certificate: NIOSSLCertificate) throws -> String {
        Data(SHA256.hash(data: try certificate.extractPublicKey().toSPKIBytes())).base64EncodedString()
    }

    /// Why a pin given by a user cannot be one, or nil.
    public static func problem(pin: String) -> String? {
        guard let bytes = Data(base64Encoded: pin), bytes.count == 32 else {
            return "'\(pin)' is not a base64 SHA-256 digest (44 characters ending in '=')"
        }
        return nil
    }
}
