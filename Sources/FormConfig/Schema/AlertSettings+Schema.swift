import Foundation

extension AlertSettings {
    /// `alerts`: webhooks and their delivery rules.
    public static let schema = ConfigSection<AlertSettings>(
        path: "alerts",
        summary: "Webhooks told about nodes going down or up, spill-over, fail-open, changes and failed reloads "
            + "(Alertmanager's webhook payload).",
        defaults: AlertSettings(),
        rows: [
            .sections("webhooks", \.webhooks, AlertWebhook.schema),
            .integer("max_attempts", \.maxAttempts, 1...20, "Tries per notification before it is given up."),
            .integer(
                "backoff_ms", \.backoffMilliseconds, 10...60_000,
                "The wait before the first retry; doubled with each retry, up to a minute, with jitter."),
            .integer(
                "rate_limit_per_minute", \.rateLimitPerMinute, 1...6_000,
                "Notifications per minute per webhook; faster alerts wait and are sent together."),
            .integer(
                "dedup_window_s", \.dedupWindowSeconds, 0...604_800,
                "An alert already sent in the same state is not sent again within this many seconds."),
            ConfigRow.value(
                "external_url", \.externalURL, type: .text("http(s) URL"),
                "The payload's externalURL: where a receiver finds this authority.", show: { _ in nil }
            ) { node, field, reader in
                guard let text = reader.string(node, field) else { return nil }
                guard AlertWebhook.isHTTPURL(text) else {
                    reader.fail(node, field, "'\(text)' is not an http:// or https:// URL")
                    return nil
                }
                return text
            },
        ],
        check: { settings, context, reader in
            var names: Set<String> = []
            for (i, hook) in settings.webhooks.enumerated() {
                if hook.name.isEmpty { settings.webhooks[i].name = "webhook-\(i)" }
                if !names.insert(settings.webhooks[i].name).inserted {
                    reader.fail(
                        context.line("webhooks"), "\(context.field("webhooks"))[\(i)].name",
                        "webhook name '\(settings.webhooks[i].name)' is given twice")
                }
            }
        })
}

extension AlertWebhook {
    public static let schema = ConfigSection<AlertWebhook>(
        path: "alerts.webhooks[]", summary: "A receiver of alerts.", defaults: AlertWebhook(),
        rows: [
            ConfigRow.string("name", \.name, "Names it in metrics and logs (default webhook-N)."),
            ConfigRow.value(
                "url", \.url, type: .text("http(s) URL"), "Where alerts are POSTed.", show: { _ in nil }
            ) { node, field, reader in
                guard let text = reader.string(node, field) else { return nil }
                guard isHTTPURL(text) else {
                    reader.fail(node, field, "'\(text)' is not an http:// or https:// URL with a host")
                    return nil
                }
                return text
            }.required(),
            ConfigRow(
                name: "secret_file", type: .path,
                summary: "A file holding the HMAC-SHA256 key (its first line, 16+ characters) that signs each "
                    + "notification (X-Formdns-Signature)."
            ) { node, hook, field, reader in
                guard let path = reader.path(node, field) else { return }
                switch ManagementToken.read(file: path, what: "secret") {
                case .success(let secret): hook.secret = secret
                case .failure(let why): reader.fail(node, field, why.message)
                }
            },
            ConfigRow.list(
                "kinds", \.kinds, of: .choice(AlertKind.allCases.map(\.rawValue)), minimum: 1,
                "What it is told about (default: everything)."
            ) { node, field, reader in
                reader.choice(node, field, AlertKind.allCases.map(\.rawValue)).flatMap(AlertKind.init)
            },
            .integer("timeout_ms", \.timeoutMilliseconds, 100...120_000, "One try's deadline, connect to response."),
        ])

    /// Whether `text` is an absolute http or https URL with a host.
    public static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host else {
            return false
        }
        return (scheme == "http" || scheme == "https") && !host.isEmpty
    }
}
