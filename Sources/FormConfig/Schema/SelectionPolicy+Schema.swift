import FormAuthority
import GeoIP

extension SelectionPolicy {
    static let strategyNames = ["linear", "quadratic", "logarithmic", "stepped"]
    static let steppedRule = "stepped needs steps_km: an ascending list of band limits in km"

    /// `pools[].policy`: how distance, biases and health rank the nodes.
    public static let schema = ConfigSection<SelectionPolicy>(
        path: "pools[].policy", summary: "How distance, weights, biases and health rank a pool's nodes.",
        defaults: SelectionPolicy(),
        rows: [
            ConfigRow.value(
                "strategy", \.strategy, type: .choice(strategyNames),
                "How distance becomes cost: d, d squared, ln(1 + d), or the index of the distance band (steps_km).",
                show: { $0.name }
            ) { node, field, reader in
                switch reader.choice(node, field, strategyNames) {
                case "linear": return .linear
                case "quadratic": return .quadratic
                case "logarithmic": return .logarithmic
                case "stepped": return .stepped(bandsKm: [])
                default: return nil
                }
            },
            ConfigRow(
                name: "steps_km", type: .list(.number(0...40_075)),
                summary: "For strategy stepped: the ascending upper limits of the distance bands, in km."
            ) { node, policy, field, reader in
                guard case .stepped = policy.strategy else {
                    reader.fail(node, field, "is only read with strategy: stepped")
                    return
                }
                let before = reader.errors.count
                let steps = reader.list(node, field).enumerated().compactMap {
                    reader.number($1, "\(field)[\($0)]", 0...40_075)
                }
                guard reader.errors.count == before else { return }
                guard !steps.isEmpty, zip(steps, steps.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    reader.fail(node, field, steppedRule)
                    return
                }
                policy.strategy = .stepped(bandsKm: steps)
            },
            .number("country_bias", \.countryBias, 0.001...1000, "Cost factor for nodes in the client's country."),
            .number("region_bias", \.regionBias, 0.001...1000, "Cost factor for nodes in the client's region."),
            .integer("max_answers", \.maxAnswers, 1...64, "Nodes per answer."),
            .number(
                "degraded_penalty", \.degradedPenalty, 1...1_000_000,
                "Cost factor for degraded nodes (ranked after healthy ones at similar distance)."),
            .boolean("fail_open", \.failOpen, "When every node is down, answer the best-ranked ones anyway."),
            .number(
                "region_spill_threshold", \.regionSpillThreshold, 0...1,
                "When less than this share of a region's nodes is up, its clients spill to other regions (0: off)."),
            .number("spill_penalty", \.spillPenalty, 1...1e12, "Cost factor for the survivors of a spilling region."),
            ConfigRow.value(
                "default_region", \.defaultLocation, type: .string,
                "Clients nobody locates are placed at the centre of this region's nodes.", show: { _ in nil }
            ) { node, field, reader in reader.string(node, field).map { .region($0) } },
            .section("default_location", GeoLocation.coordinateSchema) { policy, location in
                policy.defaultLocation = .coordinate(location)
            },
        ],
        check: { _, context, reader in
            if context.has("default_region"), context.has("default_location") {
                reader.fail(
                    context.line("default_location"), context.field("default_location"),
                    "give default_location or default_region, not both")
            }
            if context.node["strategy"]?.scalar?.text == "stepped", !context.has("steps_km") {
                reader.fail(context.line("strategy"), context.field("steps_km"), steppedRule)
            }
        })
}
