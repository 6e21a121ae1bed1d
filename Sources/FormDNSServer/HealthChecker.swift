import DNSWire
import FormAuthority
import Foundation
import NetAddress
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// Runs the active health checks of every pool that has them: one thread per node, each checking
/// every `interval_ms` (with ±10% jitter, and a random first delay, so checks do not synchronise)
/// and recording the outcome in the pool's `HealthRepository`.
///
/// A thread per node keeps each check's timing independent of the others (a node that times out
/// does not delay its neighbours); it suits pools of tens to a few hundred nodes.
public final class HealthChecker: Sendable {
    private let stopped = Atomic<Bool>(false)

    public init(builder: ResponseBuilder, onCheckerError: @escaping @Sendable (String) -> Void = { _ in }) {
        guard let geo = builder.geo else { return }
        for (i, pool) in geo.pools.enumerated() {
            guard let config = pool.health, config.check != .none, let repository = geo.health[i] else { continue }
            for node in pool.nodes where node.enabled {
                guard let address = node.ipv4.map(IPAddressText.format) ?? node.ipv6.map(IPAddressText.format) else {
                    continue
                }
                let thread = Thread { [self] in
                    let interval = Double(config.intervalMs) / 1000
                    let timeout = Double(config.timeoutMs) / 1000
                    usleep(UInt32(Double.random(in: 0..<interval) * 1e6))
                    while !self.stopped.load(ordering: .relaxed) {
                        let started = monotonicSeconds()
                        let outcome = HealthChecker.check(address: address, config: config, timeout: timeout)
                        let latency = (monotonicSeconds() - started) * 1000
                        switch outcome {
                        case .up(let detail), .down(let detail):
                            // The repository's clock (CLOCK_MONOTONIC, like `started`): ages line up.
                            let ok = outcome.isUp
                            repository.record(
                                node: node.id, ok: ok, at: started, latencyMs: ok ? latency : nil,
                                detail: detail)
                        case .checkerError(let detail):
                            // Our own failure (no descriptors, bad CA file) says nothing about the node.
                            onCheckerError("health check of \(node.id) not run: \(detail)")
                        }
                        let next = interval * Double.random(in: 0.9...1.1) - (monotonicSeconds() - started)
                        if next > 0 { usleep(UInt32(next * 1e6)) }
                    }
                }
                thread.name = "form-dns-health"
                thread.start()
            }
        }
    }

    /// The threads finish within one interval.
    public func stop() { stopped.store(true, ordering: .relaxed) }

    static func check(address: String, config: PoolHealthConfig, timeout: Double) -> CheckOutcome {
        let deadline = monotonicSeconds() + timeout
        if config.check == .dns { return checkDNS(address: address, config: config, deadline: deadline) }
        if config.check == .https { return HTTPSCheck.run(address: address, config: config, deadline: deadline) }
        let fd: Int32
        switch connectTCP(address, config.port, deadline: deadline) {
        case .success(let connected): fd = connected
        case .failure(let failure): return failure.outcome("TCP connect to \(address):\(config.port)")
        }
        defer { close(fd) }
        switch config.check {
        case .tcp, .none, .dns, .https:
            return .up("TCP connect ok")
        case .http:
            let request = "GET \(config.path) HTTP/1.0\r\nHost: \(address)\r\nUser-Agent: form-dns-health\r\n\r\n"
            _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            var line: [UInt8] = []
            var byte: UInt8 = 0
            while line.count < 256 {
                guard ready(fd, Int16(POLLIN), deadline), recv(fd, &byte, 1, 0) == 1 else {
                    return .down("HTTP: no status line in time")
                }
                if byte == 0x0A { break }
                if byte != 0x0D { line.append(byte) }
            }
            guard let code = statusCode(String(decoding: line, as: UTF8.self)) else {
                return .down("HTTP: bad status line")
            }
            return statusIsUp(code, config) ? .up("HTTP \(code)") : .down("HTTP \(code)")
        }
    }

    static func statusIsUp(_ code: Int, _ config: PoolHealthConfig) -> Bool {
        config.expectStatus.map { $0 == code } ?? (200..<300).contains(code)
    }

