import DNSWire
import FormAuthority

extension PoolHealthConfig.Check: CaseIterable {
    public static let allCases: [Self] = [.tcp, .http, .https, .dns, .none]
}

extension PoolHealthConfig {
    /// `pools[].health`: active checks, hysteresis, pushed reports and the TTL as health degrades.
    public static let schema = ConfigSection<PoolHealthConfig>(
        path: "pools[].health",
        summary: "Active checks of the pool's nodes, hysteresis, pushed reports, and the TTL as health degrades.",
        defaults: PoolHealthConfig(),
        rows: [
            .choice("check", \.check, "How nodes are checked (none: pushed reports alone decide)."),
            .integer("port", \.port, 1...65535, "The port checked."),
            .string("path", \.path, "For http and https: the path requested."),
            .integer(
                "expect_status", \.expectStatus, 100...599,
                "For http and https: the status that counts as up (default: any 2xx)."),
            .boolean(
                "tls_verify", \.tlsVerify,
                "For https: verify the certificate chain and name. Off proves only that something speaks TLS."),
            ConfigRow.value(
                "tls_ca_file", \.tlsCAFile, type: .path, "For https: PEM CA file to trust instead of the system's."
            ) { node, field, reader in
                reader.checkedPath(node, field, ReadableFile.problem)
            },
            .string(
                "tls_server_name", \.tlsServerName,
                "For https: the name the certificate must carry (default: the node's IP)."),
            ConfigRow.value(
                "query", \.query, type: ConfigParse.domainNameType,
                "For dns: the name asked (type A); NOERROR or NXDOMAIN counts as alive.",
                parse: ConfigParse.domainName),
            .integer("interval_ms", \.intervalMs, 50...3_600_000, "Time between checks of a node."),
            .integer("timeout_ms", \.timeoutMs, 10...60_000, "A check that takes longer fails (below interval_ms)."),
            .integer("rise", \.policy.rise, 1...100, "Successes in a row before a node counts as up."),
            .integer("fall", \.policy.fall, 1...100, "Failures in a row before a node counts as down."),
            ConfigRow.value(
                "unknown", \.policy.unknownAs, type: .choice(["healthy", "unhealthy"]),
                "How a node never checked yet (or with a stale report) is treated.", show: { $0.rawValue }
            ) { node, field, reader in reader.choice(node, field, ["healthy", "unhealthy"]).flatMap(HealthState.init) },
            .section("push", \.push, PushPolicy.schema),
            .integer("degraded_ttl", \.degradedTTL, 0...86400, "TTL while degraded or unknown nodes are answered."),
            .integer("min_ttl", \.minimumTTL, 0...86400, "The TTL floor during failover."),
        ],
        check: { health, context, reader in
            if health.timeoutMs >= health.intervalMs {
                reader.fail(context.node, context.field("timeout_ms"), "must be shorter than interval_ms")
            }
        })
}

extension PushPolicy {
    /// `pools[].health.push`: how reports the nodes push count.
    public static let schema = ConfigSection<PushPolicy>(
        path: "pools[].health.push", summary: "How the reports nodes push (POST /v1/health) count.",
        defaults: PushPolicy(),
        rows: [
            .number("stale_after_s", \.staleAfter, 1...86400, "A report older than this counts as unknown."),
            .sections("rules", \.rules, ThresholdRule.schema),
        ])
}

extension ThresholdRule {
    /// `pools[].health.push.rules[]`: a metric threshold that marks a node down or degraded.
    public static let schema = ConfigSection<ThresholdRule>(
        path: "pools[].health.push.rules[]",
        summary: "A pushed metric above a threshold (for a while) marks the node degraded or unhealthy.",
        defaults: ThresholdRule(metric: "", above: 0, forSeconds: 0, state: .degraded),
        rows: [
            ConfigRow.value("metric", \.metric, type: .text("metric name (a-z, 0-9, _)"), "The pushed metric.") {
                node, field, reader in
                guard let m = node.scalar?.text, MetricName.isValid(m) else {
                    reader.fail(node, field, MetricName.rule)
                    return nil
                }
                return m
            }.required(),
            ConfigRow.number("above", \.above, -1e12...1e12, "The threshold.").required(),
            .number("for_s", \.forSeconds, 0...86400, "How long the metric must stay above it."),
            ConfigRow.value(
                "state", \.state, type: .choice(["degraded", "unhealthy"]), "The state it implies.",
                show: { $0.rawValue }
            ) { node, field, reader in reader.choice(node, field, ["degraded", "unhealthy"]).flatMap(HealthState.init)
            },
        ])
}
