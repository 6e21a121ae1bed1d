import ArgumentParser
import Foundation

/// `ctl events`: the event history, oldest first, as one line per event.
struct CtlEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "What happened: health transitions, overrides, changes, reloads, fail-open and spill-over periods.",
        discussion: "Times are an age (30m, 2h, 7d), an RFC 3339 time or Unix seconds.")
    @OptionGroup var ctl: CtlOptions
    @Option(help: "From this time on.") var since: String?
    @Option(help: "Up to this time.") var until: String?
    @Option(help: "Only this pool's events.") var pool: String?
    @Option(help: "Only this node's events.") var node: String?
    @Option(
        help: "Only these kinds (health, override, config, record, reload, fail-open, spill-over), comma-separated.")
    var kind: String?
    @Option(help: "At most this many (the newest).") var limit = 1000

    func run() throws {
        let query = CtlOptions.query([
            ("since", since), ("until", until), ("pool", pool), ("node", node), ("kind", kind),
            ("limit", String(limit)),
        ])
        let (_, object) = try ctl.call("GET", "/v1/events" + query)
        if ctl.json { return }
        for e in ((object as? [String: Any])?["events"] as? [[String: Any]]) ?? [] {
            let kind = "\(e["kind"] ?? "")".padding(toLength: 9, withPad: " ", startingAt: 0)
            print("\(e["time"] ?? "")  \(kind) \(e["summary"] ?? "")")
        }
    }
}
