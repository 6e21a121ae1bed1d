import FormAuthority
import NetAddress
import Synchronization
import Testing

/// The rate limiter alone, with the time given: BIND's credit scheme per flow.
@Suite struct ResponseRateLimiterTests {
    static func limiter(rate: Int = 5, window: Int = 3, slip: Int = 2, logOnly: Bool = false) -> ResponseRateLimiter {
        var s = RateLimitSettings()
        s.responsesPerSecond = rate
        s.windowSeconds = window
        s.slip = slip
        s.exempt = []
        s.logOnly = logOnly
        return ResponseRateLimiter(settings: s, seed: 42)
    }

    /// How many of `count` responses at `now` are limited.
    static func limited(_ l: ResponseRateLimiter, _ client: String, count: Int, now: UInt32,
                        kind: ResponseRateLimiter.Kind = .answer, name: UInt64 = 1) -> Int {
        (0..<count).filter { _ in l.limits(client: IPAddress(client)!, kind: kind, name: name, now: now) }.count
    }

    @Test func theRateIsAllowedAndTheRestLimited() {
        let l = Self.limiter()
        #expect(Self.limited(l, "192.0.2.1", count: 5, now: 100) == 0)
        #expect(Self.limited(l, "192.0.2.1", count: 3, now: 100) == 3)
    }

    /// A flood that goes on stays limited; one that stops is forgiven within the window.
    @Test func aFloodStaysLimitedAndIsForgivenAfterTheWindow() {
        let l = Self.limiter(rate: 5, window: 3)
        // 50 a second for 4 seconds: debt reaches the floor (-15) and stays there.
        for t in UInt32(100)..<104 { _ = Self.limited(l, "192.0.2.1", count: 50, now: t) }
        #expect(Self.limited(l, "192.0.2.1", count: 50, now: 104) == 50, "still flooding: all limited")
        // Quiet for 2 s: -15 + 10 = -5, still in debt.
        #expect(Self.limited(l, "192.0.2.1", count: 1, now: 106) == 1)
        // After the window (3 s from the floor): credit again.
        #expect(Self.limited(l, "192.0.2.1", count: 5, now: 110) == 0)
    }

    @Test func flowsAreTheNetworkTheKindAndTheName() {
        let l = Self.limiter()
        _ = Self.limited(l, "192.0.2.1", count: 20, now: 100)
        // Same /24, another host: the same flow.
        #expect(Self.limited(l, "192.0.2.200", count: 1, now: 100) == 1)
        // Another /24, another name, another kind: each its own account.
        #expect(Self.limited(l, "192.0.3.1", count: 5, now: 100) == 0)
        #expect(Self.limited(l, "192.0.2.1", count: 5, now: 100, name: 2) == 0)
        #expect(Self.limited(l, "192.0.2.1", count: 5, now: 100, kind: .nxDomain) == 0)
        // IPv6 by /56.
        _ = Self.limited(l, "2001:db8:0:100::1", count: 20, now: 100)
        #expect(Self.limited(l, "2001:db8:0:1ff::2", count: 1, now: 100) == 1)
        #expect(Self.limited(l, "2001:db8:0:200::1", count: 1, now: 100) == 0)
    }

    @Test func exemptNetworksAreNeverLimited() {
        var s = RateLimitSettings()
        s.exempt = [IPNetwork("198.51.100.0/24")!]
        let l = ResponseRateLimiter(settings: s)
        #expect(l.isExempt(IPAddress("198.51.100.9")!) && !l.isExempt(IPAddress("198.51.101.9")!))
        #expect(RateLimitSettings().exempt.map(\.description) == ["127.0.0.0/8", "::1/128"])
    }

    @Test func everySlipthLimitedResponseSlips() {
        let l = Self.limiter(slip: 3)
        let client = IPAddress("192.0.2.1")!
        let slips = (0..<9).filter { _ in l.noteLimited(client: client, kind: .answer, now: 1) }.count
        #expect(slips == 3)
        #expect((0..<4).filter { _ in Self.limiter(slip: 0).noteLimited(client: client, kind: .answer, now: 1) }
                    .isEmpty)
        #expect((0..<4).filter { _ in Self.limiter(slip: 2, logOnly: true).noteLimited(client: client, kind: .answer,
                                                                                   now: 1) }.isEmpty)
    }

    /// Many workers on one table: the account is kept (never more than the rate let through).
    @Test func concurrentAccountingLetsThroughAtMostTheRate() async {
        let l = Self.limiter(rate: 100, window: 10)
        let allowed = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask { 1000 - Self.limited(l, "192.0.2.1", count: 1000, now: 500) }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 100)
    }

    @Test func oneLineASecondSaysWhatIsLimited() {
        let lines = LineBox()
        var s = RateLimitSettings()
        s.exempt = []
        let l = ResponseRateLimiter(settings: s, log: { lines.append($0) })
        for _ in 0..<10 { _ = l.noteLimited(client: IPAddress("192.0.2.77")!, kind: .nxDomain, now: 9) }
        _ = l.noteLimited(client: IPAddress("192.0.2.77")!, kind: .nxDomain, now: 10)
        #expect(lines.all.count == 2, "\(lines.all)")
        #expect(lines.all.first?.contains("nxdomain responses to 192.0.2.0/24 dropped, 1 in 2 sent truncated") == true,
                "\(lines.all)")
    }
}

final class LineBox: Sendable {
    private let lines = Mutex<[String]>([])
    func append(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}
