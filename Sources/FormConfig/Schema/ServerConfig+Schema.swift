import DNSWire
import FormAuthority

extension ServerConfig {
    /// The whole of form-dns.yaml.
    public static let schema = ConfigSection<ServerConfig>(
        path: "form-dns.yaml", summary: "The top level of the configuration file.", defaults: ServerConfig(),
        rows: [
            ConfigRow.value(
                "listen", \.listen, type: .list(ConfigParse.listenType), applies: .restart,
                "Addresses served over UDP and TCP (one address may be given without a list)."
            ) { node, field, reader in
                let items = node.list ?? [node]
                guard !items.isEmpty else {
                    reader.fail(node, field, "needs at least one address")
                    return nil
                }
                let before = reader.errors.count
                let addresses = items.compactMap { ConfigParse.listenAddress($0, field, &reader) }
                return reader.errors.count == before ? addresses : nil
            },
            .section("server", \.self, serverSchema),
            .sections("zones", \.zones, ZoneConfig.schema),
            .section("geoip", \.geo, GeoConfig.schema),
            .sections("pools", \.geo.pools, GeoPool.schema, lines: \ServerConfig.geo.poolLines),
            .section("management", \.self, managementSchema),
            .sections("update_keys", \.updateKeys, UpdateKey.schema),
            .section("events", \.self, eventsSchema),
            .section("decision_log", \.self, decisionLogSchema),
            .section("alerts", \.alerts, AlertSettings.schema),
            .section("fleet", FleetSettings.schema) { config, fleet in config.fleet = fleet },
            .section("catalog", CatalogSettings.schema) { config, catalog in config.catalog = catalog },
            .section("rate_limit", \.rateLimit, RateLimitSettings.schema),
            .section("cookies", \.cookies, CookieSettings.schema),
            ConfigRow.value(
                "state_dir", \.stateDirectory, type: .path, applies: .restart,
                "Where configuration versions, the audit chain, overrides and last health states are kept "
                    + "(an SQLite file; the folder is created, mode 0700). Left out: nothing is kept."
            ) { node, field, reader in reader.path(node, field).map(Optional.some) },
        ],
        check: { config, context, reader in
            if config.zones.isEmpty, !context.has("zones") { reader.fail(context.node, "zones", "no zones configured") }
            var seen: Set<DNSName> = []
            for (i, zone) in config.zones.enumerated() where !seen.insert(zone.origin).inserted {
                reader.fail(zone.declaredAt.line, "zones[\(i)].origin", "zone \(zone.origin) is declared twice")
            }
            var keys: Set<DNSName> = []
            for (i, key) in config.updateKeys.enumerated() where !keys.insert(key.name).inserted {
                reader.fail(context.line("update_keys"), "update_keys[\(i)].name", "key \(key.name) is given twice")
            }
            if let catalog = config.catalog {
                if config.zones.contains(where: { $0.origin == catalog.origin }) {
                    reader.fail(
                        context.line("catalog"), "catalog.origin",
                        "\(catalog.origin) is a zone served here: name "
                            + "the catalog apart (e.g. catalog.\(config.zones.first?.origin.description ?? "example."))"
                    )
                }
                for (k, key) in catalog.transfer.keys.enumerated() where !keys.contains(key) {
                    reader.fail(
                        context.line("catalog"), "catalog.transfer.keys[\(k)]", "no key \(key) in update_keys")
                }
            }
            for (i, zone) in config.zones.enumerated() {
                for (k, key) in (zone.transfer?.keys ?? []).enumerated() where !keys.contains(key) {
                    reader.fail(
                        zone.declaredAt.line, "zones[\(i)].transfer.keys[\(k)]",
                        "no key \(key) in update_keys (a key for transfers only may have names: [])")
                }
            }
        })

