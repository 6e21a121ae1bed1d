// FormJoinC: FormJoin's C ABI (include/formjoin.h), for formnet (Rust) and any other C caller.
// A thin shell: C strings and callbacks in, FormJoin's JSON out. The rules of ownership and
// threading are in the header; this file keeps them.

import FormJoin
import Foundation

@_cdecl("formjoin_abi_version")
public func formjoin_abi_version() -> Int32 { 1 }

@_cdecl("formjoin_free")
public func formjoin_free(_ string: UnsafeMutablePointer<CChar>?) {
    free(string)
}

@_cdecl("formjoin_peers")
public func formjoin_peers(
    _ name: UnsafePointer<CChar>?, _ optionsJSON: UnsafePointer<CChar>?,
    _ peerSetJSON: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
    _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> Int32 {
    peerSetJSON?.pointee = nil
    error?.pointee = nil
    let options: JoinOptions
    do { options = try CallInput(name: name, options: optionsJSON).options.0 } catch let problem {
        error?.pointee = strdup(problem.description)
        return JoinExitCode.usage.rawValue
    }
    let outcome = blockOn { await JoinPlanner.run(options) }
    peerSetJSON?.pointee = strdup(outcome.peerSet.json())
    if let failure = outcome.failure { error?.pointee = strdup(failure) }
    return outcome.exitCode.rawValue
}

public typealias WatchCallback = @convention(c) (UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void

@_cdecl("formjoin_watch_start")
public func formjoin_watch_start(
    _ name: UnsafePointer<CChar>?, _ optionsJSON: UnsafePointer<CChar>?, _ callback: WatchCallback?,
    _ context: UnsafeMutableRawPointer?, _ error: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
) -> OpaquePointer? {
    error?.pointee = nil
    guard let callback else {
        error?.pointee = strdup("callback is NULL")
        return nil
    }
    let options: (JoinOptions, WatchSettings)
    do { options = try CallInput(name: name, options: optionsJSON).options } catch let problem {
        error?.pointee = strdup(problem.description)
        return nil
    }
    do {
        let watch = try CallbackWatch(options: options.0, settings: options.1, callback: callback, context: context)
        return OpaquePointer(Unmanaged.passRetained(watch).toOpaque())
    } catch let problem {
        error?.pointee = strdup(problem.description)
        return nil
    }
}

@_cdecl("formjoin_watch_stop")
public func formjoin_watch_stop(_ handle: OpaquePointer?) {
    guard let handle else { return }
    let watch = Unmanaged<CallbackWatch>.fromOpaque(UnsafeRawPointer(handle)).takeRetainedValue()
    watch.stop()
}
