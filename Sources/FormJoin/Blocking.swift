import Foundation

/// Runs blocking socket work on its own thread and resumes the caller when it is done.
///
/// Not on Dispatch's global queue: on Linux its pool is sized to the CPU count and does not grow
/// for threads blocked in poll(), so a few unreachable candidates waiting out their timeouts
/// would delay every other probe (and skew the RTTs we measure).
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { cont in
        let thread = Thread { cont.resume(returning: body()) }
        thread.stackSize = 256 * 1024
        thread.start()
    }
}
