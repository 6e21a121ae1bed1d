import Foundation
import NIOCore
import NIOSSL
import NIOTLS

/// Sits behind the TLS handler and opens the connection for queries only once the handshake is
/// done, the certificate verified (by NIOSSL), the key pinned (if pins are given) and the ALPN
/// agreed: nothing of a query, not even its name, is written to a server that fails any of them.
final class TLSGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    typealias InboundOut = NIOAny

    let server: String
    /// The name the certificate must carry (checked here again: see `CertificateName`).
    let serverName: String?
    let pins: [String]
    let requiredALPN: String?
    let ready: EventLoopPromise<Void>

    init(server: String, serverName: String?, pins: [String], requiredALPN: String?, ready: EventLoopPromise<Void>) {
        self.server = server
        self.serverName = serverName
        self.pins = pins
        self.requiredALPN = requiredALPN
        self.ready = ready
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted(let alpn) = event {
            if let problem = check(context: context, alpn: alpn) {
                ready.fail(problem)
                context.close(promise: nil)
            } else {
                ready.succeed(())
            }
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func check(context: ChannelHandlerContext, alpn: String?) -> EncryptedDNSError? {
        if let requiredALPN, alpn != requiredALPN { return .noHTTP2(server, alpn) }
        guard serverName != nil || !pins.isEmpty else { return nil }
        let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self)
        guard let certificate = tls?.peerCertificate else { return .handshake(server, "no certificate") }
        if let serverName {
            let names = (try? CertificateName.dnsNames(of: certificate)) ?? []
            guard names.contains(where: { CertificateName.matches(serverName, pattern: $0) }) else {
                return .handshake(
                    server, "the certificate is not for \(serverName) (its names: \(names.joined(separator: ", ")))")
            }
        }
        guard !pins.isEmpty else { return nil }
        guard let pin = try? EncryptedDNSTrust.pin(of: certificate) else {
            return .handshake(server, "the certificate's key cannot be read to check the pins")
        }
        // Compared as digests, not text: another base64 spelling of the same 32 octets matches.
        let digests = Set(pins.compactMap { Data(base64Encoded: $0) })
        return Data(base64Encoded: pin).map(digests.contains) == true ? nil : .pinMismatch(server, found: pin)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ready.fail(EncryptedDNSError.handshake(server, Self.describe(error)))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        ready.fail(EncryptedDNSError.closed(server))
        context.fireChannelInactive()
    }

    /// NIOSSL's errors in words a person can act on: BoringSSL's reason, not its file and line.
    static func describe(_ error: any Error) -> String {
        let text: String
        if let ssl = error as? NIOSSLError, case .handshakeFailed(let e) = ssl {
            text = "\(e)"
        } else {
            text = "\(error)"
        }
        if text.contains("CERTIFICATE_VERIFY_FAILED") {
            return "CERTIFICATE_VERIFY_FAILED: the certificate is not from a trusted CA (--ca-file), has expired, "
                + "or is not for the name or address asked"
        }
        // "error:1000007d:SSL routines:OPENSSL_internal:REASON at file:line" -> REASON
        if let marker = text.range(of: "OPENSSL_internal:") {
            return String(text[marker.upperBound...].prefix { $0 != " " && $0 != "]" })
        }
        return text
    }
}