    /// `server`: threads, sockets and TCP protections.
    static let serverSchema = ConfigSection<ServerConfig>(
        path: "server", summary: "Threads, sockets and the TCP protections.", defaults: ServerConfig(),
        rows: [
            .integer(
                "workers", \.workers, 1...64, applies: .restart,
                "UDP threads per address, each with its own SO_REUSEPORT socket."),
            .choice(
                "cpu_affinity", \.cpuAffinity, applies: .restart,
                "auto: one worker pinned per CPU, datagrams steered to the worker on their CPU, when workers "
                    + "equals the CPUs the process may use; off: the kernel's hash spreads them."),
            .integer(
                "health_check_threads", \.healthCheckThreads, 1...64, applies: .restart,
                "Threads the active health checks run on, apart from DNS: this many epoll loops for TCP "
                    + "checks and as many event loops for DNS and HTTP checks. One loop checks 10,000 nodes a "
                    + "second by TCP at half a core (Benchmarks/checker-scale)."),
            .integer(
                "udp_payload_size", \.udpPayloadSize, 512...4096,
                "Our EDNS buffer size (RFC 6891) and the cap on UDP responses."),
            .integer(
                "tcp_idle_timeout_ms", \.tcpIdleTimeoutMilliseconds, 100...600_000, applies: .restart,
                "A TCP connection with no query in progress is closed after this (RFC 7766 section 6.2.3)."),
            .integer(
                "tcp_max_connections", \.tcpMaxConnections, 1...1_000_000, applies: .restart,
                "TCP connections held at once; more are refused."),
            .integer(
                "tcp_max_connections_per_client", \.tcpMaxConnectionsPerClient, 1...1_000_000, applies: .restart,
                "TCP connections one client address may hold at once."),
            .integer(
                "tcp_message_timeout_ms", \.tcpMessageTimeoutMilliseconds, 100...600_000, applies: .restart,
                "A query that has started arriving must be complete within this, however often bytes come."),
            ConfigRow.value(
                "query_metrics", \.queryMetrics, type: .boolean, applies: .restart,
                "Count every query for /metrics (false: the per-query series are left out; to measure their cost)."
            ) { node, field, reader in reader.boolean(node, field) },
        ])

    /// `events`: the event history kept in the store.
    static let eventsSchema = ConfigSection<ServerConfig>(
        path: "events",
        summary: "The event history in state_dir: health transitions, overrides, changes, reloads, fail-open, "
            + "spill-over.",
        defaults: ServerConfig(),
        rows: [
            ConfigRow.integer(
                "retention_days", \.eventRetentionDays, 1...3650, "Events older than this many days are dropped.")
        ])

    /// `decision_log`: GeoDNS decisions, sampled, and every event, as JSON lines.
    static let decisionLogSchema = ConfigSection<ServerConfig>(
        path: "decision_log",
        summary: "GeoDNS decisions (sampled) and events (all) as JSON lines, through swift-log.",
        defaults: ServerConfig(),
        rows: [
            ConfigRow.number(
                "sample_rate", \.decisionLogSampleRate, 0...1,
                "The share of fresh GeoDNS decisions written (0: none; events are written whenever the log is on)."),
            ConfigRow.value(
                "file", \.decisionLogFile, type: .path, applies: .restart,
                "Append the lines to this file (mode 0600) instead of standard output."
            ) { node, field, reader in reader.path(node, field).map(Optional.some) },
        ])

    /// `management`: the HTTP API's listener and bearer token.
    static let managementSchema = ConfigSection<ServerConfig>(
        path: "management", summary: "The management API: where it listens and the token it requires.",
        defaults: ServerConfig(),
        rows: [
            ConfigRow.value(
                "listen", \.managementListen, type: ConfigParse.listenType, applies: .restart,
                "The API's address (not served when left out)."
            ) { node, field, reader in ConfigParse.listenAddress(node, field, &reader).map(Optional.some) },
            ConfigRow.value(
                "token", \.managementToken, type: .text("secret, \(ManagementToken.minimumLength)+ characters"),
                applies: .restart, "The bearer token (or $FORM_DNS_API_TOKEN).", show: { _ in nil }
            ) { node, field, reader in
                guard let t = node.scalar?.text, ManagementToken.isAcceptable(t) else {
                    reader.fail(node, field, ManagementToken.rule)
                    return nil
                }
                return t
            },
            .section("tls", ManagementTLS.schema) { config, tls in config.managementTLS = tls },
            ConfigRow.list(
                "approvals", \.approvalRules,
                of: .choice(ApprovalRule.allCases.map(\.rawValue)),
                "Changes that wait for a second admin token's approval; [] applies every change at once."
            ) { node, field, reader in
                reader.choice(node, field, ApprovalRule.allCases.map(\.rawValue)).flatMap(ApprovalRule.init)
            },
            ConfigRow.integer(
                "approval_expiry_s", \.approvalExpirySeconds, 60...604_800,
                "A change waiting for approval is dropped after this many seconds."),
            ConfigRow.boolean(
                "metrics_open", \.metricsOpen,
                "Serve /metrics without a token (counts and states only: no addresses, no configuration)."),
            ConfigRow(
                name: "token_file", type: .path, summary: "A file holding the token (its first line).",
                applies: .restart
            ) { node, config, field, reader in
                guard let path = reader.path(node, field) else { return }
                switch ManagementToken.read(file: path) {
                case .success(let t): config.managementToken = t
                case .failure(let why): reader.fail(node, field, why.message)
                }
            },
        ],
        check: { _, context, reader in
            if context.has("token"), context.has("token_file") {
                reader.fail(
                    context.line("token_file"), context.field("token_file"), "give token or token_file, not both")
            }
        })
}
