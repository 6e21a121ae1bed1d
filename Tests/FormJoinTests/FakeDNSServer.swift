import DNSWire
import Foundation
import NetAddress
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// A scriptable DNS server on a loopback UDP (and TCP) port, for resolver tests: for each query
/// the script returns the datagrams to send back (possibly several, possibly spoofed), in order.
final class FakeDNSServer: @unchecked Sendable {
    // @unchecked Sendable: `udp`, `tcp` and `port` are set once in init; the serving threads only
    // read them, and `stopped` is written under `lock`.
    let udp: Int32
    let tcp: Int32
    let port: Int
    private let lock = NSLock()
    private var stopped = false
    typealias Script = @Sendable (_ query: DNSMessage, _ raw: [UInt8], _ viaTCP: Bool) -> [[UInt8]]

    /// With `fromOtherPort`, UDP replies leave from a second socket (another source port), as an
    /// off-path spoofer's would; the client must not accept them.
    init(fromOtherPort: Bool = false, script: @escaping Script) throws {
        let spoofer = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        // The UDP port the kernel picks may be taken for TCP (by any process's connection or
        // listener): pick again until both bind, or a TCP retry meets nothing listening.
        var u: Int32 = -1, t: Int32 = -1, boundPort: UInt16 = 0
        for _ in 0..<100 {
            u = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
            t = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var one: Int32 = 1
            setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, 4)
            boundPort = FakeDNSServer.bindLoopback(u)
            let bound = (try? SockaddrText.with(host: "127.0.0.1", port: boundPort) { bind(t, $0, $1) }) == 0
            if bound, listen(t, 16) == 0 { break }
            close(u)
            close(t)
        }
        udp = u
        tcp = t
        port = Int(boundPort)
        let udp = u, tcp = t
        Thread { [weak self] in
            var buf = [UInt8](repeating: 0, count: 65535)
            while self?.isStopped == false {
                var peer = sockaddr_in()
                var plen = socklen_t(MemoryLayout<sockaddr_in>.size)
                var p = pollfd(fd: udp, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) == 1 else { continue }
                let n = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(udp, &buf, buf.count, 0, $0, &plen) } }
                guard n > 0, let q = FakeDNSServer.parse(Array(buf[0..<n])) else { continue }
                for reply in script(q, Array(buf[0..<n]), false) {
                    _ = reply.withUnsafeBytes { r in
                        withUnsafePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                            sendto(fromOtherPort ? spoofer : udp, r.baseAddress, r.count, 0, $0, plen)
                        } }
                    }
                }
            }
        }.start()
        Thread { [weak self] in
            while self?.isStopped == false {
                var p = pollfd(fd: tcp, events: Int16(POLLIN), revents: 0)
                guard poll(&p, 1, 100) == 1 else { continue }
                let c = accept(tcp, nil, nil)
                guard c >= 0 else { continue }
                var header = [UInt8](repeating: 0, count: 2)
                guard recv(c, &header, 2, Int32(MSG_WAITALL)) == 2 else { close(c); continue }
                let len = Int(header[0]) << 8 | Int(header[1])
                var body = [UInt8](repeating: 0, count: len)
                guard recv(c, &body, len, Int32(MSG_WAITALL)) == len, let q = FakeDNSServer.parse(body) else { close(c); continue }
                for reply in script(q, body, true) {
                    _ = reply.withUnsafeBytes { send(c, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                }
                close(c)
            }
        }.start()
    }

    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        usleep(150_000)
        close(udp); close(tcp)
    }

    var endpoint: String { "127.0.0.1:\(port)" }

    /// Binds `fd` to 127.0.0.1 on a port the kernel picks, and returns that port.
    static func bindLoopback(_ fd: Int32) -> UInt16 {
        _ = try? SockaddrText.with(host: "127.0.0.1", port: 0) { bind(fd, $0, $1) }
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return UInt16(bigEndian: addr.sin_port)
    }

    /// A loopback port with nothing listening on it (UDP and TCP): queries to it get an ICMP port
    /// unreachable or a RST. Taken from 20000-32767, below Linux's ephemeral range (32768-60999):
    /// a port the kernel just handed out and took back would soon be handed to another test's
    /// bind(port 0), which then swallows the queries, and the test waits out its timeout.
    static func closedPort() -> UInt16 {
        func free(_ port: UInt16, _ type: Int32) -> Bool {
            let fd = socket(AF_INET, type, 0)
            defer { close(fd) }
            return (try? SockaddrText.with(host: "127.0.0.1", port: port) { bind(fd, $0, $1) }) == 0
        }
        for _ in 0..<200 {
            let port = UInt16.random(in: 20000...32767)
            if free(port, Int32(SOCK_DGRAM.rawValue)), free(port, Int32(SOCK_STREAM.rawValue)) { return port }
        }
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        return bindLoopback(fd)
    }

    static func parse(_ bytes: [UInt8]) -> DNSMessage? {
        var b = ByteBufferAllocator().buffer(capacity: bytes.count)
        b.writeBytes(bytes)
        return try? DNSMessage(parsing: b)
    }

    /// A response to `q` with `answers` (encoded), optionally tampered.
    static func reply(to q: DNSMessage, rcode: ResponseCode = .noError, answers: [DNSResourceRecord] = [], id: UInt16? = nil,
                      question: DNSQuestion? = nil, truncated: Bool = false) -> [UInt8] {
        var h = DNSHeader(id: id ?? q.header.id, flags: 0x8400)
        h.set(.truncated, truncated)
        var m = DNSMessage(header: h, questions: [question ?? q.questions[0]], answers: answers)
        m.rcode = rcode
        return Array(try! m.encode().readableBytesView)
    }

    /// TCP framing for a message.
    static func framed(_ bytes: [UInt8]) -> [UInt8] { [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes }
}

func a(_ name: String, _ ip: String, ttl: UInt32 = 60) -> DNSResourceRecord {
    DNSResourceRecord(name: try! DNSName(parsing: name), ttl: ttl, data: .a(ARecord(ip)!))
}
