import Crypto
import Foundation
import SwiftASN1
import X509

/// A CA kept as two PEM files in a directory: `ca.pem` (the certificate, to give to clients and to
/// `management.tls.client_ca_file`) and `ca-key.pem` (mode 0600, to issue with).
public struct CertificateAuthority {
    public let certificate: Certificate
    let key: P256.Signing.PrivateKey

    public static let certificateFile = "ca.pem"
    public static let keyFile = "ca-key.pem"

    /// Makes a new CA valid for `years` and writes it to `directory` (refusing to overwrite one).
    public static func create(in directory: String, name: String, years: Int = 10) throws(PKIError)
        -> CertificateAuthority
    {
        let key = P256.Signing.PrivateKey()
        let subject: DistinguishedName
        let certificate: Certificate
        do {
            subject = try DistinguishedName { CommonName(name) }
            let now = Date()
            certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(Double(years) * 365 * 86400), issuer: subject, subject: subject,
                signatureAlgorithm: .ecdsaWithSHA256,
                extensions: try Certificate.Extensions {
                    Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                    Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                },
                issuerPrivateKey: .init(key))
        } catch {
            throw PKIError("cannot make the CA certificate: \(error)")
        }
        let ca = CertificateAuthority(certificate: certificate, key: key)
        let certPath = Self.path(directory, certificateFile), keyPath = Self.path(directory, keyFile)
        guard !FileManager.default.fileExists(atPath: keyPath) else {
            throw PKIError("\(keyPath) exists already: a CA is not replaced by accident")
        }
        try PEMFile.write(try ca.certificatePEM(), to: certPath, mode: 0o644)
        try PEMFile.write(key.pemRepresentation, to: keyPath, mode: 0o600)
        return ca
    }

    /// Reads the CA in `directory`.
    public static func load(from directory: String) throws(PKIError) -> CertificateAuthority {
        let certificate = try PEMFile.certificate(Self.path(directory, certificateFile))
        let keyPath = Self.path(directory, keyFile)
        let key: P256.Signing.PrivateKey
        do { key = try P256.Signing.PrivateKey(pemRepresentation: try PEMFile.read(keyPath)) } catch let e as PKIError {
            throw e
        } catch {
            throw PKIError("\(keyPath) is not a P-256 private key in PEM: \(error)")
        }
        return CertificateAuthority(certificate: certificate, key: key)
    }

    /// What a certificate is for.
    public enum Purpose: Sendable {
        /// A server (the management API): its DNS names and IP addresses.
        case server(names: [String], addresses: [[UInt8]])
        /// A node reporting its health: the common name is `POOL/NODE`.
        case node(pool: String, node: String)
        /// Any other client (an operator's CLI under mutual TLS).
        case client(name: String)
    }

    /// Issues a certificate and key for `purpose`, valid for `days`; returns both as PEM.
    public func issue(_ purpose: Purpose, days: Int = 365) throws(PKIError) -> (certificate: String, key: String) {
        let key = P256.Signing.PrivateKey()
        do {
            let commonName: String
            var alternativeNames: [GeneralName] = []
            let usage: ExtendedKeyUsage.Usage
            switch purpose {
            case .server(let names, let addresses):
                commonName =
                    names.first ?? addresses.first.map { $0.map(String.init).joined(separator: ".") } ?? "server"
                alternativeNames =
                    names.map { .dnsName($0) } + addresses.map { .ipAddress(ASN1OctetString(contentBytes: $0[...])) }
                usage = .serverAuth
            case .node(let pool, let node):
                commonName = "\(pool)/\(node)"
                usage = .clientAuth
            case .client(let name):
                commonName = name
                usage = .clientAuth
            }
            let subject = try DistinguishedName { CommonName(commonName) }
            let now = Date()
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                if !alternativeNames.isEmpty { SubjectAlternativeNames(alternativeNames) }
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(key.publicKey),
                notValidBefore: now.addingTimeInterval(-300),
                notValidAfter: now.addingTimeInterval(Double(days) * 86400),
                issuer: self.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: .init(self.key))
            return (try certificate.serializeAsPEM().pemString, key.pemRepresentation)
        } catch {
            throw PKIError("cannot issue the certificate: \(error)")
        }
    }

    func certificatePEM() throws(PKIError) -> String {
        do { return try certificate.serializeAsPEM().pemString } catch {
            throw PKIError("cannot encode the CA certificate: \(error)")
        }
    }

    static func path(_ directory: String, _ file: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + file
    }
}

/// A PKI problem, with the file it concerns.
public struct PKIError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
