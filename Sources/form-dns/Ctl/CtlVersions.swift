import ArgumentParser
import Foundation

struct CtlVersions: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "versions", abstract: "List configuration versions.")
    @OptionGroup var ctl: CtlOptions
    @Option(help: "At most this many, newest first.") var limit = 50
    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/versions" + CtlOptions.query([("limit", "\(limit)")]))
        if ctl.json { return }
        let versions = ((object as? [String: Any])?["versions"] as? [[String: Any]]) ?? []
        CtlOptions.table(
            ["VERSION", "CREATED", "AUTHOR", "MESSAGE"],
            versions.map { v in ["id", "created", "author", "message"].map { "\(v[$0] ?? "")" } })
    }
}

struct CtlShow: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Print a version's text.")
    @OptionGroup var ctl: CtlOptions
    @Argument var version: Int
    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/versions/\(version)")
        if !ctl.json { print((object as? [String: Any])?["text"] as? String ?? "", terminator: "") }
    }
}

struct CtlDiff: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Diff two versions (or a version and what serves now).")
    @OptionGroup var ctl: CtlOptions
    @Argument var from: Int
    @Argument var to: Int?
    func run() throws {
        let (_, object) = try ctl.call(
            "GET", "/v1/versions/\(from)/diff" + CtlOptions.query([("to", to.map(String.init))]))
        if ctl.json { return }
        let body = (object as? [String: Any]) ?? [:]
        print("--- version \(body["from"] ?? from)")
        print("+++ version \(body["to"] ?? "serving")")
        for line in (body["diff"] as? [String]) ?? [] where !line.hasPrefix(" ") { print(line) }
    }
}

struct CtlRollback: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Serve an earlier version again (as a new version; needs approval by default).")
    @OptionGroup var ctl: CtlOptions
    @OptionGroup var change: ChangeOptions
    @Argument var version: Int
    func run() throws { try change.send(ctl, "POST", "/v1/versions/\(version)/rollback") }
}

struct CtlExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print the running configuration as YAML (zones inline): a file serve --config reads.")
    @OptionGroup var ctl: CtlOptions
    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/config")
        if !ctl.json { print((object as? [String: Any])?["text"] as? String ?? "", terminator: "") }
    }
}
