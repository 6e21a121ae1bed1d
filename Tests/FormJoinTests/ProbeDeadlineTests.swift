@testable import FormJoin
import Foundation
import Testing

/// The whole probe round ends at its deadline, however slow the candidates are.
@Suite struct ProbeDeadlineTests {
    @Test func aSilentNodeCannotHoldTheRoundPastTheDeadline() async {
        let listener = LoopbackListener()   // accepts the TCP connection, never answers the ping
        var settings = ProbeSettings()
        settings.kind = .ping
        settings.probesPerCandidate = 3
        settings.probeTimeout = 5
        settings.deadline = 0.3
        let start = monotonicNow()
        let stats = await Prober.probe([Endpoint(host: "127.0.0.1", port: listener.port)], settings: settings)
        let elapsed = monotonicNow() - start
        #expect(elapsed >= 0.29 && elapsed < 1.0, "\(elapsed)")
        #expect(!stats[0].reachable && stats[0].lastError == "timed out")
        #expect((1...3).contains(stats[0].sent))
    }
}