    /// A DNS query over UDP: alive if an answer with our ID comes back NOERROR or NXDOMAIN in time.
    static func checkDNS(address: String, config: PoolHealthConfig, deadline: Double) -> CheckOutcome {
        let id = UInt16.random(in: 0...UInt16.max)
        let message = DNSMessage(
            header: DNSHeader(id: id, flags: 0), questions: [DNSQuestion(name: config.query, type: .a)])
        guard let query = try? message.encode() else { return .checkerError("DNS: cannot encode the query") }
        let v6 = address.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return .checkerError("DNS: no socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard connect(fd, address, config.port) == 0 else {
            // Not an address is our configuration's fault; anything else (no route) is the node's.
            let why = String(cString: strerror(errno))
            return errno == EINVAL ? .checkerError("DNS: connect failed: \(why)") : .down("DNS: connect failed: \(why)")
        }
        _ = query.withUnsafeReadableBytes { send(fd, $0.baseAddress, $0.count, 0) }
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            guard ready(fd, Int16(POLLIN), deadline) else { return .down("DNS: no answer in time") }
            let n = recv(fd, &buf, buf.count, 0)
            guard n >= 12 else { return .down("DNS: port unreachable or short answer") }
            guard UInt16(buf[0]) << 8 | UInt16(buf[1]) == id, buf[2] & 0x80 != 0 else { continue }
            let rcode = buf[3] & 0x0F
            let detail = "DNS rcode \(ResponseCode(rawValue: UInt16(rcode)))"
            return rcode == 0 || rcode == 3 ? .up(detail) : .down(detail)
        }
    }

    /// Why a connect did not succeed: the node's fault, or ours (no socket to try with).
    enum ConnectFailure: Error {
        case node
        case checker(String)

        func outcome(_ what: String) -> CheckOutcome {
            switch self {
            case .node: return .down("\(what) failed")
            case .checker(let why): return .checkerError("\(what) not attempted: \(why)")
            }
        }
    }

    /// Non-blocking connect bounded by `deadline`.
    static func connectTCP(_ host: String, _ port: UInt16, deadline: Double) -> Result<Int32, ConnectFailure> {
        let v6 = host.contains(":")
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .failure(.checker("no socket: \(String(cString: strerror(errno)))")) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK)
        let rc = connect(fd, host, port)
        if rc != 0 && errno == EINVAL {
            close(fd)
            return .failure(.checker("not an address: \(host)"))
        }
        if rc != 0 && errno != EINPROGRESS {
            close(fd)
            return .failure(.node)
        }
        if rc != 0 {
            var err: Int32 = 0
            var len = socklen_t(4)
            guard ready(fd, Int16(POLLOUT), deadline), getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0, err == 0
            else {
                close(fd)
                return .failure(.node)
            }
        }
        return .success(fd)
    }

    /// connect(2) to an IPv4 or IPv6 literal.
    static func connect(_ fd: Int32, _ host: String, _ port: UInt16) -> Int32 {
        // Not a literal address: fail as connect(2) does for a bad address, never connect to 0.0.0.0.
        do { return try SockaddrText.with(host: host, port: port) { Glibc.connect(fd, $0, $1) } } catch {
            errno = EINVAL
            return -1
        }
    }

    /// Waits for `events` on `fd` until `deadline`; false on timeout.
    static func ready(_ fd: Int32, _ events: Int16, _ deadline: Double) -> Bool {
        var p = pollfd(fd: fd, events: events, revents: 0)
        let remaining = Int32(max(0, (deadline - monotonicSeconds()) * 1000))
        return remaining > 0 && poll(&p, 1, remaining) == 1
    }

    /// The status code of an HTTP status line ("HTTP/1.0 200 OK"), for http and https checks.
    static func statusCode(_ line: String) -> Int? {
        let parts = line.split(separator: " ")
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/") else { return nil }
        return Int(parts[1])
    }
}

/// The repositories' clock, so check times and report ages line up.
func monotonicSeconds() -> Double { HealthRepository.monotonic() }
