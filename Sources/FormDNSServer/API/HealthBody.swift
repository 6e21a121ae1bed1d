import FormAuthority
import FormStore

/// The body of `GET /v1/health` without a fleet: the health report, and beside its pools the
/// store's state (`{"writable": false, "problem": "..."}`), written in one pass.
struct HealthBody: Encodable {
    let report: HealthReport
    let store: Store?

    struct Store: Encodable {
        let writable: Bool
        let problem: String?

        init(_ store: any FormStore.Store) {
            problem = store.writeProblem
            writable = problem == nil
        }
    }

    private enum Keys: String, CodingKey {
        case store
    }

    func encode(to encoder: any Encoder) throws {
        try report.encode(to: encoder)
        var container = encoder.container(keyedBy: Keys.self)
        try container.encodeIfPresent(store, forKey: .store)
    }
}
