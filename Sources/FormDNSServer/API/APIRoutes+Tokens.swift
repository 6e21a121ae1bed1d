import FormStore
import Foundation
import Hummingbird

extension APIRoutes {
    /// API tokens: an administrator's. A secret is shown once, in the answer that creates it.
    func registerTokens(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("tokens") { _, context in
            _ = try Self.admin(context)
            let store = try store
            let tokens = try stored { () throws(StoreError) in try store.tokens() }
            return APIJSON.response(["tokens": tokens.map(Self.tokenJSON)])
        }
        v1.post("tokens") { request, context in
            _ = try Self.admin(context)
            let object = try await APIJSON.object(request, allowed: ["role", "pools", "node", "label", "expires_in_s"])
            guard let role = try APIJSON.string(object, "role", required: true).flatMap(APIToken.Role.init) else {
                throw APIError(.badRequest, "role must be one of admin, operator, reader, reporter")
            }
            let pools = try APIJSON.strings(object, "pools") ?? []
            let label = try APIJSON.string(object, "label") ?? ""
            guard label.count <= 200 else { throw APIError(.badRequest, "label is longer than 200 characters") }
            let node = try APIJSON.string(object, "node").map { text in
                let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                    throw APIError(.badRequest, "node must be POOL/NODE")
                }
                return NodeKey(pool: parts[0], node: parts[1])
            }
            guard (role == .reporter) == (node != nil) else {
                throw APIError(.badRequest, "a reporter needs node (POOL/NODE), and only a reporter has one")
            }
            let expiry = try APIJSON.integer(object, "expires_in_s", 60...(10 * 365 * 86400))
            let (token, secret) = APIToken.make(
                role: role, pools: node.map { [$0.pool] } ?? pools, node: node, label: label,
                expires: expiry.map { Date().addingTimeInterval(Double($0)) })
            let store = try store
            try stored { () throws(StoreError) in try store.addToken(token) }
            context.note.record(
                target: "token \(token.id)",
                change: "role \(role.rawValue), pools \(token.pools), node \(node?.description ?? "-")")
            var body = Self.tokenJSON(token)
            body["secret"] = secret
            return APIJSON.response(body, status: .created)
        }
        v1.delete("tokens/:id") { _, context in
            _ = try Self.admin(context)
            let id = try context.parameters.require("id")
            let store = try store
            guard try stored({ () throws(StoreError) in try store.revokeToken(id: id) }) else {
                throw APIError(.notFound, "no token \(id) that is not already revoked")
            }
            context.note.record(target: "token \(id)", change: "revoked")
            return APIJSON.response(["id": id, "revoked": true])
        }
    }

    static func tokenJSON(_ t: APIToken) -> [String: Any] {
        var body: [String: Any] = [
            "id": t.id, "role": t.role.rawValue, "pools": t.pools, "label": t.label, "created": iso(t.created),
            "valid": t.isValid(),
        ]
        if let n = t.node { body["node"] = n.description }
        if let e = t.expires { body["expires"] = iso(e) }
        if let r = t.revoked { body["revoked"] = iso(r) }
        return body
    }
}
