import FormConfig
import NIOCore
import NIOSSL
import PostgresNIO

extension PostgresLocation {
    /// postgres-nio's settings; connecting gives up after `connectTimeout`.
    func configuration(connectTimeout: TimeAmount) throws -> PostgresConnection.Configuration {
        let mode: PostgresConnection.Configuration.TLS
        switch tls {
        case .disable:
            mode = .disable
        case .prefer, .require, .verifyFull:
            var client = TLSConfiguration.makeClientConfiguration()
            // libpq's prefer and require encrypt without checking who answers; verify-full checks.
            if tls != .verifyFull { client.certificateVerification = .none }
            let context = try NIOSSLContext(configuration: client)
            mode = tls == .prefer ? .prefer(context) : .require(context)
        }
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: mode)
        configuration.options.connectTimeout = connectTimeout
        // The server's own limits, so a lock or an open transaction of an authority that froze or
        // lost its network is not held until TCP notices: below the client's 5 s per statement.
        configuration.options.additionalStartupParameters = [
            ("lock_timeout", "4000"), ("statement_timeout", "4500"), ("idle_in_transaction_session_timeout", "10000"),
        ]
        if tls == .verifyFull { configuration.options.tlsServerName = host }
        return configuration
    }
}
