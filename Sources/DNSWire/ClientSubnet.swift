/// The EDNS Client Subnet option (RFC 7871 section 6), option code 8.
///
///     FAMILY                  2 octets, address family (1 = IPv4, 2 = IPv6)
///     SOURCE PREFIX-LENGTH    1 octet, leftmost bits of ADDRESS the client supplied
///     SCOPE PREFIX-LENGTH     1 octet, leftmost bits the answer covers (0 in queries)
///     ADDRESS                 ceil(SOURCE / 8) octets, network byte order
///
/// "ADDRESS ... MUST be truncated to the number of bits indicated by the SOURCE PREFIX-LENGTH
/// field, padding with 0 bits to pad to the end of the last octet ... If the [address] bits beyond
/// SOURCE PREFIX-LENGTH are not zero, or the family is unknown, or prefix lengths exceed the
/// family's address length, a server MUST return FORMERR" (sections 6 and 7.1.1).
public struct ClientSubnet: Hashable, Sendable {
    public static let optionCode: UInt16 = 8

    public enum Family: UInt16, Sendable {
        case ipv4 = 1
        case ipv6 = 2
        public var bitLength: Int { self == .ipv4 ? 32 : 128 }
    }

    public var family: Family
    public var sourcePrefixLength: UInt8
    public var scopePrefixLength: UInt8
    /// Exactly ceil(sourcePrefixLength / 8) octets, bits past the prefix zero.
    public private(set) var address: [UInt8]

    /// Builds an option from a full address (4 or 16 octets), truncating it to `sourcePrefixLength`.
    public init?(family: Family, fullAddress: [UInt8], sourcePrefixLength: UInt8, scopePrefixLength: UInt8 = 0) {
        guard fullAddress.count * 8 == family.bitLength, Int(sourcePrefixLength) <= family.bitLength,
            Int(scopePrefixLength) <= family.bitLength
        else { return nil }
        self.family = family
        self.sourcePrefixLength = sourcePrefixLength
        self.scopePrefixLength = scopePrefixLength
        self.address = ClientSubnet.mask(fullAddress, to: Int(sourcePrefixLength))
    }

    /// Parses and validates option data per RFC 7871 section 6; nil if it breaks a MUST.
    public init?(optionData d: [UInt8]) {
        guard d.count >= 4, let family = Family(rawValue: UInt16(d[0]) << 8 | UInt16(d[1])) else { return nil }
        let source = Int(d[2]), scope = Int(d[3])
        guard source <= family.bitLength, scope <= family.bitLength else { return nil }
        let address = Array(d[4...])
        guard address.count == (source + 7) / 8 else { return nil }
        guard ClientSubnet.mask(address, to: source) == address else { return nil }
        self.family = family
        self.sourcePrefixLength = UInt8(source)
        self.scopePrefixLength = UInt8(scope)
        self.address = address
    }

    public var optionData: [UInt8] {
        [UInt8(family.rawValue >> 8), UInt8(family.rawValue & 0xFF), sourcePrefixLength, scopePrefixLength] + address
    }

    /// The address padded with zeros to the family's full length (4 or 16 octets).
    public var fullAddress: [UInt8] {
        address + [UInt8](repeating: 0, count: family.bitLength / 8 - address.count)
    }

    /// The same option with a different scope, as an authority returns it (section 7.2.1).
    public func withScope(_ scope: UInt8) -> ClientSubnet {
        var copy = self
        copy.scopePrefixLength = UInt8(min(Int(scope), family.bitLength))
        return copy
    }

    /// Keeps the first `bits` bits: drops whole octets past them and zeroes the rest of the last.
    static func mask(_ bytes: [UInt8], to bits: Int) -> [UInt8] {
        var out = Array(bytes.prefix((bits + 7) / 8))
        if bits % 8 != 0, !out.isEmpty {
            out[out.count - 1] &= UInt8(truncatingIfNeeded: 0xFF << (8 - bits % 8))
        }
        return out
    }
}
