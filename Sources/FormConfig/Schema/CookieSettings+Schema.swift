extension CookieSettings {
    /// `cookies`: DNS cookies.
    public static let schema = ConfigSection<CookieSettings>(
        path: "cookies",
        summary: "DNS cookies (RFC 7873): a query with a client cookie is answered with a server cookie made as RFC "
            + "9018 says; a client that returns a valid one is never rate limited, and a limited client that sent a "
            + "cookie is told BADCOOKIE with a fresh one instead of being dropped.",
        defaults: CookieSettings(),
        rows: [
            .boolean("enabled", \.enabled, "Answer cookies (off: the option is ignored, as by a server without them)."),
            ConfigRow(
                name: "secret_file", type: .path,
                summary: "One or two secrets of 32 hex digits, one per line: the first makes cookies, the second (the "
                    + "one being rotated out) is still accepted. The same file on every authority makes a client's "
                    + "cookie good at all of them. Left out: a random secret per process. Read again on reload."
            ) { node, settings, field, reader in
                guard let path = reader.path(node, field) else { return }
                switch CookieSettings.read(file: path) {
                case .success(let keys):
                    settings.secretFile = path
                    settings.secrets = keys
                case .failure(let why): reader.fail(node, field, why.message)
                }
            },
        ])
}
