import DNSSEC

extension ZoneSigning {
    /// `zones[].dnssec`: online signing.
    public static let schema = ConfigSection<ZoneSigning>(
        path: "zones[].dnssec",
        summary: "Sign the zone online (DNSKEY at the apex, RRSIGs on every answer, compact NSEC denial) with the "
            + "keys in state_dir/keys; a CSK is made there at start if the zone has none.",
        defaults: ZoneSigning(),
        rows: [
            ConfigRow.value(
                "algorithm", \.algorithm, type: .choice(DNSSECAlgorithm.allCases.map(\.mnemonic)),
                "The algorithm of a key made at start (the keys in state_dir/keys are used as they are).",
                show: { $0.mnemonic }
            ) { node, field, reader in
                reader.choice(node, field, DNSSECAlgorithm.allCases.map(\.mnemonic)).flatMap(
                    DNSSECAlgorithm.init(mnemonic:))
            },
            .integer(
                "signature_lifetime", \.signatureLifetime, 3_600...(90 * 86_400),
                "Seconds from signing to expiry (spread by up to a day, never below twice the refresh)."),
            .integer(
                "signature_refresh", \.signatureRefresh, 1_800...(45 * 86_400),
                "A signature with less than this many seconds left is made again."),
            .integer(
                "miss_signing_rate", \.missSigningRate, 0...1_000_000,
                "New signatures a second for answers signed per query (NXDOMAIN, wildcards); beyond it, SERVFAIL."),
        ],
        check: { signing, context, reader in
            if signing.signatureRefresh * 2 > signing.signatureLifetime {
                reader.fail(
                    context.node, context.field("signature_refresh"), "must be at most half of signature_lifetime")
            }
        })
}
