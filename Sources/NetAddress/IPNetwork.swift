/// A CIDR network such as `10.0.0.0/8` or `fd00::/8`.
public struct IPNetwork: Hashable, Sendable, CustomStringConvertible {
    public var address: IPAddress
    public var prefixLength: Int

    public init(address: IPAddress, prefixLength: Int) {
        self.address = address.masked(to: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `ADDRESS/PREFIX` (a bare address is a host route). Host bits must be zero.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let a = IPAddress(String(parts[0])) else { return nil }
        let prefix = parts.count == 2 ? Int(parts[1]) : a.bitLength
        guard let prefix, prefix >= 0, prefix <= a.bitLength, a.masked(to: prefix) == a else { return nil }
        self.init(address: a, prefixLength: prefix)
    }

    public func contains(_ a: IPAddress) -> Bool {
        a.isIPv4 == address.isIPv4 && a.masked(to: prefixLength) == address
    }

    public var description: String { "\(address)/\(prefixLength)" }
}
