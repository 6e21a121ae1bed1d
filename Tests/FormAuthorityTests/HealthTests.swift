import FormAuthority
import Testing

/// The health state machine and TTL function with an injected clock: no sleeping.
@Suite struct HealthTests {
    let policy = HealthPolicy(rise: 2, fall: 3)

    @Test func coldStartIsNotAnOutage() {
        let h = NodeHealth()
        #expect(h.state == .unknown)
        #expect(h.effective(policy: policy) == .healthy)
        #expect(h.effective(policy: HealthPolicy(unknownAs: .unhealthy)) == .unhealthy)
    }

    @Test func firstCheckDecidesThenHysteresis() {
        var h = NodeHealth()
        #expect(h.record(ok: true, at: 0, detail: "ok", policy: policy)?.to == .healthy)
        // fall = 3: two failures keep it up, the third takes it down.
        #expect(h.record(ok: false, at: 1, detail: "refused", policy: policy) == nil)
        #expect(h.checksUntilPossibleChange(policy: policy) == 2)
        #expect(h.record(ok: false, at: 2, detail: "refused", policy: policy) == nil)
        #expect(h.checksUntilPossibleChange(policy: policy) == 1)
        let down = h.record(ok: false, at: 3, detail: "refused", policy: policy)
        #expect(down?.to == .unhealthy && down?.at == 3 && down?.reason.contains("3 consecutive failed") == true)
        // rise = 2: one success is not enough.
        #expect(h.record(ok: true, at: 4, detail: "ok", policy: policy) == nil)
        #expect(h.record(ok: true, at: 5, detail: "ok", policy: policy)?.to == .healthy)
        #expect(h.transitions.map(\.to) == [.healthy, .unhealthy, .healthy])
    }

    @Test func flappingDoesNotFlip() {
        var h = NodeHealth()
        h.record(ok: true, at: 0, detail: "ok", policy: policy)
        for t in 1...20 { h.record(ok: t % 2 == 0, at: Double(t), detail: "flap", policy: policy) }
        #expect(h.state == .healthy)
        #expect(h.transitions.count == 1)
    }

    @Test func overrides() {
        var h = NodeHealth()
        h.record(ok: true, at: 0, detail: "ok", policy: policy)
        h.override = .drain
        #expect(h.effective(policy: policy) == .unhealthy)
        h.override = .forceDown
        #expect(h.effective(policy: policy) == .unhealthy)
        h.override = nil
        for t in 1...3 { h.record(ok: false, at: Double(t), detail: "x", policy: policy) }
        h.override = .forceUp
        #expect(h.effective(policy: policy) == .healthy)
        #expect(h.checksUntilPossibleChange(policy: policy) == Int.max)
    }

    @Test func ttlShortensWithHealth() {
        let ttl = HealthTTLPolicy(full: 300, degraded: 60, minimum: 5, checkInterval: 0.5)
        #expect(ttl.ttl(answered: [.healthy, .healthy], failOpen: false, checksUntilChange: Int.max) == 300)
        #expect(ttl.ttl(answered: [.healthy, .degraded], failOpen: false, checksUntilChange: Int.max) == 60)
        #expect(ttl.ttl(answered: [.unhealthy], failOpen: true, checksUntilChange: Int.max) == 5)
        // A node one check from `fall` bounds the TTL to one interval, but never below the minimum.
        #expect(ttl.ttl(answered: [.healthy], failOpen: false, checksUntilChange: 1) == 5)
        let slow = HealthTTLPolicy(full: 300, degraded: 60, minimum: 5, checkInterval: 10)
        #expect(slow.ttl(answered: [.healthy], failOpen: false, checksUntilChange: 3) == 30)
    }
}
