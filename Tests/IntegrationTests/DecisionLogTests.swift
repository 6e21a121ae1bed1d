import DNSWire
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The decision log: sampled GeoDNS decisions and every event, as JSON lines in a file.
@Suite(.serialized) struct DecisionLogTests {
    static func lines(_ path: String) -> [[String: Any]] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
        }
    }

    @Test func decisionsAndEventsAreJSONLines() throws {
        let dir = Harness.tempDirectory()
        try """
            listen: ["127.0.0.1:0"]
            server: {workers: 1}   # one answer cache: the three queries cannot land on two
            zones: [{origin: formation.test, file: \(Harness.packageRoot)/Fixtures/demo/formation.test.zone}]
            decision_log: {sample_rate: 1, file: decisions.jsonl}
            pools:
              - name: entry
                names: [entry.formation.test]
                ttl: 30
                policy: {max_answers: 2}
                health: {check: none}
                nodes:
                  - {id: ams, ipv4: 127.0.0.71, latitude: 52.4, longitude: 4.9, region: eu-west}
                  - {id: nyc, ipv4: 127.0.0.72, latitude: 40.7, longitude: -74.0, region: us-east}
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        defer { dns.stop() }
        let ecs = EDNS(options: [
            .clientSubnet(ClientSubnet(family: .ipv4, fullAddress: [198, 51, 100, 0], sourcePrefixLength: 24)!)
        ])
        for _ in 0..<3 { _ = try WireClient.udp(wire("entry.formation.test.", .a, edns: ecs), port: dns.udpPort) }
        dns.signal(SIGHUP)
        try waitFor { Self.lines(dir + "/decisions.jsonl").contains { ($0["kind"] as? String) == "reload" } }
        let lines = Self.lines(dir + "/decisions.jsonl")
        let decisions = lines.filter { ($0["message"] as? String) == "geo decision" }
        // Three queries from one network: one fresh decision, then cache hits (not decisions).
        #expect(decisions.count == 1, "\(lines)")
        let d = try #require(decisions.first)
        #expect(d["pool"] as? String == "entry")
        #expect(d["label"] as? String == "form-dns.decisions" && d["level"] as? String == "info")
        #expect((d["located_by"] as? String)?.hasPrefix("ecs ") == true)
        // A network the answer holds for: with no database and no map, everyone gets the same.
        #expect(d["client_network"] as? String == "0.0.0.0/0")
        #expect(Set(d["ipv4_nodes"] as? [String] ?? []) == ["ams", "nyc"])
        #expect(d["ttl"] as? Int == 30)
        #expect(["nearest", "bias", "default-location"].contains(d["reason"] as? String ?? ""))
        let candidates = d["candidates"] as? [[String: Any]] ?? []
        #expect(Set(candidates.compactMap { $0["node"] as? String }) == ["ams", "nyc"])
        #expect(candidates.allSatisfy { $0["cost"] is Double || $0["cost"] is Int })
        #expect(lines.contains { ($0["kind"] as? String) == "reload" && ($0["result"] as? String) == "unchanged" })
        // Every line is one object with a time.
        #expect(lines.allSatisfy { ($0["time"] as? String)?.hasSuffix("Z") == true })
    }
}
