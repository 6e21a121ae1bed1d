/// An IPv4 or IPv6 address as two left-aligned 64-bit words (IPv4 uses the top 32 bits of `high`),
/// the same layout `DNSQueryView` uses for the Client Subnet address, so no conversion is needed.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public var isIPv4: Bool

    public init(high: UInt64, low: UInt64, isIPv4: Bool) {
        self.high = high
        self.low = low
        self.isIPv4 = isIPv4
    }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        var h: UInt64 = 0, l: UInt64 = 0
        for (i, b) in bytes.enumerated() {
            if i < 8 { h |= UInt64(b) << UInt64(56 - 8 * i) } else { l |= UInt64(b) << UInt64(56 - 8 * (i - 8)) }
        }
        self.init(high: h, low: l, isIPv4: bytes.count == 4)
    }

    public init?(_ text: String) {
        if let b = IPAddressText.parseIPv4(text) ?? IPAddressText.parseIPv6(text) {
            self.init(bytes: b)
        } else {
            return nil
        }
    }

    /// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as dual-stack sockets report IPv4 peers)
    /// as the IPv4 address it stands for; any other address unchanged.
    public var unmapped: IPAddress {
        guard !isIPv4, high == 0, low >> 32 == 0xFFFF else { return self }
        return IPAddress(high: (low & 0xFFFF_FFFF) << 32, low: 0, isIPv4: true)
    }

    public var bitLength: Int { isIPv4 ? 32 : 128 }

    /// 127.0.0.0/8 or ::1 (an IPv4-mapped loopback address counts too).
    public var isLoopback: Bool {
        let a = unmapped
        return a.isIPv4 ? a.high >> 56 == 127 : (a.high == 0 && a.low == 1)
    }

    public var bytes: [UInt8] {
        (0..<(isIPv4 ? 4 : 16)).map { i in
            UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> UInt64(56 - 8 * (i % 8)))
        }
    }

    /// Bit `i` counted from the most significant (0-based).
    @inline(__always)
    public func bit(_ i: Int) -> Int {
        i < 64 ? Int((high >> UInt64(63 - i)) & 1) : Int((low >> UInt64(127 - i)) & 1)
    }

    /// The address with every bit from `prefixLength` on cleared.
    public func masked(to prefixLength: Int) -> IPAddress {
        var copy = self
        let p = max(0, min(prefixLength, bitLength))
        copy.high = p >= 64 ? high : (p == 0 ? 0 : high & ~(UInt64.max >> UInt64(p)))
        copy.low = p <= 64 ? 0 : (p >= 128 ? low : low & ~(UInt64.max >> UInt64(p - 64)))
        return copy
    }

    public var description: String { IPAddressText.format(bytes) }
}
