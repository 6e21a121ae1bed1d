import FormConfig
import NIOSSL

extension ManagementTLS {
    /// The server's TLS context: TLS 1.2 or later; with a client CA, a client certificate it issued
    /// is required (names are not checked: the common name says which node, if any).
    public func serverContext() throws -> NIOSSLContext {
        try NIOSSLContext(configuration: serverConfiguration())
    }

    /// The same as a configuration (what the API's TLS channel takes); the files are read here.
    public func serverConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificateFile).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: keyFile, format: .pem)))
        configuration.minimumTLSVersion = .tlsv12
        if let clientCAFile {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(clientCAFile))
        }
        return configuration
    }
}
