import GeoIP
import NetAddress
import NIOCore

extension IPAddress {
    /// The IP of a socket address; IPv4-mapped IPv6 (from dual-stack sockets) becomes IPv4.
    init?(_ address: SocketAddress?) {
        switch address {
        case .v4(let a)?:
            let raw = UInt32(bigEndian: a.address.sin_addr.s_addr)
            self.init(high: UInt64(raw) << 32, low: 0, isIPv4: true)
        case .v6(let a)?:
            var sin6 = a.address.sin6_addr
            guard let v6 = IPAddress(bytes: withUnsafeBytes(of: &sin6) { Array($0) }) else { return nil }
            self = v6.unmapped
        default:
            return nil
        }
    }
}
