import Foundation

/// Runs blocking socket work on a thread of `BlockingThreads` and resumes the caller when it is done.
///
/// Not on Dispatch's global queue: on Linux its pool is sized to the CPU count and does not grow
/// for threads blocked in poll(), so a few unreachable candidates waiting out their timeouts
/// would delay every other probe (and skew the RTTs we measure).
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { cont in
        BlockingThreads.shared.run { cont.resume(returning: body()) }
    }
}

/// Threads for blocking work that grow with the demand and are reused: a job runs at once on an
/// idle thread, or on a new one when none is idle (so no job ever waits behind another's poll()),
/// and a thread idle for `keepIdle` seconds ends. A join makes a few dozen such jobs; a process
/// that joins a thousand times (formnet through the C ABI) reuses a handful of threads instead of
/// making and ending thousands (which also tripped LeakSanitizer's thread registry in the tests).
final class BlockingThreads: @unchecked Sendable {
    // @unchecked Sendable: `jobs` and `waiting` are read and written only with `condition` locked;
    // `keepIdle` is immutable.
    static let shared = BlockingThreads(keepIdle: 10)

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    /// Threads waiting for a job (each counts itself out when it wakes, whatever woke it).
    private var waiting = 0
    private let keepIdle: TimeInterval

    init(keepIdle: TimeInterval) { self.keepIdle = keepIdle }

    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        // Enough threads waiting for every queued job: wake one. Else a new thread, at once.
        let wake = waiting >= jobs.count
        if wake { condition.signal() }
        condition.unlock()
        guard !wake else { return }
        let thread = Thread { self.work() }
        thread.stackSize = 256 * 1024
        thread.start()
    }

    private func work() {
        condition.lock()
        while true {
            if !jobs.isEmpty {
                let job = jobs.removeFirst()
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            waiting += 1
            let signalled = condition.wait(until: Date().addingTimeInterval(keepIdle))
            waiting -= 1
            // Timed out with nothing to do: end. (A job queued meanwhile is taken above.)
            if !signalled && jobs.isEmpty { break }
        }
        condition.unlock()
    }
}
