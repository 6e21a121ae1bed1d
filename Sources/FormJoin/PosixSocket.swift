import DNSWire
import Foundation
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

/// Monotonic time in seconds.
public func monotonicNow() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// A blocking-with-deadline socket: every wait is a `poll` bounded by the caller's deadline.
///
/// The descriptor is closed by `deinit` only, also when an initializer throws: once `fd` is set,
/// Swift runs `deinit` for a throwing class initializer, so closing it there as well would close
/// the number twice, and the second time it may already belong to another thread's socket.
final class PosixSocket {
    let fd: Int32

    init(udpFor endpoint: Endpoint) throws {
        fd = socket(endpoint.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        // connect() on UDP: the kernel then drops datagrams from any other address or port, binds
        // a fresh random ephemeral source port for this query, and reports an ICMP port
        // unreachable as ECONNREFUSED on the next receive.
        let rc = try endpoint.withSockaddr { Glibc.connect(fd, $0, $1) }
        guard rc == 0 else { throw SocketError.system("connect", errno) }
    }

    /// Starts a non-blocking TCP connect and waits for it until `deadline`.
    init(tcpTo endpoint: Endpoint, deadline: Double) throws {
        fd = socket(endpoint.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError.system("socket", errno) }
        let flags = fcntl(fd, F_GETFL, 0)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = try endpoint.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc != 0 && errno != EINPROGRESS { throw SocketError.system("connect", errno) }
        if rc != 0 {
            guard try wait(for: Int16(POLLOUT), until: deadline) else { throw SocketError.timeout }
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
            if err != 0 { throw SocketError.system("connect", err) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Waits for `events` until `deadline`; false on timeout.
    func wait(for events: Int16, until deadline: Double) throws -> Bool {
        while true {
            let remaining = deadline - monotonicNow()
            if remaining <= 0 { return false }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let rc = poll(&p, 1, Int32(max(1, (remaining * 1000).rounded(.up))))
            if rc > 0 { return true }
            if rc == 0 { return false }
            if errno != EINTR { throw SocketError.system("poll", errno) }
        }
    }

    func send(_ bytes: [UInt8], deadline: Double) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                offset += n
                continue
            }
            if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                guard try wait(for: Int16(POLLOUT), until: deadline) else { throw SocketError.timeout }
                continue
            }
            throw SocketError.system("send", errno)
        }
    }

    /// One datagram (or whatever a stream has ready, up to `max`); nil on timeout, [] on EOF.
    func receive(max: Int, deadline: Double) throws -> [UInt8]? {
        guard try wait(for: Int16(POLLIN), until: deadline) else { return nil }
        var buf = [UInt8](repeating: 0, count: max)
        let n = recv(fd, &buf, max, Int32(MSG_DONTWAIT))
        if n < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return try receive(max: max, deadline: deadline) }
            throw SocketError.system("recv", errno)
        }
        return Array(buf[0..<n])
    }

    /// Exactly `count` octets from a stream.
    func receiveExactly(_ count: Int, deadline: Double) throws -> [UInt8] {
        var out: [UInt8] = []
        while out.count < count {
            guard let chunk = try receive(max: count - out.count, deadline: deadline) else { throw SocketError.timeout }
            if chunk.isEmpty { throw SocketError.closed }
            out += chunk
        }
        return out
    }
}

public enum SocketError: Error, Equatable, CustomStringConvertible {
    case system(String, Int32)
    case timeout
    case closed
    /// Not a literal address, or (the reason given) a zone index naming no interface.
    case invalidAddress(String, reason: String? = nil)

    /// The peer (or nothing at all) answered "nobody listens here": TCP RST or ICMP port unreachable.
    public var isConnectionRefused: Bool {
        if case .system(_, let e) = self { return e == ECONNREFUSED }
        return false
    }

    public var description: String {
        switch self {
        case .system(let call, let e): return "\(call): \(String(cString: strerror(e)))"
        case .timeout: return "timed out"
        case .closed: return "connection closed"
        case .invalidAddress(let host, let reason): return "'\(host)' " + (reason ?? "is not an IPv4 or IPv6 address")
        }
    }
}
