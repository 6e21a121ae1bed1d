/// SipHash-2-4 (Aumasson and Bernstein, 2012), the keyed hash RFC 9018 section 4.4 requires for
/// interoperable server cookies. Written here because swift-crypto has no SipHash, and the cookie
/// must be bit-for-bit what other servers of a fleet (BIND, Knot, unbound) compute from the same
/// secret. Checked against the reference implementation's vectors (`SipHash24Tests`).
public struct SipHash24: Sendable, Equatable {
    /// The 128-bit key as the reference reads it: two little-endian words.
    public let k0: UInt64
    public let k1: UInt64

    public init(k0: UInt64, k1: UInt64) {
        self.k0 = k0
        self.k1 = k1
    }

    /// A key of 16 octets; nil for any other length.
    public init?(key: [UInt8]) {
        guard key.count == 16 else { return nil }
        k0 = Self.littleEndian(key, 0)
        k1 = Self.littleEndian(key, 8)
    }

    static func littleEndian(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(0) { $0 | UInt64(b[at + $1]) << UInt64(8 * $1) }
    }

    /// The hash of `message`; the reference outputs its octets little-endian.
    public func hash(_ message: UnsafeRawBufferPointer) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ k0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ k1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ k0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ k1
        @inline(__always) func round() {
            v0 &+= v1
            v1 = v1.rotatedLeft(13) ^ v0
            v0 = v0.rotatedLeft(32)
            v2 &+= v3
            v3 = v3.rotatedLeft(16) ^ v2
            v0 &+= v3
            v3 = v3.rotatedLeft(21) ^ v0
            v2 &+= v1
            v1 = v1.rotatedLeft(17) ^ v2
            v2 = v2.rotatedLeft(32)
        }
        let n = message.count
        var i = 0
        while i + 8 <= n {
            var m: UInt64 = 0
            for k in 0..<8 { m |= UInt64(message[i + k]) << UInt64(8 * k) }
            v3 ^= m
            round()
            round()
            v0 ^= m
            i += 8
        }
        var last = UInt64(truncatingIfNeeded: n) << 56
        for k in 0..<(n - i) { last |= UInt64(message[i + k]) << UInt64(8 * k) }
        v3 ^= last
        round()
        round()
        v0 ^= last
        v2 ^= 0xff
        for _ in 0..<4 { round() }
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always)
    func rotatedLeft(_ n: UInt64) -> UInt64 { self << n | self >> (64 - n) }
}
