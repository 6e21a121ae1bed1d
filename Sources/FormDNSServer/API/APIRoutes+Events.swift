import FormStore
import Foundation
import Hummingbird

extension APIRoutes {
    /// Filters `/v1/events` knows; any other query parameter is refused, so a misspelt filter is
    /// never silently ignored.
    static let eventFilters: Set = ["since", "until", "pool", "node", "kind", "limit"]

    /// The event history: what happened between two times, to a pool or node, of some kinds.
    func registerEvents(_ v1: RouterGroup<APIRequestContext>) {
        v1.get("events") { request, context in
            let caller = try Self.readable(context)
            var query = try Self.eventQuery(request.uri.queryParameters, now: Date())
            if !caller.pools.isEmpty {
                if let pool = query.pool, !caller.covers(pool: pool) {
                    throw Self.forbidden(caller, "may not see pool \(pool)")
                }
                query.pools = caller.pools
            }
            let store = try store
            let events = try stored { () throws(StoreError) in try store.events(query) }
            return APIJSON.response(["events": events.map(Self.eventJSON), "count": events.count])
        }
    }

    static func eventQuery(_ parameters: Parameters, now: Date) throws -> DNSEventQuery {
        var query = DNSEventQuery()
        for (key, _) in parameters where !eventFilters.contains(String(key)) {
            throw APIError(
                .badRequest, "unknown filter '\(key)'; events take \(eventFilters.sorted().joined(separator: ", "))")
        }
        func instant(_ key: String) throws -> Date? {
            guard let text = parameters.get(key) else { return nil }
            guard let date = Self.instant(text, now: now) else {
                throw APIError(
                    .badRequest,
                    "\(key) '\(text)' is not a time: give an age (30m, 2h, 7d), an RFC 3339 time or Unix seconds")
            }
            return date
        }
        query.since = try instant("since")
        query.until = try instant("until")
        if let since = query.since, let until = query.until, since > until {
            throw APIError(.badRequest, "since is after until")
        }
        query.pool = parameters.get("pool")
        query.node = parameters.get("node")
        if let kinds = parameters.get("kind") {
            for word in kinds.split(separator: ",", omittingEmptySubsequences: false) {
                guard let kind = DNSEvent.Kind(rawValue: String(word)) else {
                    let known = DNSEvent.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                    throw APIError(.badRequest, "unknown kind '\(word)'; kinds: \(known)")
                }
                query.kinds.insert(kind)
            }
        }
        if let text = parameters.get("limit") {
            guard let n = Int(text), (1...10_000).contains(n) else {
                throw APIError(.badRequest, "limit must be in 1...10000")
            }
            query.limit = n
        }
        return query
    }

    /// An age before `now` ("90s", "30m", "2h", "7d", "1w"), an RFC 3339 time, or Unix seconds.
    static func instant(_ text: String, now: Date) -> Date? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]
        if let unit = text.last.flatMap({ units[$0] }), let n = Double(text.dropLast()), n >= 0, n.isFinite,
            n * unit < 1e11
        {
            return now.addingTimeInterval(-n * unit)
        }
        if let seconds = Double(text), seconds >= 0, seconds < 253_402_300_800 {
            return Date(timeIntervalSince1970: seconds)
        }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)
    }

    static func eventJSON(_ e: DNSEvent) -> [String: Any] {
        var out: [String: Any] = [
            "id": e.id, "time": iso(e.time), "kind": e.kind.rawValue, "summary": e.summary, "detail": e.detail,
        ]
        if let pool = e.pool { out["pool"] = pool }
        if let node = e.node { out["node"] = node }
        return out
    }
}
