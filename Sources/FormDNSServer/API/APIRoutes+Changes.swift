import FormConfig
import FormControl
import FormStore
import Hummingbird

extension APIRoutes {
    /// Changes waiting for a second administrator: list, show, approve, reject.
    func registerChanges(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("changes") { request, context in
            _ = try Self.admin(context)
            let limit = try Self.limit(request)
            do {
                let list = try await control.changes(limit: limit)
                return APIJSON.response(["changes": list.map(Self.pendingJSON)])
            } catch let error as ChangeError { throw APIError(error) }
        }
        v1.get("changes/:id") { _, context in
            _ = try Self.admin(context)
            let id = try context.parameters.require("id")
            do {
                guard let change = try await control.change(id: id) else {
                    throw APIError(.notFound, "no change \(id)")
                }
                var body = Self.pendingJSON(change)
                if change.baseVersion != nil {
                    body["diff"] = LineDiff.lines(from: await try control.running.text, to: change.payload)
                        .map(ConfigRedaction.redact(line:))
                }
                return APIJSON.response(body)
            } catch let error as ChangeError { throw APIError(error) }
        }
        v1.post("changes/:id/approve") { _, context in
            let caller = try Self.admin(context)
            let id = try context.parameters.require("id")
            context.note.record(target: "change \(id)", change: "approve")
            let control = try control
            do {
                let outcome = try await control.approve(id: id, by: caller.id)
                context.note.record(target: "change \(id)", change: "approved: \(outcome.action)")
                return Self.respond(outcome, context)
            } catch let error as ChangeError { throw APIError(error) }
        }
        v1.post("changes/:id/reject") { _, context in
            let caller = try Self.admin(context)
            let id = try context.parameters.require("id")
            context.note.record(target: "change \(id)", change: "reject")
            let control = try control
            do {
                let change = try await control.reject(id: id, by: caller.id)
                return APIJSON.response(Self.pendingJSON(change))
            } catch let error as ChangeError { throw APIError(error) }
        }
    }
}
