import ArgumentParser
import Foundation

struct CtlPools: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pools", abstract: "List pools.")
    @OptionGroup var ctl: CtlOptions

    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/pools")
        if ctl.json { return }
        let pools = ((object as? [String: Any])?["pools"] as? [[String: Any]]) ?? []
        CtlOptions.table(
            ["POOL", "NAMES", "NODES", "STRATEGY"],
            pools.map { p in
                [
                    "\(p["name"] ?? "")", ((p["names"] as? [String]) ?? []).joined(separator: ","),
                    "\((p["nodes"] as? [Any])?.count ?? 0)",
                    "\((p["policy"] as? [String: Any])?["strategy"] ?? "-")",
                ]
            })
    }
}

struct CtlPool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pool", abstract: "Show, add, change, set the policy of, or remove a pool.",
        subcommands: [Show.self, Add.self, Update.self, Policy.self, Remove.self])

    struct Show: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        @Argument var pool: String
        func run() throws {
            let (_, object) = try ctl.call("GET", "/v1/pools/\(CtlOptions.segment(pool))")
            if !ctl.json {
                print(
                    String(
                        decoding: try JSONSerialization.data(
                            withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a pool from JSON (as under pools: in the file).")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument(help: "The pool as JSON, or @FILE.") var body: String
        func run() throws { try change.send(ctl, "POST", "/v1/pools", body: try jsonBody(body)) }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a pool's settings: KEY=VALUE (null removes).")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var pool: String
        @Argument(help: "ttl=60, ecs=false, ...") var set: [String]
        func run() throws {
            try change.send(ctl, "PATCH", "/v1/pools/\(CtlOptions.segment(pool))", body: try settings(set))
        }
    }

    struct Policy: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Replace a pool's policy: KEY=VALUE ...")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var pool: String
        @Argument(help: "strategy=linear max_answers=2 ...") var set: [String]
        func run() throws {
            try change.send(ctl, "PUT", "/v1/pools/\(CtlOptions.segment(pool))/policy", body: try settings(set))
        }
    }

    struct Remove: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var pool: String
        func run() throws { try change.send(ctl, "DELETE", "/v1/pools/\(CtlOptions.segment(pool))") }
    }
}

struct CtlNodes: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nodes", abstract: "List a pool's nodes.")
    @OptionGroup var ctl: CtlOptions
    @Argument var pool: String

    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/pools/\(CtlOptions.segment(pool))/nodes")
        if ctl.json { return }
        let nodes = ((object as? [String: Any])?["nodes"] as? [[String: Any]]) ?? []
        CtlOptions.table(
            ["NODE", "IPV4", "IPV6", "REGION", "COUNTRY", "WEIGHT", "ENABLED"],
            nodes.map { n in
                ["id", "ipv4", "ipv6", "region", "country", "weight", "enabled"].map { "\(n[$0] ?? "-")" }
            })
    }
}

struct CtlNode: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "node", abstract: "Add, change or remove a pool's node.",
        subcommands: [Add.self, Update.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a node: KEY=VALUE settings (id=, ipv4=, latitude=, ...) or one JSON object / @FILE.")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var pool: String
        @Argument var node: [String]
        func run() throws {
            let body: Any =
                node.count == 1 && (node[0].hasPrefix("{") || node[0].hasPrefix("@"))
                ? try jsonBody(node[0]) : try settings(node)
            try change.send(ctl, "POST", "/v1/pools/\(CtlOptions.segment(pool))/nodes", body: body)
        }
    }

    struct Update: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a node: KEY=VALUE (null removes).")
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var pool: String
        @Argument var node: String
        @Argument var set: [String]
        func run() throws {
            try change.send(
                ctl, "PATCH", "/v1/pools/\(CtlOptions.segment(pool))/nodes/\(CtlOptions.segment(node))",
                body: try settings(set))
        }
    }

    struct Remove: ParsableCommand {
        @OptionGroup var ctl: CtlOptions
        @OptionGroup var change: ChangeOptions
        @Argument var pool: String
        @Argument var node: String
        func run() throws {
            try change.send(ctl, "DELETE", "/v1/pools/\(CtlOptions.segment(pool))/nodes/\(CtlOptions.segment(node))")
        }
    }
}

struct CtlDrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain", abstract: "Take a node out of answers gracefully (an override; still checked).")
    @OptionGroup var ctl: CtlOptions
    @OptionGroup var change: ChangeOptions
    @Argument var pool: String
    @Argument var node: String
    func run() throws {
        try change.send(ctl, "POST", "/v1/pools/\(CtlOptions.segment(pool))/nodes/\(CtlOptions.segment(node))/drain")
    }
}

struct CtlUndrain: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "undrain", abstract: "Clear a node's override.")
    @OptionGroup var ctl: CtlOptions
    @OptionGroup var change: ChangeOptions
    @Argument var pool: String
    @Argument var node: String
    func run() throws {
        try change.send(
            ctl, "POST", "/v1/pools/\(CtlOptions.segment(pool))/nodes/\(CtlOptions.segment(node))/override",
            body: ["override": NSNull()])
    }
}
