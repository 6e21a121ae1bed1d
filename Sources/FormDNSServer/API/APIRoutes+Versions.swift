import FormConfig
import FormControl
import FormStore
import Hummingbird

extension APIRoutes {
    /// Configuration versions: list, show, diff, roll back, and the running configuration.
    func registerVersions(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("versions") { request, context in
            _ = try Self.readable(context, whole: true)
            let limit = try Self.limit(request)
            let store = try store
            let list = try stored { () throws(StoreError) in try store.configVersions(limit: limit) }
            return APIJSON.response(["versions": list.map(Self.versionJSON)])
        }
        v1.get("versions/:id") { _, context in
            _ = try Self.readable(context, whole: true)
            let version = try version(context)
            var body = Self.versionJSON(version.summary)
            body["text"] = ConfigRedaction.redact(version.text)
            return APIJSON.response(body)
        }
        v1.get("versions/:id/diff") { request, context in
            _ = try Self.readable(context, whole: true)
            let from = try version(context)
            let toText: String, toID: Int?
            if let other = request.uri.queryParameters.get("to") {
                guard let id = Int(other) else { throw APIError(.badRequest, "to must be a version number") }
                (toText, toID) = (try version(id: id).text, id)
            } else {
                let running = await try control.running
                (toText, toID) = (running.text, running.version)
            }
            let diff = LineDiff.lines(from: from.text, to: toText).map(ConfigRedaction.redact(line:))
            var body: [String: Any] = ["from": from.id, "diff": diff]
            if let toID { body["to"] = toID }
            return APIJSON.response(body)
        }
        v1.post("versions/:id/rollback") { request, context in
            let caller = try Self.admin(context)
            guard let id = Int(try context.parameters.require("id")) else {
                throw APIError(.badRequest, "a version is a number")
            }
            let (dryRun, message) = try Self.options(request)
            let control = try control
            do {
                let outcome = try await control.rollback(to: id, author: caller.id, message: message, dryRun: dryRun)
                return Self.respond(outcome, context)
            } catch let error as ChangeError { throw APIError(error) }
        }
        v1.get("config") { _, context in
            _ = try Self.readable(context, whole: true)
            let running = await try control.running
            var body: [String: Any] = ["text": ConfigRedaction.redact(running.text)]
            if let v = running.version { body["version"] = v }
            return APIJSON.response(body)
        }
    }

    /// The version the path names.
    func version(_ context: APIRequestContext) throws -> ConfigVersion {
        guard let id = Int(try context.parameters.require("id")) else {
            throw APIError(.badRequest, "a version is a number")
        }
        return try version(id: id)
    }

    /// A stored version, or 404.
    func version(id: Int) throws -> ConfigVersion {
        let store = try store
        guard let v = try stored({ () throws(StoreError) in try store.configVersion(id: id) }) else {
            throw APIError(.notFound, "no version \(id)")
        }
        return v
    }

    static func versionJSON(_ v: ConfigVersion.Summary) -> [String: Any] {
        ["id": v.id, "created": iso(v.created), "author": v.author, "message": v.message]
    }

    static func limit(_ request: Request, default value: Int = 100) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return value }
        guard let n = Int(text), (1...1000).contains(n) else {
            throw APIError(.badRequest, "limit must be in 1...1000")
        }
        return n
    }
}
