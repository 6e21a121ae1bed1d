import FormAuthority
import Testing

/// SipHash-2-4 against the reference implementation's vectors (key 00..0f, message 00..n-1).
@Suite struct SipHash24Tests {
    @Test(arguments: [
        (0, 0x726f_db47_dd0e_0e31 as UInt64), (1, 0x74f8_39c5_93dc_67fd), (2, 0x0d6c_8009_d9a9_4f5a),
        (15, 0xa129_ca61_49be_45e5), (63, 0x958a_324c_eb06_4572),
    ])
    func referenceVectors(length: Int, expected: UInt64) throws {
        let key = try #require(SipHash24(key: Array(0..<16)))
        let message = (0..<length).map { UInt8($0) }
        #expect(message.withUnsafeBytes { key.hash($0) } == expected)
    }

    @Test func onlySixteenOctetKeys() {
        #expect(SipHash24(key: Array(repeating: 1, count: 15)) == nil)
        #expect(SipHash24(key: Array(repeating: 1, count: 17)) == nil)
    }
}
