import ArgumentParser
import FormJoin
import Foundation

struct Peers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Resolve the anycast name, probe the entry nodes and print the ranked peer set.",
        discussion:
            "Exit codes: 0 peers found via DNS; 10 peers found via a fallback (static list or cache); "
            + "20 nothing reachable; 64 bad usage."
    )

    @Argument(help: "The anycast name, e.g. entry.formation.test")
    var name: String

    @OptionGroup var join: JoinArguments

    @Flag(name: .long, help: "Print the peer set as JSON (the stable schema formnet reads).")
    var json = false

    @Flag(name: .long, help: "No progress on stderr.")
    var quiet = false

    func run() async throws {
        let outcome: JoinOutcome
        do {
            var options = try join.options(name: name)
            if !quiet && isatty(2) == 1 {
                options.progress = { message in warn(message) }
            }
            outcome = await JoinPlanner.run(options)
        } catch {
            warn(usageMessage(error))
            throw ExitCode(JoinExitCode.usage.rawValue)
        }
        print(json ? outcome.peerSet.json() : PeerSetTable.render(outcome.peerSet))
        // The table shows the notes; with --json they also go to stderr, where a person may look.
        if json && !quiet { outcome.peerSet.notes.forEach { warn("note: \($0)") } }
        // Always, even with --quiet: a script that gets exit 20 learns what was tried.
        if let failure = outcome.failure { warn(failure) }
        throw ExitCode(outcome.exitCode.rawValue)
    }
}
