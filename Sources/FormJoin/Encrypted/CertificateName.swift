import NIOSSL
import X509

/// Whether a certificate is for a host name, by its subjectAltName DNS names alone (RFC 6125 6.4:
/// no common name, one wildcard at most, as the whole left-most label).
///
/// NIOSSL's own check also accepts a certificate that only carries the address connected to;
/// a resolver configured with a name (`tls://192.0.2.1#dns.example`) must be that name.
enum CertificateName {
    static func dnsNames(of certificate: NIOSSLCertificate) throws -> [String] {
        let parsed = try Certificate(derEncoded: try certificate.toDERBytes())
        guard let names = try parsed.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            if case .dnsName(let n) = name { return n }
            return nil
        }
    }

    static func matches(_ host: String, pattern: String) -> Bool {
        let host = host.lowercased().trimmingSuffix("."), pattern = pattern.lowercased().trimmingSuffix(".")
        guard pattern.hasPrefix("*.") else { return host == pattern }
        let suffix = pattern.dropFirst(1)  // ".example.com"
        guard host.hasSuffix(suffix), let firstDot = host.firstIndex(of: ".") else { return false }
        // The wildcard stands for exactly the first label, which must not be empty.
        return host[firstDot...] == suffix && firstDot != host.startIndex
    }
}

extension String {
    fileprivate func trimmingSuffix(_ s: String) -> String { hasSuffix(s) ? String(dropLast(s.count)) : self }
}
