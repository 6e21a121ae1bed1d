import FormAuthority
import GeoIP
import NIOCore

/// The authority snapshot one event loop answers from, and that loop's GeoDNS answer cache.
///
/// Only touched on its own event loop (it is always reached through `NIOLoopBound`), so the read
/// path takes no lock and no atomic: a reload hands each loop its new snapshot with `execute`.
final class LoopState {
    var builder: ResponseBuilder {
        didSet { geoCache.clear() }  // answers cached under the old pools must not outlive them
    }
    let geoCache = GeoAnswerCache()
    init(builder: ResponseBuilder) { self.builder = builder }
}

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
