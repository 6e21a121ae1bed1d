import FormAuthority

extension RateLimitSettings {
    /// `rate_limit`: response rate limiting over UDP.
    public static let schema = ConfigSection<RateLimitSettings>(
        path: "rate_limit",
        summary: "Response rate limiting (RRL, as in BIND, Knot and NSD) over UDP: each client network gets at most "
            + "responses_per_second of one answer (NXDOMAIN, NODATA and errors: per zone), so form-dns cannot be "
            + "used to flood a spoofed victim. Limited responses are dropped, every slip-th sent truncated. TCP, "
            + "exempt networks and clients with a valid DNS cookie are never limited.",
        defaults: RateLimitSettings(),
        rows: [
            .boolean("enabled", \.enabled, "Limit at all."),
            .integer(
                "responses_per_second", \.responsesPerSecond, 1...1_000_000,
                "Responses a second one client network may get for one answer."),
            .integer(
                "window_s", \.windowSeconds, 1...3600,
                "A flood is limited until it has been quiet this long (the account's debt is at most this many "
                    + "seconds of credit)."),
            .integer(
                "slip", \.slip, 0...10,
                "Every slip-th limited response is sent truncated (BADCOOKIE to a client with a cookie) so real "
                    + "clients retry over TCP; 0 drops all, 1 truncates all."),
            .integer("ipv4_prefix", \.ipv4PrefixLength, 8...32, "IPv4 clients are counted by this network."),
            .integer("ipv6_prefix", \.ipv6PrefixLength, 16...128, "IPv6 clients are counted by this network."),
            ConfigRow.list(
                "exempt", \.exempt, of: ConfigParse.networkType,
                "Client networks never limited (monitoring, your own resolvers); [] exempts none."
            ) { node, field, reader in ConfigParse.network(node, field, &reader) },
            .boolean(
                "log_only", \.logOnly, "Count and log what would be limited, and answer it as usual (to try limits)."),
            .integer(
                "table_size", \.tableSize, 1024...16_777_216,
                "Flows tracked at once (8 octets each; rounded up to a power of two)."),
        ],
        check: { settings, context, reader in
            if settings.responsesPerSecond * settings.windowSeconds > ResponseRateLimiter.balanceLimit {
                reader.fail(
                    context.line("window_s"), context.field("window_s"),
                    "responses_per_second x window_s must be at most \(ResponseRateLimiter.balanceLimit)")
            }
        })
}
