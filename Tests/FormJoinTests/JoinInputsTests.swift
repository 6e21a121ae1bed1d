import Foundation
import Testing

@testable import FormJoin

/// The C ABI's options object: every key read, anything unknown or mistyped refused by name.
@Suite struct JoinInputsTests {
    func parse(_ json: String) throws(JoinError) -> (JoinInputs, WatchSettings) {
        try JoinInputs.parse(json: Data(json.utf8))
    }

    func refusal(_ json: String) -> String? {
        do {
            _ = try parse(json)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func anEmptyObjectKeepsEveryDefault() throws {
        let (inputs, watch) = try parse("{}")
        #expect(inputs == JoinInputs())
        #expect(watch == WatchSettings())
    }

    @Test func everyKeyIsRead() throws {
        let (inputs, watch) = try parse(
            """
            {"resolvers": ["127.0.0.1:5300", "[::1]:53"], "timeout_ms": 300, "attempts": 2, "ecs": "198.51.100.0/24",
             "fallback": "/x/list.json", "builtin": false, "cache": "/x/peers.json", "no_cache": true, "race": false,
             "probe": "ping", "port": 4000, "probes": 2, "deadline_ms": 900, "max_peers": 3,
             "trust_anchor": "/x/anchor", "bootstrap_key": "/x/key", "now": 1700000000.5,
             "watch": {"interval": 5, "jitter": 0.2, "switch_margin_ms": 20, "switch_ratio": 0.5,
                       "min_resolve_interval": 1, "retry_interval": 0.5}}
            """)
        #expect(inputs.resolvers == ["127.0.0.1:5300", "[::1]:53"] && inputs.timeoutMs == 300 && inputs.attempts == 2)
        #expect(inputs.ecs == "198.51.100.0/24" && inputs.fallback == "/x/list.json" && !inputs.builtIn)
        #expect(inputs.cache == "/x/peers.json" && inputs.noCache && !inputs.race && inputs.probe == .ping)
        #expect(inputs.port == 4000 && inputs.probes == 2 && inputs.deadlineMs == 900 && inputs.maxPeers == 3)
        #expect(inputs.trustAnchor == "/x/anchor" && inputs.bootstrapKey == "/x/key" && inputs.now == 1_700_000_000.5)
        #expect(watch.probeInterval == 5 && watch.jitter == 0.2 && watch.minResolveInterval == 1)
        #expect(watch.hysteresis == Hysteresis(marginMs: 20, ratio: 0.5) && watch.retryInterval == 0.5)
    }

    @Test func mistakesAreRefusedByName() {
        #expect(refusal("{\"probez\": 3}")?.hasPrefix("options: unknown key 'probez'") == true)
        #expect(refusal("{\"watch\": {\"intervall\": 3}}")?.hasPrefix("options: watch: unknown key 'intervall'") == true)
        #expect(refusal("{\"probes\": \"3\"}") == "options: probes: expected an integer")
        #expect(refusal("{\"resolvers\": \"127.0.0.1\"}") == "options: resolvers: expected an array of strings")
        #expect(refusal("{\"no_cache\": 1}") == "options: no_cache: expected true or false")
        #expect(refusal("{\"port\": 70000}") == "options: port: 70000 is not a port (1...65535)")
        #expect(refusal("{\"port\": 0}") == "options: port: 0 is not a port (1...65535)")
        #expect(refusal("{\"probe\": \"icmp\"}") == "options: probe: 'icmp' is not tcp, http or ping")
        #expect(refusal("{\"watch\": {\"switch_ratio\": 2}}") == "options: watch: switch ratio must be above 0, at most 1")
        #expect(refusal("[1, 2]") == "options: not one JSON object")
        #expect(refusal("{\"probes\": 3") == "options: not one JSON object")
        #expect(refusal("") == "options: not one JSON object")
    }

    @Test func valuesAreCheckedWhenTheOptionsAreMade() {
        var inputs = JoinInputs()
        inputs.probes = 0
        #expect(throws: JoinError.badInput("probes must be in 1...10")) { try inputs.options(name: "a.test") }
        #expect(throws: JoinError.badInput("--probes must be in 1...10")) {
            try inputs.options(name: "a.test", spelling: .flag)
        }
        inputs = JoinInputs()
        inputs.resolvers = ["nowhere"]
        #expect(throws: JoinError.badInput("--resolver 'nowhere' is not an address like 127.0.0.1:5300")) {
            try inputs.options(name: "a.test", spelling: .flag)
        }
        inputs = JoinInputs()
        inputs.resolvers = ["127.0.0.1:5300"]
        inputs.ecs = "198.51.100.0"
        #expect(throws: JoinError.badInput("ecs '198.51.100.0' must be ADDRESS/PREFIX")) {
            try inputs.options(name: "a.test")
        }
    }
}
