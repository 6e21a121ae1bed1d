import FormAuthority

extension FleetSettings {
    /// `fleet`: several authorities answering as one.
    public static let schema = ConfigSection<FleetSettings>(
        path: "fleet",
        summary: "Several authorities answering as one: configuration versions, tokens, the audit chain, approvals, "
            + "overrides, events and health views shared in PostgreSQL; a node is taken out only when a quorum of "
            + "authorities sees it down. These keys (and listen, workers, state_dir, management, decision_log.file) "
            + "are this authority's own: versions stored by others never change them.",
        defaults: FleetSettings(),
        rows: [
            ConfigRow.value(
                "store", \.store, type: .text("postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]"),
                applies: .restart,
                "The shared PostgreSQL database (sslmode: disable, prefer (default), require, verify-full).",
                show: { _ in nil }
            ) { node, field, reader in
                guard let text = reader.string(node, field) else { return nil }
                switch PostgresLocation.parse(text) {
                case .success(let location): return location
                case .failure(let problem):
                    reader.fail(node, field, problem.message)
                    return nil
                }
            }.required(),
            ConfigRow.value(
                "password_file", \.passwordFile, type: .path, applies: .restart,
                "A file whose first line is the database password (else the URI's, or $PGPASSWORD)."
            ) { node, field, reader in reader.path(node, field).map(Optional.some) },
            ConfigRow.value(
                "authority", \.authority, type: .string, applies: .restart,
                "This authority's name among the fleet (health views, events, the API).", show: { _ in "host name" }
            ) { node, field, reader in reader.string(node, field) },
            ConfigRow.value(
                "quorum", \.quorum, type: .text("majority or an integer 1...99"), applies: .restart,
                "Authorities that must see a node down (or degraded) before all answer so: majority of those "
                    + "reporting recently, or a number (all of them when fewer report)."
            ) { node, field, reader in
                if node.scalar?.text == "majority" { return .majority }
                return reader.integer(node, field, 1...99).map(HealthQuorum.authorities)
            },
            .integer(
                "report_interval_s", \.reportIntervalSeconds, 1...300, applies: .restart,
                "How often this authority publishes its view of every node."),
            .integer(
                "report_fresh_s", \.reportFreshSeconds, 2...3600, applies: .restart,
                "A view counts toward verdicts for this long after it was published."),
            .integer(
                "catch_up_s", \.catchUpSeconds, 1...300, applies: .restart,
                "How often the store is read without a notification (a missed one only delays a change)."),
        ],
        check: { fleet, context, reader in
            if fleet.reportFreshSeconds <= fleet.reportIntervalSeconds {
                reader.fail(
                    context.line("report_fresh_s"), context.field("report_fresh_s"),
                    "must be more than report_interval_s (\(fleet.reportIntervalSeconds)): else every view is stale "
                        + "before the next one comes")
            }
        })
}
