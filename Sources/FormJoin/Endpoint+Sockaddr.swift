import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

extension Endpoint {
    /// Calls `body` with this endpoint as a C sockaddr; throws, without calling it, if `host` is
    /// not a literal address (nothing is ever sent to 0.0.0.0 in its place).
    func withSockaddr<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) throws -> T {
        do { return try SockaddrText.with(host: host, port: port, body) } catch {
            throw SocketError.invalidAddress(host, reason: error.reason)
        }
    }
}
