import NIOCore

/// When each node's next check is due, on a timer wheel of 10 ms slots driven by one repeated task
/// of the checker's loop. Not one NIO timer per node: NIO keeps scheduled tasks in one heap and
/// cancels a task by searching it, and every TCP connect schedules a timeout it then cancels, so
/// 10,000 node timers in that heap made each check pay a scan of 10,000 entries.
final class CheckWheel: @unchecked Sendable {
    // @unchecked Sendable: `slots`, `current` and `ticker` are touched only on `loop` (`add` and
    // `stop` are called there, and the ticker runs there); `loop` is immutable.
    let loop: EventLoop
    static let slotNanoseconds: UInt64 = 10_000_000
    private var slots: [UInt64: [() -> Void]] = [:]
    private var current: UInt64
    private var ticker: RepeatedTask?

    init(loop: EventLoop) {
        self.loop = loop
        current = NIODeadline.now().uptimeNanoseconds / Self.slotNanoseconds
    }

    /// Runs `action` on the loop at `deadline` (to the next 10 ms); call on the loop.
    func add(at deadline: NIODeadline, _ action: @escaping () -> Void) {
        loop.preconditionInEventLoop()
        let slot = max(deadline.uptimeNanoseconds / Self.slotNanoseconds, current)
        slots[slot, default: []].append(action)
        if ticker == nil {
            let slot = TimeAmount.nanoseconds(Int64(Self.slotNanoseconds))
            ticker = loop.scheduleRepeatedTask(initialDelay: slot, delay: slot) { _ in self.tick() }
        }
    }

    /// Stops the ticker; what is still waiting never runs. Call on the loop.
    func stop() {
        ticker?.cancel()
        ticker = nil
        slots = [:]
    }

    private func tick() {
        let now = NIODeadline.now().uptimeNanoseconds / Self.slotNanoseconds
        while current <= now {
            if let due = slots.removeValue(forKey: current) {
                for action in due { action() }
            }
            current += 1
        }
    }
}
