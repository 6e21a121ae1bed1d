import FormFuzz

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzTarget.bootstrapList.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}
