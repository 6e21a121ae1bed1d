import ArgumentParser
import Foundation

struct CtlChanges: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "changes", abstract: "List changes waiting for approval (and decided ones).")
    @OptionGroup var ctl: CtlOptions
    func run() throws {
        let (_, object) = try ctl.call("GET", "/v1/changes")
        if ctl.json { return }
        let changes = ((object as? [String: Any])?["changes"] as? [[String: Any]]) ?? []
        CtlOptions.table(
            ["CHANGE", "STATUS", "AUTHOR", "EXPIRES", "REASON", "ACTION"],
            changes.map { c in ["id", "status", "author", "expires", "reason", "action"].map { "\(c[$0] ?? "")" } })
    }
}

struct CtlApprove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve", abstract: "Approve and apply another administrator's pending change.")
    @OptionGroup var ctl: CtlOptions
    @Argument var change: String
    func run() throws { try ChangeOptions.send(ctl, "POST", "/v1/changes/\(CtlOptions.segment(change))/approve") }
}

struct CtlReject: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "reject", abstract: "Drop a pending change.")
    @OptionGroup var ctl: CtlOptions
    @Argument var change: String
    func run() throws {
        let (_, object) = try ctl.call("POST", "/v1/changes/\(CtlOptions.segment(change))/reject")
        if !ctl.json { print("rejected: \((object as? [String: Any])?["action"] ?? change)") }
    }
}
