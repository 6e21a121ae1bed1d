import FormAuthority
import FormConfig
import FormControl
import FormStore
import Foundation
import Hummingbird

/// The `/v1` routes. Each checks the caller's rights before it looks anything up, so a refusal
/// says nothing about whether the target exists.
struct APIRoutes: Sendable {
    let deps: ManagementAPI.Dependencies

    init(_ deps: ManagementAPI.Dependencies) { self.deps = deps }

    func register(_ v1: RouterGroup<APIRequestContext>) {
        registerHealth(v1)
        registerPools(v1)
        registerZones(v1)
        registerVersions(v1)
        registerTokens(v1)
        registerChanges(v1)
        registerAudit(v1)
        registerEvents(v1)
    }

    // MARK: - What is needed

    var control: ControlPlane {
        get throws(APIError) {
            guard let c = deps.control else {
                throw APIError(
                    .conflict, "configuration changes need a configuration file (form-dns serve --config)",
                    code: "unavailable")
            }
            return c
        }
    }

    var store: any Store {
        get throws(APIError) {
            guard let s = deps.store else {
                throw APIError(.conflict, "this needs state_dir (a store)", code: "unavailable")
            }
            return s
        }
    }

    /// Runs a store call; a store failure is a 500 whose detail goes to the log only.
    func stored<T>(_ body: () throws(StoreError) -> T) throws -> T {
        do { return try body() } catch {
            deps.log("api: store: \(error)")
            throw APIError(.internalServerError, "the store cannot be read or written")
        }
    }

    // MARK: - Rights

    /// A caller who may read; `whole`: what is read spans the whole configuration (zones,
    /// versions, the export), which a token limited to pools may not see.
    static func readable(_ context: APIRequestContext, whole: Bool = false) throws -> APICaller {
        let caller = try context.who
        guard caller.mayRead else { throw forbidden(caller, "may only report its node") }
        if whole, !caller.pools.isEmpty { throw forbidden(caller, "is limited to pools \(caller.pools)") }
        return caller
    }

    static func mayChange(_ context: APIRequestContext, pool: String?) throws -> APICaller {
        let caller = try context.who
        if let pool, !caller.covers(pool: pool) { throw forbidden(caller, "may not see this pool") }
        guard caller.mayChange else { throw forbidden(caller, "may not change the configuration") }
        // Zones and whole-configuration changes are not one pool's: a pool-scoped token may not.
        if pool == nil, !caller.pools.isEmpty { throw forbidden(caller, "is limited to pools \(caller.pools)") }
        return caller
    }

    static func admin(_ context: APIRequestContext) throws -> APICaller {
        let caller = try context.who
        guard caller.role == .admin, caller.pools.isEmpty else { throw forbidden(caller, "is not an administrator") }
        return caller
    }

    static func forbidden(_ caller: APICaller, _ why: String) -> APIError {
        APIError(.forbidden, "token \(caller.id) (\(caller.role.rawValue)) \(why)")
    }

    // MARK: - Changes

    /// `?dry_run=true` and `?message=...`, as every change takes them.
    static func options(_ request: Request) throws -> (dryRun: Bool, message: String) {
        let dry = request.uri.queryParameters.get("dry_run") ?? "false"
        guard ["true", "false", "1", "0"].contains(dry) else {
            throw APIError(.badRequest, "dry_run must be true or false")
        }
        let message = request.uri.queryParameters.get("message") ?? ""
        guard message.count <= 1000 else { throw APIError(.badRequest, "message is longer than 1000 characters") }
        return (dry == "true" || dry == "1", message)
    }

    /// Makes a change through the control plane and answers with its outcome.
    func change(
        _ change: ConfigChange, _ request: Request, _ context: APIRequestContext, caller: APICaller
    ) async throws -> Response {
        let (dryRun, message) = try Self.options(request)
        let control = try control
        let outcome: ControlPlane.Outcome
        do { outcome = try await control.propose(change, author: caller.id, message: message, dryRun: dryRun) } catch {
            throw APIError(error)
        }
        return Self.respond(outcome, context)
    }

    static func respond(_ outcome: ControlPlane.Outcome, _ context: APIRequestContext) -> Response {
        if outcome.status != .dryRun {
            context.note.record(change: outcome.diff.filter { !$0.hasPrefix(" ") }.joined(separator: "\n"))
        }
        var body: [String: Any] = [
            "status": outcome.status.rawValue, "action": outcome.action, "diff": outcome.diff,
            "answers": outcome.answers.map(\.line), "restart_only": outcome.restartOnly,
        ]
        if let v = outcome.version { body["version"] = v }
        if let rule = outcome.approvalRule { body["approval_rule"] = rule.rawValue }
        if let pending = outcome.pending { body["change"] = pendingJSON(pending) }
        return APIJSON.response(body, status: outcome.status == .pending ? .accepted : .ok)
    }

    static func pendingJSON(_ c: PendingChange) -> [String: Any] {
        var body: [String: Any] = [
            "id": c.id, "created": iso(c.created), "expires": iso(c.expires), "author": c.author,
            "action": c.action, "message": c.message, "reason": c.reason, "status": c.status.rawValue,
        ]
        if let b = c.baseVersion { body["base_version"] = b }
        if let d = c.decidedBy { body["decided_by"] = d }
        if let d = c.decided { body["decided"] = iso(d) }
        return body
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }

    /// A request body that is one configuration mapping (a pool, a node, fields to change), read
    /// as a document so the schema's errors name its fields.
    static func document(_ request: Request) async throws -> ConfigNode {
        let text = try await APIJSON.text(request)
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            throw APIError(.badRequest, text.isEmpty ? "the body must be a JSON object" : "the body is not valid JSON")
        }
        guard parsed is [String: Any] else { throw APIError(.badRequest, "the body must be a JSON object") }
        do { return try ConfigDocument(parsing: text, source: "request body").root } catch {
            throw APIError(.badRequest, "the body is not valid JSON: \(error)")
        }
    }

}
