import FormJoin
import Foundation
import Synchronization

/// A `PeerWatch` whose emissions go to a C callback, one at a time, in order, on a serial dispatch
/// queue of its own (not always the same thread), so a slow callback never holds a concurrency-pool
/// thread or delays the probes.
final class CallbackWatch: Sendable {
    private let task: Task<Void, Never>
    private let queue: DispatchQueue
    private let stopped: Stopped
    private static let onQueue = DispatchSpecificKey<ObjectIdentifier>()

    init(options: JoinOptions, settings: WatchSettings, callback: WatchCallback, context: UnsafeMutableRawPointer?)
        throws(JoinError)
    {
        let queue = DispatchQueue(label: "formjoin.watch.callback")
        let stopped = Stopped()
        // Before the first callback can run: stop() called from it must know it is on this queue.
        queue.setSpecific(key: Self.onQueue, value: ObjectIdentifier(stopped))
        let caller = Caller(callback: callback, context: context)
        let watch = try PeerWatch(options: options, settings: settings)
        task = Task {
            await watch.run { emission in
                let line = emission.jsonLine()
                queue.async {
                    // A callback queued before stop() but not yet run must not run after stop() returns.
                    guard !stopped.isSet else { return }
                    line.withCString { caller.callback($0, caller.context) }
                }
            }
        }
        self.queue = queue
        self.stopped = stopped
    }

    /// No callback runs once this returns. From the callback itself: the current one is the caller.
    func stop() {
        stopped.set()
        task.cancel()
        if DispatchQueue.getSpecific(key: Self.onQueue) == ObjectIdentifier(stopped) { return }
        // Waits for a callback under way; later ones see `stopped` and return.
        queue.sync {}
    }
}

/// The caller's callback and its `void *context`, which is handed back and never dereferenced here.
// @unchecked Sendable: both are carried from formjoin_watch_start to the callback queue and only
// used there; a C function pointer has no state, and what the context points to is the caller's,
// used only by its callback, which runs on one queue one call at a time (the header's rule).
struct Caller: @unchecked Sendable {
    let callback: WatchCallback
    let context: UnsafeMutableRawPointer?
}

/// Set once, by stop(); read by the callback queue.
final class Stopped: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
