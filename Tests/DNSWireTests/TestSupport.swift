import DNSWire
import Foundation
import NIOCore
import PropertyBased

func buffer(_ bytes: [UInt8]) -> ByteBuffer {
    var b = ByteBufferAllocator().buffer(capacity: bytes.count)
    b.writeBytes(bytes)
    return b
}

func bytes(_ b: ByteBuffer) -> [UInt8] { b.getBytes(at: b.readerIndex, length: b.readableBytes) ?? [] }

/// Encodes RDATA alone and decodes it back.
func roundTrip(_ data: RData) throws -> RData {
    var w = DNSWireWriter(capacity: 64)
    data.encode(to: &w)
    var r = DNSWireReader(w.buffer)
    let decoded = try RData.decode(type: data.type, from: &r, length: w.count)
    return decoded
}

/// A query message in wire form.
func queryBytes(id: UInt16 = 0x1234, name: String, type: RecordType, edns: EDNS? = nil, flags: UInt16 = 0x0100) throws -> [UInt8] {
    let m = DNSMessage(header: DNSHeader(id: id, flags: flags), questions: [DNSQuestion(name: DNSName(stringLiteral: name), type: type)], edns: edns)
    return bytes(try m.encode())
}

/// The seed of this target's random tests: `$FORM_TEST_SEED` when set (decimal or 0x-hex), else a
/// fresh one. It is printed once, and every failure of a random test names it with the failing
/// input, so `FORM_TEST_SEED=<seed> swift test --filter <test>` replays the exact run.
enum TestSeed {
    static let value: UInt64 = {
        let text = ProcessInfo.processInfo.environment["FORM_TEST_SEED"] ?? ""
        let given = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        if !text.isEmpty && given == nil { print("FORM_TEST_SEED=\(text) is not a number: using a fresh seed") }
        let seed = given ?? UInt64.random(in: 0...UInt64.max)
        print("DNSWireTests random seed: \(seed) (replay with FORM_TEST_SEED=\(seed))")
        return seed
    }()

    static var replay: String { "replay with FORM_TEST_SEED=\(value)" }

    /// A generator for one test: the seed mixed with the test's name (FNV-1a), expanded by
    /// SplitMix64, so each test has its own stream whatever the order tests run in.
    static func rng(_ test: String) -> Xoshiro {
        var state = value
        for b in test.utf8 { state = (state ^ UInt64(b)) &* 0x100000001b3 }
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Xoshiro(seed: (next(), next(), next(), next()))
    }
}

/// "0a 1b ..." for failure messages.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }
        .joined(separator: " ")
}
