import ArgumentParser
import FormAuthority
import FormStore
import Foundation

/// `form-dns token create|list|revoke`: the API's tokens, in the store (the server sees a change at
/// its next request). The secret is printed once, at creation; the store keeps only its hash.
struct Token: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke management API tokens (roles admin, operator, reader, reporter).",
        subcommands: [Create.self, List.self, Revoke.self])

    /// Who ran the command, for the audit chain.
    static var actor: String { "cli (uid \(getuid()))" }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token and print its secret, once.")
        @OptionGroup var state: StateDirectoryOption
        @Option(help: "admin, operator, reader or reporter.") var role: String
        @Option(name: .customLong("pool"), help: "Limit the token to this pool (repeatable; default: all).")
        var pools: [String] = []
        @Option(help: "For a reporter: the node it reports, as POOL/NODE.") var node: String?
        @Option(help: "Expire after this long: 90m, 12h, 30d (default: never).") var expiresIn: String?
        @Option(help: "A note for token list.") var label = ""

        func validate() throws {
            guard APIToken.Role(rawValue: role) != nil else {
                throw ValidationError("--role must be one of admin, operator, reader, reporter")
            }
            if role == "reporter" {
                guard let node, node.split(separator: "/").count == 2 else {
                    throw ValidationError("a reporter needs --node POOL/NODE")
                }
            } else if node != nil {
                throw ValidationError("--node is only for --role reporter")
            }
            if let expiresIn, Self.seconds(expiresIn) == nil {
                throw ValidationError("--expires-in must be a number with m, h or d, like 90m, 12h or 30d")
            }
        }

        static func seconds(_ text: String) -> Double? {
            guard let unit = text.last, let n = Double(text.dropLast()), n > 0, n.isFinite else { return nil }
            switch unit {
            case "m": return n * 60
            case "h": return n * 3600
            case "d": return n * 86400
            default: return nil
            }
        }

        func run() throws {
            let store = try state.open(create: true)
            let parts = node?.split(separator: "/").map(String.init)
            let (token, secret) = APIToken.make(
                role: APIToken.Role(rawValue: role)!, pools: parts.map { [$0[0]] } ?? pools,
                node: parts.map { NodeKey(pool: $0[0], node: $0[1]) }, label: label,
                expires: expiresIn.flatMap(Self.seconds).map { Date().addingTimeInterval($0) })
            do {
                try store.addToken(token)
                _ = try store.appendAudit(
                    AuditEvent(
                        actor: Token.actor, action: "token.create", target: token.id,
                        change:
                            "role \(token.role.rawValue), pools \(token.pools), node \(token.node?.description ?? "-")",
                        outcome: "ok"))
            } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
            print(secret)
            printError(
                "form-dns: token \(token.id) (\(token.role.rawValue)) created; the secret above is not shown again")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Tokens (never their secrets), newest first.")
        @OptionGroup var state: StateDirectoryOption

        func run() throws {
            let time = ISO8601DateFormatter()
            for t in try state.open().tokens() {
                let status =
                    t.revoked.map { "revoked \(time.string(from: $0))" }
                    ?? t.expires.map { ($0 > Date() ? "expires " : "expired ") + time.string(from: $0) } ?? "active"
                let scope =
                    t.node.map { "node \($0)" } ?? (t.pools.isEmpty ? "all pools" : t.pools.joined(separator: ","))
                print(
                    [t.id, t.role.rawValue, scope, status, t.label].map { LogText.escape($0, limit: 120) }
                        .joined(separator: "  "))
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token at once.")
        @OptionGroup var state: StateDirectoryOption
        @Argument var id: String

        func run() throws {
            let store = try state.open()
            guard try store.revokeToken(id: id) else {
                printError("form-dns: no active token \(LogText.escape(id, limit: 64))")
                throw ExitCode(1)
            }
            _ = try store.appendAudit(AuditEvent(actor: Token.actor, action: "token.revoke", target: id, outcome: "ok"))
            print("revoked \(id)")
        }
    }
}
