import FormPKI

extension ManagementTLS {
    /// `management.tls`: the API over TLS, optionally with client certificates.
    public static let schema = ConfigSection<ManagementTLS>(
        path: "management.tls",
        summary: "TLS for the management API (swift-nio-ssl); with client_ca_file, mutual TLS.",
        defaults: ManagementTLS(),
        rows: [
            ConfigRow.value(
                "cert_file", \.certificateFile, type: .path, applies: .restart,
                "The server certificate chain (PEM); checked at load: readable, valid now."
            ) { node, field, reader in certificate(node, field, &reader) }.required(),
            ConfigRow.value(
                "key_file", \.keyFile, type: .path, applies: .restart, "The server's private key (PEM)."
            ) { node, field, reader in reader.checkedPath(node, field, ReadableFile.problem) }.required(),
            ConfigRow.value(
                "client_ca_file", \.clientCAFile, type: .path, applies: .restart,
                "Require client certificates issued by this CA (PEM); a node certificate (CN POOL/NODE) may "
                    + "report that node without a token."
            ) { node, field, reader in certificate(node, field, &reader).map(Optional.some) },
        ])

    /// A path to a certificate that can be used now; otherwise why not, at the key's line.
    @Sendable static func certificate(_ node: ConfigNode, _ field: String, _ reader: inout ConfigReader) -> String? {
        reader.checkedPath(node, field) { PEMFile.problem(certificate: $0) }
    }
}
