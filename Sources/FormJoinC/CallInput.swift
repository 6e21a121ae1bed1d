import FormJoin
import Foundation

/// A call's name and options as C gave them, checked: NULL, text that is not UTF-8 and bad
/// options are refused with a message (never a crash).
struct CallInput {
    let name: String
    let json: Data?

    init(name: UnsafePointer<CChar>?, options: UnsafePointer<CChar>?) throws(JoinError) {
        guard let name else { throw .badInput("name is NULL") }
        guard let text = String(validatingCString: name) else { throw .badInput("name is not UTF-8") }
        self.name = text
        if let options {
            guard let json = String(validatingCString: options) else { throw .badInput("options are not UTF-8") }
            self.json = Data(json.utf8)
        } else {
            self.json = nil
        }
    }

    var options: (JoinOptions, WatchSettings) {
        get throws(JoinError) {
            let (inputs, settings) = try json.map(JoinInputs.parse(json:)) ?? (JoinInputs(), WatchSettings())
            return (try inputs.options(name: name), settings)
        }
    }
}

/// Runs async work to its end from a thread outside Swift's concurrency pool (a C caller's),
/// blocking that thread. Not for a pool thread: it would hold it while the work needs it.
func blockOn<T: Sendable>(_ work: @escaping @Sendable () async -> T) -> T {
    let done = DispatchSemaphore(value: 0)
    let result = ResultBox<T>()
    Task {
        result.value = await work()
        done.signal()
    }
    done.wait()
    return result.value!
}

/// The result handed from the task to the blocked thread.
// @unchecked Sendable: written once by the task before `done.signal()`, read once by the waiting
// thread after `done.wait()`; the semaphore orders the two, so they never overlap.
final class ResultBox<T>: @unchecked Sendable {
    var value: T?
}
