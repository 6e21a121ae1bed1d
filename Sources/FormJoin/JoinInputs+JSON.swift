import Foundation

extension JoinInputs {
    /// The options of a library call made through the C ABI (`formjoin_peers`, `formjoin_watch_start`):
    /// one JSON object whose keys are `JoinInputs`' fields in snake_case, and `"watch"`, an object of
    /// `WatchSettings`' fields. Absent keys keep their defaults. An unknown key, a value of the wrong
    /// type or out of range, or text that is not one JSON object is refused, naming the key: a typo
    /// must not silently leave a default in place.
    public static func parse(json: Data) throws(JoinError) -> (JoinInputs, WatchSettings) {
        let call: CallOptions
        do { call = try JSONDecoder().decode(CallOptions.self, from: json) } catch let error as JoinError {
            throw error
        } catch let DecodingError.typeMismatch(type, context) where !context.codingPath.isEmpty {
            throw .badInput("options: \(Self.path(context)): expected \(Self.kind(type))")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw .badInput("options: \(Self.path(context)): \(context.debugDescription)")
        } catch {
            throw .badInput("options: not one JSON object")
        }
        return (call.inputs, call.watch)
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is [String].Type, is [Any].Type: return "an array of strings"
        case is Int.Type, is UInt16.Type: return "an integer"
        case is Double.Type: return "a number"
        default: return "an object"
        }
    }
}

/// A JSON key of any name: the decoder sees every key given, so unknown ones can be refused.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// The C ABI's options object, decoded key by key.
struct CallOptions: Decodable {
    var inputs = JoinInputs()
    var watch = WatchSettings()

    static let keys: Set<String> = [
        "resolvers", "resolv_conf", "resolved_conf", "encrypted", "encrypted_only", "ca_file", "spki_pins",
        "timeout_ms", "attempts", "ecs", "fallback", "builtin", "cache",
        "no_cache", "race", "probe",
        "port", "probes", "deadline_ms", "max_peers", "trust_anchor", "bootstrap_key", "now", "watch",
    ]
    static let watchKeys: Set<String> = [
        "interval", "jitter", "switch_margin_ms", "switch_ratio", "min_resolve_interval", "retry_interval",
    ]

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        try Self.refuseUnknown(c, known: Self.keys, in: "options")
        func key(_ name: String) -> AnyKey { AnyKey(stringValue: name) }
        var i = JoinInputs()
        i.resolvers = try c.decodeIfPresent([String].self, forKey: key("resolvers")) ?? []
        i.resolvConf = try c.decodeIfPresent(String.self, forKey: key("resolv_conf")) ?? i.resolvConf
        i.resolvedConf = try c.decodeIfPresent(String.self, forKey: key("resolved_conf")) ?? i.resolvedConf
        i.encrypted = try c.decodeIfPresent([String].self, forKey: key("encrypted")) ?? []
        i.encryptedOnly = try c.decodeIfPresent(Bool.self, forKey: key("encrypted_only")) ?? false
        i.caFile = try c.decodeIfPresent(String.self, forKey: key("ca_file"))
        i.spkiPins = try c.decodeIfPresent([String].self, forKey: key("spki_pins")) ?? []
        i.timeoutMs = try c.decodeIfPresent(Int.self, forKey: key("timeout_ms"))
        i.attempts = try c.decodeIfPresent(Int.self, forKey: key("attempts"))
        i.ecs = try c.decodeIfPresent(String.self, forKey: key("ecs"))
        i.fallback = try c.decodeIfPresent(String.self, forKey: key("fallback"))
        i.builtIn = try c.decodeIfPresent(Bool.self, forKey: key("builtin")) ?? true
        i.cache = try c.decodeIfPresent(String.self, forKey: key("cache"))
        i.noCache = try c.decodeIfPresent(Bool.self, forKey: key("no_cache")) ?? false
        i.race = try c.decodeIfPresent(Bool.self, forKey: key("race")) ?? true
        if let probe = try c.decodeIfPresent(String.self, forKey: key("probe")) {
            guard let kind = ProbeKind(rawValue: probe) else {
                throw JoinError.badInput("options: probe: '\(probe)' is not tcp, http or ping")
            }
            i.probe = kind
        }
        if let port = try c.decodeIfPresent(Int.self, forKey: key("port")) {
            // Checked here: the decoder's own range error does not say which key it was.
            guard let valid = UInt16(exactly: port), valid > 0 else {
                throw JoinError.badInput("options: port: \(port) is not a port (1...65535)")
            }
            i.port = valid
        }
        i.probes = try c.decodeIfPresent(Int.self, forKey: key("probes")) ?? 3
        i.deadlineMs = try c.decodeIfPresent(Int.self, forKey: key("deadline_ms")) ?? 2000
        i.maxPeers = try c.decodeIfPresent(Int.self, forKey: key("max_peers")) ?? 5
        i.trustAnchor = try c.decodeIfPresent(String.self, forKey: key("trust_anchor"))
        i.bootstrapKey = try c.decodeIfPresent(String.self, forKey: key("bootstrap_key"))
        i.now = try c.decodeIfPresent(Double.self, forKey: key("now"))
        inputs = i
        if c.contains(key("watch")) {
            let w = try c.nestedContainer(keyedBy: AnyKey.self, forKey: key("watch"))
            try Self.refuseUnknown(w, known: Self.watchKeys, in: "options: watch")
            var s = WatchSettings()
            s.probeInterval = try w.decodeIfPresent(Double.self, forKey: key("interval")) ?? s.probeInterval
            s.jitter = try w.decodeIfPresent(Double.self, forKey: key("jitter")) ?? s.jitter
            s.hysteresis.marginMs =
                try w.decodeIfPresent(Double.self, forKey: key("switch_margin_ms")) ?? s.hysteresis.marginMs
            s.hysteresis.ratio = try w.decodeIfPresent(Double.self, forKey: key("switch_ratio")) ?? s.hysteresis.ratio
            s.minResolveInterval =
                try w.decodeIfPresent(Double.self, forKey: key("min_resolve_interval")) ?? s.minResolveInterval
            s.retryInterval = try w.decodeIfPresent(Double.self, forKey: key("retry_interval")) ?? s.retryInterval
            if let problem = s.problem { throw JoinError.badInput("options: watch: \(problem)") }
            watch = s
        }
    }

    static func refuseUnknown(_ c: KeyedDecodingContainer<AnyKey>, known: Set<String>, in place: String) throws {
        if let unknown = c.allKeys.map(\.stringValue).sorted().first(where: { !known.contains($0) }) {
            throw JoinError.badInput(
                "\(place): unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
        }
    }
}
