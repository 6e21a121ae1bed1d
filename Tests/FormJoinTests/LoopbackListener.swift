#if canImport(Glibc)
import Glibc
#endif

/// A loopback TCP listener on a port the kernel picks. Nobody accepts: the kernel completes the
/// handshakes (enough for a tcp probe) and a ping probe gets no answer.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16
    init() {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        port = FakeDNSServer.bindLoopback(fd)
        listen(fd, 64)
    }
    deinit { close(fd) }
}
