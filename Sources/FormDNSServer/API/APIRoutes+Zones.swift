import DNSWire
import DNSZone
import FormConfig
import FormControl
import Hummingbird

extension APIRoutes {
    /// Zones and their records. Adding and removing zones is an administrator's; records, an
    /// operator's too (unless limited to pools).
    func registerZones(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("zones") { _, context in
            _ = try Self.readable(context, whole: true)
            let zones = try await runningZones().map { z -> [String: Any] in
                ["origin": z.origin.description, "records": (try? records(of: z).count) ?? 0]
            }
            return APIJSON.response(["zones": zones])
        }
        v1.post("zones") { request, context in
            let caller = try Self.admin(context)
            let object = try await APIJSON.object(request, allowed: ["origin", "content"])
            let origin = try APIJSON.string(object, "origin", required: true)!
            let content = try APIJSON.string(object, "content", required: true)!
            return try await change(.addZone(origin: origin, content: content), request, context, caller: caller)
        }
        v1.delete("zones/:zone") { request, context in
            let caller = try Self.admin(context)
            return try await change(
                .removeZone(origin: try context.parameters.require("zone")), request, context, caller: caller)
        }
        v1.get("zones/:zone/records") { request, context in
            _ = try Self.readable(context, whole: true)
            let zone = try await runningZone(context)
            let name = try request.uri.queryParameters.get("name").map { text in
                guard let n = try? DNSName(parsing: text, origin: zone.origin) else {
                    throw APIError(.badRequest, "name is not a domain name")
                }
                return n
            }
            let list = try records(of: zone).filter { name == nil || $0.name == name }.map { r -> [String: Any] in
                ["name": r.name.description, "ttl": Int(r.ttl), "type": r.type.description, "data": r.data.description]
            }
            return APIJSON.response(["zone": zone.origin.description, "records": list])
        }
        v1.post("zones/:zone/records") { request, context in
            let caller = try Self.mayChange(context, pool: nil)
            let object = try await APIJSON.object(request, allowed: ["records"])
            guard let lines = try APIJSON.strings(object, "records"), !lines.isEmpty, lines.count <= 1000 else {
                throw APIError(.badRequest, "records must be a list of 1 to 1000 records in master-file syntax")
            }
            let zone = try context.parameters.require("zone")
            return try await change(.addRecords(zone: zone, records: lines), request, context, caller: caller)
        }
        v1.delete("zones/:zone/records") { request, context in
            let caller = try Self.mayChange(context, pool: nil)
            let query = request.uri.queryParameters
            guard let name = query.get("name") else { throw APIError(.badRequest, "name is required") }
            let zone = try context.parameters.require("zone")
            return try await change(
                .removeRecords(zone: zone, name: name, type: query.get("type"), data: query.get("data")), request,
                context,
                caller: caller)
        }
    }

    func runningZones() async throws -> [ZoneConfig] {
        guard let control = deps.control else { return [] }
        return await control.running.config.zones
    }

    func runningZone(_ context: APIRequestContext) async throws -> ZoneConfig {
        let text = try context.parameters.require("zone")
        guard let origin = try? DNSName(parsing: text, origin: .root) else {
            throw APIError(.badRequest, "'\(text)' is not a domain name")
        }
        guard let zone = try await runningZones().first(where: { $0.origin == origin }) else {
            throw APIError(.notFound, "no zone \(origin)")
        }
        return zone
    }

    func records(of zone: ZoneConfig) throws -> [DNSResourceRecord] {
        guard let text = zone.content else { return [] }
        do { return try ZoneText(origin: zone.origin, text: text, name: zone.textName).records().map(\.record) } catch {
            throw APIError(error)
        }
    }
}
