import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A process a test starts and watches itself: posix_spawn, then waitpid on its own pid.
/// Not Foundation's Process: its exit watch was seen to miss a child's exit when many children
/// ended at once (a fresh-clone CI run hung in waitUntilExit, another waited out a timeout on
/// `isRunning`). Output goes to files, never pipes, so a grandchild that keeps them open cannot
/// hold a read either. The child inherits no descriptor but 0, 1 and 2, and starts with no signal
/// blocked (a test runner's blocked mask would otherwise be inherited: NSD then never sees
/// SIGTERM); signals the runner ignores stay ignored, as with Foundation's Process.
public final class ChildProcess: Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public let processIdentifier: pid_t
    /// The raw wait status once reaped.
    private let reaped = Mutex<Int32?>(nil)

    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    /// glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not
    /// export (it is a GNU extension).
    static let closeFrom: CloseFrom? = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    /// Starts `executable` (an absolute path) with `arguments`; stdin is `input` (or /dev/null), stdout
    /// goes to `output` (created or truncated) and stderr to `errors`, or to `output` as well when nil.
    /// `environment` is added to this process's own.
    public init(executable: String, arguments: [String], environment: [String: String] = [:],
                input: String = "/dev/null", output: String, errors: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        if let errors {
            posix_spawn_file_actions_addopen(&actions, 2, errors, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o644)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Nothing but 0, 1 and 2 is inherited: the test process holds other tests' sockets, and a
        // child holding them would keep their ports and replies (Foundation's Process closes them too).
        if let closeFrom = Self.closeFrom {
            _ = closeFrom(&actions, 3)
        } else {
            let open = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
            for fd in open.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for a in argv { free(a) } }
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        let envp = variables.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for e in envp { free(e) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw ChildProcessError("cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        processIdentifier = pid
    }

    /// Runs a command to completion: its exit status and its stdout and stderr together. One still
    /// running after `timeout` seconds is stopped (SIGTERM, SIGKILL 2 s later) and the call throws
    /// with the output so far, so a command that hangs fails its test instead of the run.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           input: String? = nil, timeout: Double = 30) throws -> (status: Int32, output: String) {
        let base = NSTemporaryDirectory() + "form-child-" + UUID().uuidString
        defer { for f in [".in", ".out"] { try? FileManager.default.removeItem(atPath: base + f) } }
        if let input { try input.write(toFile: base + ".in", atomically: false, encoding: .utf8) }
        let child = try ChildProcess(executable: executable, arguments: arguments, environment: environment,
                                     input: input == nil ? "/dev/null" : base + ".in", output: base + ".out")
        let finished = child.wait(seconds: timeout)
        if !finished {
            child.terminate()
            if !child.wait(seconds: 2) { child.signal(SIGKILL) }
            child.waitUntilExit()
        }
        let output = String(decoding: FileManager.default.contents(atPath: base + ".out") ?? Data(), as: UTF8.self)
        guard finished else {
            let command = ([executable] + arguments).joined(separator: " ")
            throw ChildProcessError("\(command) was still running after \(timeout) s (killed); output:\n\(output)")
        }
        return (child.terminationStatus, output)
    }

    /// Whether the child has not ended yet; reaps it when it has.
    public var isRunning: Bool {
        reaped.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            let r = waitpid(processIdentifier, &raw, WNOHANG)
            if r == processIdentifier {
                status = raw
                return false
            }
            // -1: not our child any more (ECHILD), so it has ended; its status is unknown.
            if r == -1 && errno != EINTR {
                status = -1
                return false
            }
            return true
        }
    }

    public func terminate() { kill(processIdentifier, SIGTERM) }

    public func signal(_ number: Int32) { kill(processIdentifier, number) }

    /// Waits up to `seconds` for the child to end; whether it did.
    @discardableResult
    public func wait(seconds: Double) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while isRunning {
            if Date() >= deadline { return false }
            usleep(5_000)
        }
        return true
    }

    /// Waits until the child ends (polls its own pid; never misses the exit).
    public func waitUntilExit() {
        while isRunning { usleep(5_000) }
    }

    /// The exit code, or the signal number that ended it (as Foundation's Process); -1 before it ends.
    public var terminationStatus: Int32 {
        guard let raw = reaped.withLock({ $0 }), raw >= 0 else { return -1 }
        // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import as functions.
        return raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
    }

    public var terminationReason: TerminationReason {
        guard let raw = reaped.withLock({ $0 }), raw >= 0 else { return .exit }
        return raw & 0x7f == 0 ? .exit : .uncaughtSignal
    }
}

public struct ChildProcessError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
