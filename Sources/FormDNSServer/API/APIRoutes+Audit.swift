import FormStore
import Hummingbird

extension APIRoutes {
    /// The audit chain: read it page by page, and verify it.
    func registerAudit(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("audit") { request, context in
            _ = try Self.admin(context)
            let limit = try Self.limit(request)
            let after =
                try request.uri.queryParameters.get("after").map { text in
                    guard let n = Int(text), n >= 0 else {
                        throw APIError(.badRequest, "after must be a sequence number")
                    }
                    return n
                } ?? 0
            let store = try store
            let entries = try stored { () throws(StoreError) in try store.auditEntries(after: after, limit: limit) }
            return APIJSON.response(["entries": entries.map(Self.auditJSON)])
        }
        v1.get("audit/verify") { _, context in
            _ = try Self.admin(context)
            let store = try store
            switch try stored({ () throws(StoreError) in try store.verifyAudit() }) {
            case .intact(let entries, let head):
                return APIJSON.response(["intact": true, "entries": entries, "head": head])
            case .broken(let problem):
                return APIJSON.response(["intact": false, "problem": "\(problem)"])
            }
        }
    }

    static func auditJSON(_ e: AuditEntry) -> [String: Any] {
        [
            "sequence": e.sequence, "time": iso(e.event.time), "actor": e.event.actor, "role": e.event.role,
            "remote": e.event.remote, "request_id": e.event.requestID, "action": e.event.action,
            "target": e.event.target, "change": e.event.change, "outcome": e.event.outcome,
            "previous_hash": e.previousHash, "hash": e.hash,
        ]
    }
}
