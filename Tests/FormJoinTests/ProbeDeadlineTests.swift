@testable import FormJoin
import Foundation
import NetAddress
import Testing

/// The whole probe round ends at its deadline, however slow the candidates are.
@Suite struct ProbeDeadlineTests {
    @Test func aSilentNodeCannotHoldTheRoundPastTheDeadline() async {
        let listener = LoopbackListener()   // accepts the TCP connection, never answers the ping
        var settings = ProbeSettings()
        settings.kind = .ping
        settings.probesPerCandidate = 3
        settings.probeTimeout = 60
        settings.deadline = 2
        let start = monotonicNow()
        let stats = await Prober.probe([Endpoint(host: "127.0.0.1", port: listener.port)], settings: settings)
        let elapsed = monotonicNow() - start
        // Three probes of 60 s each, were the deadline ignored; the round ends at 2 s. The upper bound
        // is the first probe's timeout, so a busy machine cannot fail it.
        #expect(elapsed >= 1.99 && elapsed < 60, "\(elapsed)")
        #expect(!stats[0].reachable)
        #expect(stats[0].sent <= 1, "a second probe was sent after the first timed out")
    }
}
