import ArgumentParser
import Foundation

struct CtlTokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "List, create and revoke API tokens.",
        subcommands: [List.self, Create.self, Revoke.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        func run() throws {
            let (_, object) = try ctl.call("GET", "/v1/tokens")
            if ctl.json { return }
            let tokens = ((object as? [String: Any])?["tokens"] as? [[String: Any]]) ?? []
            CtlOptions.table(
                ["TOKEN", "ROLE", "POOLS", "NODE", "VALID", "EXPIRES", "LABEL"],
                tokens.map { t in
                    [
                        "\(t["id"] ?? "")", "\(t["role"] ?? "")",
                        ((t["pools"] as? [String]) ?? []).joined(separator: ","),
                        "\(t["node"] ?? "-")", "\(t["valid"] ?? "")", "\(t["expires"] ?? "-")", "\(t["label"] ?? "")",
                    ]
                })
        }
    }

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a token; its secret is printed once.")
        @OptionGroup var ctl: CtlOptions
        @Option(help: "admin, operator, reader or reporter.") var role: String
        @Option(name: .customLong("pool"), help: "Limit to this pool (repeatable).") var pools: [String] = []
        @Option(help: "For a reporter: POOL/NODE.") var node: String?
        @Option(help: "Seconds until it expires.") var expiresIn: Int?
        @Option(help: "A note.") var label = ""
        func run() throws {
            var body: [String: Any] = ["role": role, "pools": pools, "label": label]
            if let node { body["node"] = node }
            if let expiresIn { body["expires_in_s"] = expiresIn }
            let (_, object) = try ctl.call("POST", "/v1/tokens", body: body)
            if ctl.json { return }
            let token = (object as? [String: Any]) ?? [:]
            print(token["secret"] as? String ?? "")
            let id = token["id"] ?? "", role = token["role"] ?? ""
            printError("form-dns: token \(id) (\(role)) created; the secret above is not shown again")
        }
    }

    struct Revoke: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        @Argument var token: String
        func run() throws {
            _ = try ctl.call("DELETE", "/v1/tokens/\(CtlOptions.segment(token))")
            if !ctl.json { print("revoked \(token)") }
        }
    }
}

struct CtlAudit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Read the audit chain, or verify it.", subcommands: [List.self, Verify.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        @Option(help: "Entries after this sequence number.") var after = 0
        @Option(help: "At most this many.") var limit = 100
        func run() throws {
            let (_, object) = try ctl.call(
                "GET", "/v1/audit" + CtlOptions.query([("after", "\(after)"), ("limit", "\(limit)")]))
            if ctl.json { return }
            for e in ((object as? [String: Any])?["entries"] as? [[String: Any]]) ?? [] {
                let line = ["sequence", "time", "actor", "remote", "action", "target", "outcome"].map {
                    "\(e[$0] ?? "")"
                }
                print(line.joined(separator: "  "))
            }
        }
    }

    struct Verify: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        func run() throws {
            let (_, object) = try ctl.call("GET", "/v1/audit/verify")
            let body = (object as? [String: Any]) ?? [:]
            if body["intact"] as? Bool == true {
                if !ctl.json { print("intact: \(body["entries"] ?? 0) entries, head \(body["head"] ?? "")") }
            } else {
                if !ctl.json { print("BROKEN: \(body["problem"] ?? "")") }
                throw ExitCode(1)
            }
        }
    }
}
