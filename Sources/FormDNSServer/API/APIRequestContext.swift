import Hummingbird
import NIOCore
import Synchronization

/// What one API request carries besides the request: the connection (its remote address and TLS
/// peer), the request ID, the authenticated caller, and what the handler changed (for the audit).
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel
    /// The client's `X-Request-ID` when it is sane, else one made here; echoed in every response.
    public var requestID = ""
    /// Set by `APIAuthMiddleware` before any route runs.
    var caller: APICaller?
    /// Filled by handlers, read by `APIAuditMiddleware` once the handler is done (a reference,
    /// because contexts are passed down by value).
    let note = AuditNote()

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    public var maxUploadSize: Int { ManagementAPI.maxBodyBytes }

    var remote: String { channel.remoteAddress?.description ?? "?" }

    /// The caller; routes only run behind `APIAuthMiddleware`, which sets it or refuses.
    var who: APICaller {
        get throws(APIError) {
            guard let caller else { throw APIError(.unauthorized, "missing, unknown, expired or revoked token") }
            return caller
        }
    }
}

/// A handler's account of what it changed: the target and a before/after diff.
final class AuditNote: Sendable {
    struct Content {
        var target: String?
        var change: String?
        /// Routine telemetry (a node's health report): audited when refused, not when accepted,
        /// or 100,000 reports a minute would bury the changes in the chain.
        var routine = false
    }

    let content = Mutex(Content())

    func markRoutine() { content.withLock { $0.routine = true } }

    func record(target: String? = nil, change: String?) {
        content.withLock { c in
            if let target { c.target = target }
            c.change = change
        }
    }
}
