/// The label values a builder's counters are laid out by: zones, pools, their nodes and the
/// regions clients are placed in. All come from configuration, so every label set is bounded;
/// none is ever a client's address or subnet.
public struct MetricsLayout: Sendable, Equatable {
    public var zones: [String]
    public var pools: [String]
    /// Per pool, its node ids in configuration order (`GeoDecision` indexes them).
    public var nodes: [[String]]
    public var regions: [String]

    public init(zones: [String], pools: [String] = [], nodes: [[String]] = [], regions: [String] = ["unknown"]) {
        self.zones = zones
        self.pools = pools
        self.nodes = nodes
        self.regions = regions
    }

    /// The layout of what `builder` answers.
    public init(_ builder: ResponseBuilder) {
        let pools = builder.geo?.pools ?? []
        self.init(
            zones: builder.engine.zones.map(\.origin.description), pools: pools.map(\.name),
            nodes: pools.map { $0.nodes.map(\.id) }, regions: builder.geo?.regionNames ?? ["unknown"])
    }
}
