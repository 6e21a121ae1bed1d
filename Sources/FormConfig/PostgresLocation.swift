import Foundation

/// Where the fleet's PostgreSQL is: `postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=MODE]`
/// (libpq's URI form; `postgres://` too). The password may instead come from a file
/// (`fleet.password_file`) or `$PGPASSWORD`, so it need not be in the configuration.
/// `sslmode` is `disable`, `prefer` (the default, as libpq's), `require` or `verify-full`
/// (both of the last verify the server's certificate against the system's CAs).
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyFull = "verify-full"
    }

    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var tls: TLSMode

    /// Why a text is not such a URI (never showing a password).
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var message: String
        init(_ message: String) { self.message = message }
        public var description: String { message }
    }

    public init(host: String, port: Int, user: String, password: String?, database: String, tls: TLSMode) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.tls = tls
    }

    /// Reads `text`; nil with why when it is not such a URI.
    public static func parse(_ text: String) -> Result<PostgresLocation, PostgresLocation.Problem> {
        guard let url = URLComponents(string: text), let scheme = url.scheme,
            scheme == "postgresql" || scheme == "postgres"
        else { return .failure(Problem("'\(Self.redacting(text))' is not a postgresql://USER@HOST/DATABASE URI")) }
        guard var host = url.host, !host.isEmpty else { return .failure(Problem("the URI names no host")) }
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard let user = url.user, !user.isEmpty else {
            return .failure(Problem("the URI names no user (postgresql://USER@HOST/DATABASE)"))
        }
        let database = String(url.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            return .failure(Problem("the URI names no database (postgresql://USER@HOST/DATABASE)"))
        }
        var tls = TLSMode.prefer
        for item in url.queryItems ?? [] {
            guard item.name == "sslmode" else {
                return .failure(Problem("unknown URI parameter '\(item.name)' (only sslmode is read)"))
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                let modes = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                return .failure(Problem("sslmode '\(item.value ?? "")' is not one of \(modes)"))
            }
            tls = mode
        }
        return .success(
            PostgresLocation(
                host: host, port: url.port ?? 5432, user: user, password: url.password, database: database, tls: tls))
    }

    /// The URI without its password: what messages and logs show.
    public var description: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(h):\(port)/\(database)"
    }

    static func redacting(_ text: String) -> String {
        guard var url = URLComponents(string: text), url.password != nil else { return text }
        url.password = "***"
        return url.string ?? "?"
    }
}
