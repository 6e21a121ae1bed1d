import FormAuthority
import GeoIP
import Testing

/// Hand-computed rankings. The client sits at (0, 0); nodes lie on the equator, so their distance
/// is longitude x 111.195 km (2 pi x 6371.0088 km / 360).
@Suite struct GeoSelectorTests {
    let client = GeoLocation(latitude: 0, longitude: 0, country: "GH", region: "af-west")
    let km: Double = 111.1951

    func node(_ id: String, lon: Double, weight: Double = 1, country: String = "XX", region: String = "r", enabled: Bool = true) -> PoolNode {
        PoolNode(id: id, ipv4: [127, 0, 0, UInt8(lon)], location: GeoLocation(latitude: 0, longitude: lon, country: country, region: region),
                 weight: weight, enabled: enabled)
    }

    /// a: 1 deg (111 km), weight 1; b: 2 deg (222 km), weight 3; c: 5 deg (556 km), weight 1.
    var nodes: [PoolNode] { [node("a", lon: 1), node("b", lon: 2, weight: 3), node("c", lon: 5)] }

    func order(_ policy: SelectionPolicy, nodes: [PoolNode]? = nil, client: GeoLocation? = nil) -> [String] {
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: nodes ?? self.nodes, policy: policy)
        return GeoSelector.rank(pool, client: client ?? self.client, cellKey: 42).map(\.node.id)
    }

    func costs(_ policy: SelectionPolicy) -> [String: Double] {
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: nodes, policy: policy)
        return Dictionary(uniqueKeysWithValues: GeoSelector.rank(pool, client: client, cellKey: 42).map { ($0.node.id, $0.cost) })
    }

    @Test func linear() {
        // a: 111.2 + 1 = 112.2; b: (222.4 + 1) / 3 = 74.5; c: 556.0 + 1 = 557.0
        let c = costs(SelectionPolicy(strategy: .linear))
        #expect(abs(c["a"]! - 112.195) < 0.01 && abs(c["b"]! - 74.463) < 0.01 && abs(c["c"]! - 556.98) < 0.02)
        #expect(order(SelectionPolicy(strategy: .linear)) == ["b", "a", "c"])
    }

    @Test func quadratic() {
        // a: 111.2^2 + 1 = 12365; b: (222.4^2 + 1) / 3 = 16486; c: 556^2 + 1 = 309110
        let c = costs(SelectionPolicy(strategy: .quadratic))
        #expect(abs(c["a"]! - 12365.35) < 1 && abs(c["b"]! - 16486.13) < 1 && abs(c["c"]! - 309109.6) < 1)
        #expect(order(SelectionPolicy(strategy: .quadratic)) == ["a", "b", "c"])
    }

    @Test func logarithmic() {
        // a: ln(112.2) + 1 = 5.7202; b: (ln(223.4) + 1) / 3 = 2.1363; c: ln(557.0) + 1 = 7.3225
        let c = costs(SelectionPolicy(strategy: .logarithmic))
        #expect(abs(c["a"]! - 5.7202) < 0.001 && abs(c["b"]! - 2.1363) < 0.001 && abs(c["c"]! - 7.3225) < 0.001)
        #expect(order(SelectionPolicy(strategy: .logarithmic)) == ["b", "a", "c"])
    }

    @Test func stepped() {
        // Bands < 150 km: 0, < 400 km: 1, beyond: 2. a: (0 + 1) = 1; b: (1 + 1) / 3 = 0.667; c: 3.
        let policy = SelectionPolicy(strategy: .stepped(bandsKm: [150, 400]))
        #expect(costs(policy) == ["a": 1, "b": 2.0 / 3.0, "c": 3])
        #expect(order(policy) == ["b", "a", "c"])
        // With equal weights, a and b fall in different bands: a first.
        #expect(order(policy, nodes: [node("a", lon: 1), node("b", lon: 2), node("c", lon: 5)]) == ["a", "b", "c"])
    }

    @Test func countryBias() {
        // c is in the client's country: linear 557.0 x 0.1 = 55.7 beats b (74.5) and a (112.2).
        let biased = [node("a", lon: 1), node("b", lon: 2, weight: 3), node("c", lon: 5, country: "GH")]
        #expect(order(SelectionPolicy(strategy: .linear, countryBias: 0.1), nodes: biased) == ["c", "b", "a"])
        // 0.2 x 557.0 = 111.4: between b (74.5) and a (112.2).
        #expect(order(SelectionPolicy(strategy: .linear, countryBias: 0.2), nodes: biased) == ["b", "c", "a"])
    }

    @Test func regionBias() {
        // a is in the client's region: 112.2 x 0.5 = 56.1 < b's 74.5.
        let biased = [node("a", lon: 1, region: "af-west"), node("b", lon: 2, weight: 3), node("c", lon: 5)]
        #expect(order(SelectionPolicy(strategy: .linear, regionBias: 0.5), nodes: biased) == ["a", "b", "c"])
        // Both biases multiply: c with country 0.5 and region 0.5 -> 557 x 0.25 = 139.2, still after a.
        let both = [node("a", lon: 1), node("b", lon: 2, weight: 3), node("c", lon: 5, country: "GH", region: "af-west")]
        #expect(order(SelectionPolicy(strategy: .linear, countryBias: 0.5, regionBias: 0.5), nodes: both) == ["b", "a", "c"])
        #expect(order(SelectionPolicy(strategy: .linear, countryBias: 0.1, regionBias: 0.5), nodes: both) == ["c", "b", "a"])
    }

    @Test func maxAnswersAndDisabledNodes() {
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: [node("a", lon: 1), node("b", lon: 2, enabled: false), node("c", lon: 5)],
                           policy: SelectionPolicy(maxAnswers: 1))
        let ranked = GeoSelector.rank(pool, client: client, cellKey: 1)
        #expect(ranked.map(\.verdict) == [.selected(rank: 1), .belowCut(rank: 2), .disabled])
        #expect(GeoSelector.select(ranked, ipv6: false, maxAnswers: 1).map(\.id) == ["a"])
        #expect(GeoSelector.select(ranked, ipv6: true, maxAnswers: 1).isEmpty)
    }

    @Test func familySelectionSkipsNodesWithoutThatFamily() {
        var v6 = node("v6", lon: 9)
        v6.ipv6 = [UInt8](repeating: 0xfd, count: 16)
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: [node("a", lon: 1), v6], policy: SelectionPolicy(maxAnswers: 1))
        let ranked = GeoSelector.rank(pool, client: client, cellKey: 1)
        #expect(GeoSelector.select(ranked, ipv6: true, maxAnswers: 1).map(\.id) == ["v6"])
    }

    @Test func tieBreakIsStablePerSubnetAndSpreadsAcrossSubnets() {
        // Four identical nodes: cost cannot decide.
        let same = (1...4).map { node("n\($0)", lon: 3) }
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: same, policy: SelectionPolicy(maxAnswers: 1))
        let first = GeoSelector.rank(pool, client: client, cellKey: 7).map(\.node.id)
        for _ in 0..<5 { #expect(GeoSelector.rank(pool, client: client, cellKey: 7).map(\.node.id) == first) }
        var winners = Set<String>()
        for key in 0..<200 { winners.insert(GeoSelector.rank(pool, client: client, cellKey: UInt64(key) &* 0x9E3779B97F4A7C15).first!.node.id) }
        #expect(winners.count == 4)
    }

    @Test func unknownClientRanksByWeight() {
        let pool = GeoPool(name: "p", names: ["p.test."], nodes: nodes, policy: SelectionPolicy())
        #expect(GeoSelector.rank(pool, client: nil, cellKey: 1).first?.node.id == "b")
    }
}
