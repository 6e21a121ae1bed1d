import Synchronization

/// A sleep that `wake()` cuts short: a watch waits on it between rounds, and a reload (SIGHUP)
/// wakes it so new inputs take effect at once rather than after the probe interval.
///
/// A wake with nobody sleeping is kept for the next sleep, so one arriving between two rounds
/// is not lost.
final class Wakeup: Sendable {
    private struct State {
        var sleeper: CheckedContinuation<Void, Never>?
        var timer: Task<Void, Never>?
        var pending = false
        /// Which sleep a timer belongs to: a timer that lost the race to `wake()` must not end the next sleep.
        var generation = 0
    }
    private let state = Mutex(State())

    init() {}

    func wake() {
        let (sleeper, timer) = state.withLock { s -> (CheckedContinuation<Void, Never>?, Task<Void, Never>?) in
            guard let sleeper = s.sleeper else {
                s.pending = true
                return (nil, nil)
            }
            s.sleeper = nil
            defer { s.timer = nil }
            return (sleeper, s.timer)
        }
        timer?.cancel()
        sleeper?.resume()
    }

    /// Sleeps `seconds`, or until `wake()`, or until the task is cancelled.
    func sleep(_ seconds: Double) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let woken = state.withLock { s -> Bool in
                    if s.pending {
                        s.pending = false
                        return true
                    }
                    s.generation += 1
                    s.sleeper = continuation
                    let generation = s.generation
                    s.timer = Task { [self] in
                        try? await Task.sleep(nanoseconds: UInt64(max(0, seconds) * 1e9))
                        ring(generation)
                    }
                    return false
                }
                if woken { continuation.resume() }
            }
        } onCancel: {
            wake()
        }
    }

    private func ring(_ generation: Int) {
        let sleeper = state.withLock { s -> CheckedContinuation<Void, Never>? in
            guard s.generation == generation, let sleeper = s.sleeper else { return nil }
            s.sleeper = nil
            s.timer = nil
            return sleeper
        }
        sleeper?.resume()
    }
}
