import Foundation

@_silgen_name("LLVMFuzzerRunDriver")
func runDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

/// Each target's main. SwiftPM names an executable's entry point itself and links it as main,
/// beside libFuzzer's own main (linked whole by -sanitize=fuzzer); scripts/fuzz lets the linker
/// keep one. Whichever it keeps runs libFuzzer's driver on the same body, the target's
/// LLVMFuzzerTestOneInput, passed here as `body`.
public func runLibFuzzer(_ body: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Never {
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(runDriver(&argc, &argv, body))
}
