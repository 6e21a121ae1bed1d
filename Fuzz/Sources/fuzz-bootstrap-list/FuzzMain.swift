import FormFuzz
import FuzzDriver

/// The input libFuzzer hands over, to this target's body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.bootstrapList.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

@main struct FuzzMain {
    static func main() { runLibFuzzer(fuzzOne) }
}
