import FormAuthority
import GeoIP

/// What a change does to answers: for each pool and each region its nodes are in, the nodes a
/// client at the region's centre gets before and after (as `form-dns explain` would rank them,
/// every node counted healthy). Shown by `--dry-run` next to the text diff.
public enum AnswerPreview {
    public struct Change: Sendable, Hashable {
        public var pool: String
        public var region: String
        public var before: [String]
        public var after: [String]

        public var line: String {
            "\(pool) @ \(region): \(Self.list(before)) -> \(Self.list(after))"
        }

        static func list(_ ids: [String]) -> String { ids.isEmpty ? "(none)" : ids.joined(separator: ", ") }
    }

    public static func changes(from old: [GeoPool], to new: [GeoPool]) -> [Change] {
        var out: [Change] = []
        let names = old.map(\.name) + new.map(\.name).filter { n in !old.contains { $0.name == n } }
        for name in names {
            let before = old.first { $0.name == name }, after = new.first { $0.name == name }
            let regions = Set(((before?.nodes ?? []) + (after?.nodes ?? [])).compactMap(\.location.region))
            for region in regions.sorted() {
                // One location for both sides: the region's centre as it was (or as it will be, if new).
                let centre =
                    before.flatMap { GeoSelector.centroid(of: region, in: $0) }
                    ?? after.flatMap { GeoSelector.centroid(of: region, in: $0) }
                let a = before.map { answers($0, client: centre) } ?? []
                let b = after.map { answers($0, client: centre) } ?? []
                if a != b { out.append(Change(pool: name, region: region, before: a, after: b)) }
            }
        }
        return out
    }

    static func answers(_ pool: GeoPool, client: GeoLocation?) -> [String] {
        let ranked = GeoSelector.rank(pool, client: client, cellKey: 0)
        return GeoSelector.select(ranked, ipv6: false, maxAnswers: pool.policy.maxAnswers).map(\.id)
    }
}
