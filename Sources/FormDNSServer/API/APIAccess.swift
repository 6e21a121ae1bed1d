import FormConfig
import FormStore

/// Who may call the management API, and as what. Deny by default: a request needs a bearer
/// token that is the configured `management.token` (an administrator) or a valid token of the
/// store (`form-dns token create`); only with neither configured is the API open, and then it
/// may listen on loopback alone (checked at start).
public struct APIAccess: Sendable {
    /// `management.token`, `token_file` or `$FORM_DNS_API_TOKEN`.
    public let configuredToken: String?
    /// Looks a store token up by id (nil: no store).
    public let lookup: (@Sendable (String) -> APIToken?)?

    public init(configuredToken: String?, lookup: (@Sendable (String) -> APIToken?)?) {
        self.configuredToken = configuredToken
        self.lookup = lookup
    }

    public var isOpen: Bool { configuredToken == nil && lookup == nil }

    /// The caller an `Authorization` header proves, or nil (401). Without a header, a verified
    /// client certificate naming a node (`clientNode`) is that node's reporter.
    func caller(authorization: String, clientNode: NodeKey? = nil) -> APICaller? {
        if isOpen { return APICaller(id: "anonymous (loopback, no token)", role: .admin, pools: [], node: nil) }
        if authorization.isEmpty, let clientNode {
            return APICaller(id: "cert:\(clientNode)", role: .reporter, pools: [clientNode.pool], node: clientNode)
        }
        let bearer = "Bearer "
        guard authorization.hasPrefix(bearer) else { return nil }
        let secret = String(authorization.dropFirst(bearer.count))
        if let configuredToken, ManagementToken.matches(Array(secret.utf8), Array(configuredToken.utf8)) {
            return APICaller(id: "management.token", role: .admin, pools: [], node: nil)
        }
        guard let lookup, let id = APIToken.id(ofSecret: secret), let token = lookup(id), token.isValid(),
            token.matches(secret: secret)
        else { return nil }
        return APICaller(id: token.id, role: token.role, pools: token.pools, node: token.node)
    }
}

/// An authenticated caller and what it may do.
struct APICaller: Sendable {
    let id: String
    let role: APIToken.Role
    /// Pools it may see and change; empty: all.
    let pools: [String]
    /// For a reporter: the one node it speaks for.
    let node: NodeKey?

    func covers(pool: String) -> Bool {
        if let node { return node.pool == pool }
        return pools.isEmpty || pools.contains(pool)
    }

    var mayRead: Bool { role != .reporter }
    var mayChange: Bool { role == .admin || role == .operator }
}
