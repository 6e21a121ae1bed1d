import Testing

@testable import FormJoin

/// The watch's rule for changing the peers it hands out (Tailscale's: 10 ms and 2/3).
@Suite struct HysteresisTests {
    let rule = Hysteresis()

    func round(_ peers: (String, Double)...) -> [Hysteresis.Measured] {
        peers.map { Hysteresis.Measured(id: $0.0, medianMs: $0.1) }
    }

    @Test func aChallengerMustBeFasterByTheMarginAndTheRatio() {
        #expect(rule.beats(20, 100))
        #expect(!rule.beats(91, 100))  // 9 ms: under the margin
        #expect(!rule.beats(89, 100))  // 11 ms, but 0.89 of it: over the ratio
        #expect(rule.beats(66, 100))
        #expect(!rule.beats(4, 12))  // 8 ms faster, a third of it: under the margin
        #expect(rule.beats(1, 12))
        #expect(!rule.beats(100, 20))
        let strict = Hysteresis(marginMs: 0, ratio: 1)
        #expect(strict.beats(99.9, 100) && !strict.beats(100, 100))
    }

    @Test func theFirstRoundIsTheRankingCutToTheLimit() {
        #expect(rule.hold([], round: round(("a", 10), ("b", 20), ("c", 30)), limit: 2) == ["a", "b"])
        #expect(rule.hold([], round: [], limit: 2) == [])
    }

    @Test func noiseDoesNotReorderOrReplaceHeldPeers() {
        // b is now faster than a, and c than both, but not by the rule.
        let next = rule.hold(["a", "b"], round: round(("c", 85), ("b", 90), ("a", 100)), limit: 2)
        #expect(next == ["a", "b"])
    }

    @Test func aFarFasterPeerReplacesTheSlowestHeldAndMovesFirst() {
        let next = rule.hold(["a", "b"], round: round(("c", 20), ("b", 90), ("a", 100)), limit: 2)
        #expect(next == ["c", "b"])
    }

    @Test func aHeldPeerThatDidNotAnswerIsDroppedAndItsPlaceFilled() {
        // a is gone: b moves up, and c fills the place even though it beats nobody.
        #expect(rule.hold(["a", "b"], round: round(("b", 90), ("c", 95)), limit: 2) == ["b", "c"])
        #expect(rule.hold(["a", "b"], round: [], limit: 2) == [])
    }

    @Test func aPlaceLeftFreeGoesToTheFastestOther() {
        let next = rule.hold(["a"], round: round(("c", 50), ("a", 60), ("b", 55)), limit: 3)
        // c and b fill the places in round order; neither beats a, so a stays first.
        #expect(next == ["a", "c", "b"])
    }

    @Test func aLowerLimitCutsTheHeldPeers() {
        #expect(rule.hold(["a", "b", "c"], round: round(("a", 10), ("b", 20), ("c", 30)), limit: 2) == ["a", "b"])
    }

    @Test func repeatedIdsInARoundCountOnce() {
        #expect(rule.hold([], round: round(("a", 10), ("a", 50), ("b", 20)), limit: 3) == ["a", "b"])
    }
}

@Suite struct WatchSettingsTests {
    @Test func jitterStretchesAndShrinksWithinItsFraction() {
        var s = WatchSettings()
        s.jitter = 0.1
        #expect(s.jittered(30, unit: 0) == 27)
        #expect(s.jittered(30, unit: 0.5) == 30)
        #expect(abs(s.jittered(30, unit: 0.999_999) - 33) < 0.001)
        s.jitter = 0
        #expect(s.jittered(30, unit: 0) == 30)
    }

    @Test func resolvingWaitsForTheTTLWithinBounds() {
        let s = WatchSettings()
        #expect(s.resolveDelay(ttl: 0) == 5)
        #expect(s.resolveDelay(ttl: 30) == 30)
        #expect(s.resolveDelay(ttl: 86_400) == 3600)
    }

    @Test func failuresBackOffByDoublingUpToTheCap() {
        let s = WatchSettings()
        #expect((1...10).map { s.backoff(failures: $0) } == [2, 4, 8, 16, 32, 64, 128, 256, 300, 300])
        #expect(s.backoff(failures: 1_000_000) == 300)
    }

    @Test func settingsThatWouldLoopOrFreezeAreRefused() {
        var s = WatchSettings()
        #expect(s.problem == nil)
        s.probeInterval = 0
        #expect(s.problem?.contains("probe interval") == true)
        s = WatchSettings()
        s.hysteresis.ratio = 0
        #expect(s.problem?.contains("ratio") == true)
        s.hysteresis.ratio = 1.5
        #expect(s.problem?.contains("ratio") == true)
        s = WatchSettings()
        s.jitter = .nan
        #expect(s.problem?.contains("jitter") == true)
    }
}

@Suite struct WakeupTests {
    // The sleeps are an hour long and the bound ten minutes: a test pool starved by the suites
    // beside it (seen in CI: 34 s before a 50 ms sleep ended) cannot make a working wake look
    // broken, and a broken one still fails.
    @Test func aWakeCutsASleepShort() async {
        let wakeup = Wakeup()
        let start = ContinuousClock.now
        async let slept: Void = wakeup.sleep(3600)
        try? await Task.sleep(for: .milliseconds(50))
        wakeup.wake()
        await slept
        #expect(ContinuousClock.now - start < .seconds(600))
    }

    @Test func aWakeWithNobodySleepingEndsTheNextSleep() async {
        let wakeup = Wakeup()
        wakeup.wake()
        let start = ContinuousClock.now
        await wakeup.sleep(3600)
        #expect(ContinuousClock.now - start < .seconds(600))
    }

    @Test func anUnwokenSleepLastsItsTime() async {
        let wakeup = Wakeup()
        let start = ContinuousClock.now
        await wakeup.sleep(0.1)
        #expect(ContinuousClock.now - start >= .milliseconds(100))
    }
}
