import ArgumentParser
import FormJoin
import Foundation
import UnixSignals

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep the peer set good: print a JSON line each time the peers handed out change.",
        discussion: """
            Resolves again at TTL expiry and probes the peers known every --interval seconds (jittered). \
            A peer is kept until it stops answering; another takes its place, or moves ahead of it, only \
            when faster by more than --switch-margin-ms and at most --switch-ratio of its RTT (Tailscale's \
            rule: 10 ms and 2/3). A first peer that stops answering is replaced in the round that finds it. \
            DNS outages do not end the watch: the static list and the cache are used as by `peers`, and DNS \
            is retried with backoff. SIGHUP re-reads the files named (a file that cannot be read is \
            reported and the previous inputs are kept); SIGTERM or SIGINT ends the watch with exit 0. \
            Exit 64: bad usage at start.
            """
    )

    @Argument(help: "The anycast name, e.g. entry.formation.test")
    var name: String

    @OptionGroup var join: JoinArguments

    @Option(name: .long, help: "Seconds between probe rounds of the peers known.")
    var interval: Double = 30

    @Option(name: .long, help: "Fraction (0...0.5) by which each wait is varied at random.")
    var jitter: Double = 0.1

    @Option(name: .long, help: "A challenger must be faster by more than this many ms...")
    var switchMarginMs: Double = 10

    @Option(name: .long, help: "...and have at most this fraction of the incumbent's RTT.")
    var switchRatio: Double = 2.0 / 3.0

    @Option(name: .long, help: "Seconds at least between resolutions, whatever the TTL.")
    var minResolveInterval: Double = 5

    @Option(name: .long, help: "Seconds before the first retry after DNS failed (doubles, up to 300 s).")
    var retryInterval: Double = 2

    @Flag(name: .long, help: "No progress or notes on stderr (errors are still written).")
    var quiet = false

    func settings() throws -> WatchSettings {
        var s = WatchSettings()
        s.probeInterval = interval
        s.jitter = jitter
        s.hysteresis = Hysteresis(marginMs: switchMarginMs, ratio: switchRatio)
        s.minResolveInterval = minResolveInterval
        s.retryInterval = retryInterval
        if let problem = s.problem { throw ValidationError(problem) }
        return s
    }

    func options() throws -> JoinOptions {
        var options = try join.options(name: name)
        if !quiet && isatty(2) == 1 { options.progress = { warn($0) } }
        return options
    }

    func run() async throws {
        let watch: PeerWatch
        do {
            watch = try PeerWatch(options: try options(), settings: try settings())
        } catch {
            warn(usageMessage(error))
            throw ExitCode(JoinExitCode.usage.rawValue)
        }
        let quiet = quiet
        let task = Task {
            await watch.run { emission in
                FileHandle.standardOutput.write(Data((emission.jsonLine() + "\n").utf8))
                if !quiet { emission.peerSet.notes.forEach { warn("note: \($0)") } }
                if emission.peerSet.peers.isEmpty { warn("nothing reachable for \(emission.peerSet.name)") }
            }
        }
        for await signal in await UnixSignalsSequence(trapping: .sighup, .sigterm, .sigint) {
            guard signal == .sighup else { break }
            do {
                watch.reload(try options())
                if !quiet { warn("SIGHUP: inputs re-read") }
            } catch {
                warn("SIGHUP: \(usageMessage(error)); the previous inputs are kept")
            }
        }
        // The round under way is abandoned: its probes and queries end at their own deadlines.
        task.cancel()
    }
}
