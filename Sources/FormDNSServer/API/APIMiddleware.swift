import FormAuthority
import FormStore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOSSL

/// Gives every request an ID (the client's `X-Request-ID` if it is short and plain, else a new
/// one) and returns it in the response, so a client's log line and the audit entry meet.
struct RequestIDMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    static let header = HTTPField.Name("X-Request-ID")!

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let given = request.headers[Self.header] ?? ""
        let sane =
            given.count <= 64 && !given.isEmpty
            && given.unicodeScalars.allSatisfy {
                $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0)
            }
        context.requestID = sane ? given : UUID().uuidString.lowercased()
        var response = try await next(request, context)
        response.headers[Self.header] = context.requestID
        return response
    }
}

/// Turns every error into the API's JSON error body: ours, Hummingbird's (no route, body too
/// large, ...) and anything unexpected (500, logged, with no detail for the client).
struct ErrorBodyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let log: @Sendable (String) -> Void

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message =
                switch error.status {
                case .notFound: "no such endpoint: \(request.method) \(request.uri.path)"
                case .contentTooLarge: "body larger than \(ManagementAPI.maxBodyBytes) bytes"
                case .methodNotAllowed: "\(request.method) is not allowed on \(request.uri.path)"
                default: error.body ?? error.status.reasonPhrase
                }
            return try APIError(error.status, message).response(from: request, context: context)
        } catch {
            log("api: \(context.requestID): \(LogText.escape("\(error)"))")
            return try APIError(.internalServerError, "internal error (request \(context.requestID))")
                .response(from: request, context: context)
        }
    }
}

/// Deny by default: the token (or the node certificate) proves a caller, or the request stops
/// here with 401, before its body is read. Routes decide what the caller may do (403).
struct APIAuthMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let access: APIAccess
    let audit: APIAuditTrail

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        let presented = request.headers[.authorization] ?? ""
        let clientNode = presented.isEmpty ? await Self.clientNode(context.channel) : nil
        guard let caller = access.caller(authorization: presented, clientNode: clientNode) else {
            let error = APIError(.unauthorized, "missing, unknown, expired or revoked token")
            audit.write(
                request, context, actor: presented.isEmpty ? "anonymous" : "unknown token", role: "",
                status: error.status, outcome: error.message, change: "")
            throw error
        }
        context.caller = caller
        return try await next(request, context)
    }

    /// The node a verified client certificate names (common name `POOL/NODE`), if any. NIOSSL has
    /// verified the chain against `client_ca_file` before any request is read.
    static func clientNode(_ channel: any Channel) async -> NodeKey? {
        let name = try? await channel.eventLoop.submit { () -> String? in
            let certificate = try? channel.pipeline.syncOperations.nioSSL_peerCertificate()
            return certificate?.subjectName.first(where: { $0.type == .commonName })?.value.description
        }.get()
        guard let name = name ?? nil else { return nil }
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        return NodeKey(pool: String(parts[0]), node: String(parts[1]))
    }
}

/// Writes an audit entry for every change attempted (any method but GET and HEAD; an accepted
/// health report is routine telemetry, not a change, and is left out) and every refusal (401,
/// 403), with the caller, its address, the request ID, the target, the change the
/// handler made (or the body it refused) and the outcome.
struct APIAuditMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let audit: APIAuditTrail

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let caller = try context.who
        let changing = request.method != .get && request.method != .head
        var request = request
        var body = ""
        if changing {
            // Read here (once, up to the limit) so the audit has what was asked even when refused.
            do { body = String(buffer: try await request.collectBody(upTo: ManagementAPI.maxBodyBytes)) } catch {
                let error = APIError(.contentTooLarge, "body larger than \(ManagementAPI.maxBodyBytes) bytes")
                audit.write(request, context, caller: caller, status: error.status, outcome: error.message, change: "")
                throw error
            }
        }
        do {
            let response = try await next(request, context)
            if changing, !context.note.content.withLock({ $0.routine }) {
                let change = context.note.content.withLock { $0.change } ?? body
                audit.write(request, context, caller: caller, status: response.status, outcome: "ok", change: change)
            }
            return response
        } catch let error as APIError {
            if changing || error.status == .forbidden {
                audit.write(
                    request, context, caller: caller, status: error.status, outcome: error.message, change: body)
            }
            throw error
        }
    }
}

/// Where audit entries go: the log (one escaped line) and the store's hash chain.
struct APIAuditTrail: Sendable {
    let log: @Sendable (String) -> Void
    let record: @Sendable (AuditEvent) -> Void

    func write(
        _ request: Request, _ context: APIRequestContext, caller: APICaller, status: HTTPResponse.Status,
        outcome: String, change: String
    ) {
        write(
            request, context, actor: caller.id, role: caller.role.rawValue, status: status, outcome: outcome,
            change: change)
    }

    func write(
        _ request: Request, _ context: APIRequestContext, actor: String, role: String, status: HTTPResponse.Status,
        outcome: String, change: String
    ) {
        let target = context.note.content.withLock { $0.target } ?? request.uri.path
        log(
            "audit: \(context.remote) \(actor) \(request.method) \(LogText.escape(request.uri.description)) -> "
                + "\(status.code) \(LogText.escape(outcome))")
        record(
            AuditEvent(
                actor: actor, role: role, remote: context.remote, requestID: context.requestID,
                action: "\(request.method) \(request.uri.path)", target: target, change: change,
                outcome: "\(status.code) \(outcome)"))
    }
}
