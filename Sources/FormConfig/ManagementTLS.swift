/// The management API's TLS files (PEM). With `clientCAFile`, every client must present a
/// certificate that CA issued (mutual TLS); a node certificate's common name `POOL/NODE` lets it
/// report that node's health without a token.
public struct ManagementTLS: Sendable, Hashable {
    public var certificateFile: String = ""
    public var keyFile: String = ""
    public var clientCAFile: String? = nil

    public init() {}
}
