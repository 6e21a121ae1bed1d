import CFormSocket
import DNSWire
import FormAuthority
import Foundation
import GeoIP
import NetAddress
import NIOCore
import Synchronization
#if canImport(Glibc)
    import Glibc
#endif

/// One UDP socket served by one thread, the way Knot and gdnsd do it: blocking `recvmmsg` for a
/// batch, answer each datagram, one `sendmmsg` for the batch. Several workers bind the same port
/// with SO_REUSEPORT and the kernel spreads datagrams between them.
///
/// Per query there is no allocation: receive slots, the response scratch buffer and the send
/// slots are preallocated per worker and reused; the GeoDNS cache is the worker's own.
final class UDPWorker: @unchecked Sendable {
    // @unchecked Sendable: after `start()`, every stored property except `stopped` is touched only
    // by the worker's own thread; `stopped` is an Atomic. `fd` is immutable. `cpu` is written once,
    // before `start()` (which hands it to the thread by value).
    static let batch = 32
    static let slot = 4096  // max query we read; max response (udp_payload_size is capped at 4096)

    let fd: Int32
    let port: Int
    let isIPv6: Bool
    private let shared: SharedBuilder
    private let stopped = Atomic<Bool>(false)
    private let finished = Atomic<Bool>(false)

    private let recvArea: UnsafeMutableRawPointer
    private let sendArea: UnsafeMutableRawPointer
    private let addrs: UnsafeMutablePointer<sockaddr_storage>
    private let recvIov: UnsafeMutablePointer<iovec>
    private let sendIov: UnsafeMutablePointer<iovec>
    private let recvMsgs: UnsafeMutablePointer<CFormSocket_mmsghdr>
    private let sendMsgs: UnsafeMutablePointer<CFormSocket_mmsghdr>

    /// Binds a socket; with `port` 0 the kernel picks one (the caller then binds the others to it).
    init(host: String, port: Int, shared: SharedBuilder) throws {
        self.shared = shared
        let v6 = host.contains(":")
        isIPv6 = v6
        let fd = socket(v6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw UDPWorkerError.system("socket", errno) }
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, 4)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, 4)
        if v6 { setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, 4) }
        _ = CFormSocket_ignore_path_mtu(fd, v6 ? 1 : 0)  // best effort, as NSD, Unbound, BIND and gdnsd do
        // Wake up now and then with nothing to read, so a stop request is noticed.
        var timeout = timeval(tv_sec: 0, tv_usec: 250_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var bufferSize: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufferSize, 4)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufferSize, 4)
        let rc = try SockaddrText.with(host: host, port: UInt16(port)) { bind(fd, $0, $1) }
        guard rc == 0 else {
            let e = errno
            close(fd)
            throw UDPWorkerError.system("bind \(host):\(port)", e)
        }
        var bound = sockaddr_storage()
        var boundLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &boundLength) }
        }
        // sin_port and sin6_port sit at the same offset.
        let boundPort = withUnsafePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port }
        }
        self.port = Int(UInt16(bigEndian: boundPort))

        let n = Self.batch
        recvArea = .allocate(byteCount: n * Self.slot, alignment: 16)
        sendArea = .allocate(byteCount: n * Self.slot, alignment: 16)
        addrs = .allocate(capacity: n)
        recvIov = .allocate(capacity: n)
        sendIov = .allocate(capacity: n)
        recvMsgs = .allocate(capacity: n)
        sendMsgs = .allocate(capacity: n)
    }

    deinit {
        recvArea.deallocate()
        sendArea.deallocate()
        addrs.deallocate()
        recvIov.deallocate()
        sendIov.deallocate()
        recvMsgs.deallocate()
        sendMsgs.deallocate()
        close(fd)
    }

    /// The CPU this worker's thread is pinned to (set before `start`), or nil to let it float.
    var cpu: Int?

    /// Starts the thread and returns once it is named, pinned and about to read: the server's
    /// "listening on" line (printed after every worker started) then means the workers are in place.
    func start() {
        let cpu = self.cpu
        let ready = DispatchSemaphore(value: 0)
        let thread = Thread {
            // On Linux, Foundation applies a Thread's name only when set from the thread itself.
            Thread.current.name = "form-dns-udp"
            // A refusal (e.g. a CPU taken away since start-up) leaves the thread floating: the
            // steering still delivers to this socket, only from another CPU.
            if let cpu { _ = CFormSocket_pin_current_thread(Int32(cpu)) }
            // A worker sleeps until a datagram arrives and then needs the CPU for microseconds;
            // with the default slice (about 1.4 ms here) a woken worker may wait for the running
            // thread's slice to end, which showed in p99 at moderate load. 100 us is the
            // shortest slice the kernel accepts.
            _ = CFormSocket_request_short_slice(100_000)
            ready.signal()
            self.run()
        }
        thread.start()
        ready.wait()
    }

    /// Asks the thread to stop and waits (at most about one receive timeout) until it has.
    func stop() {
        stopped.store(true, ordering: .releasing)
        for _ in 0..<100 where !finished.load(ordering: .acquiring) { usleep(10_000) }
    }

    private func run() {
        defer { finished.store(true, ordering: .releasing) }
        var (generation, builder) = shared.snapshot()
        let cache = GeoAnswerCache()
        var counters = shared.metrics.counters(for: builder)
        defer { shared.metrics.retire(counters) }
        let counting = shared.counting
        // Every 256th query is timed (two clock reads), for the duration histogram.
        var sampleTick: UInt8 = 0
        var scratch = ByteBufferAllocator().buffer(capacity: Self.slot)
        let n = Self.batch
        while !stopped.load(ordering: .relaxed) {
            for i in 0..<n {
                recvIov[i] = iovec(iov_base: recvArea + i * Self.slot, iov_len: Self.slot)
                recvMsgs[i].msg_hdr = msghdr(
                    msg_name: UnsafeMutableRawPointer(addrs + i),
                    msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                    msg_iov: recvIov + i, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0)
                recvMsgs[i].msg_len = 0
            }
            let got = CFormSocket_recvmmsg(fd, recvMsgs, UInt32(n), 0x10000 /* MSG_WAITFORONE */)
            if got <= 0 { continue }  // timeout (EAGAIN), EINTR, or a transient error: look at `stopped`, go on
            if shared.generation.load(ordering: .acquiring) != generation {
                (generation, builder) = shared.snapshot()
                cache.clear()  // answers cached under the old pools must not outlive them
                counters = shared.metrics.counters(for: builder, replacing: counters)
            }
            // Rate limiting and cookies count whole seconds: one reading serves the batch.
            let clock = QueryClock.now()
            var replies = 0
            for i in 0..<Int(got) {
                let length = Int(recvMsgs[i].msg_len)
                let query = UnsafeRawBufferPointer(start: recvArea + i * Self.slot, count: length)
                let source = Self.address(addrs + i)
                if DNSUpdateHandoff.isUpdate(query), let responder = shared.updates.withLock({ $0 }) {
                    handOff(
                        query, source: source, address: addrs + i, length: recvMsgs[i].msg_hdr.msg_namelen,
                        to: responder)
                    continue
                }
                scratch.clear()
                sampleTick &+= 1
                let started = counting && sampleTick == 0 ? Self.monotonicNanoseconds() : 0
                guard
                    builder.respond(
                        to: query, source: source, transport: .udp, cache: cache, counters: counting ? counters : nil,
                        clock: clock, into: &scratch)
                else { continue }
                if started != 0 { counters.cells.answeringTook(nanoseconds: Self.monotonicNanoseconds() &- started) }
                let size = min(scratch.readableBytes, Self.slot)
                let target = sendArea + replies * Self.slot
                scratch.withUnsafeReadableBytes { target.copyMemory(from: $0.baseAddress!, byteCount: size) }
                sendIov[replies] = iovec(iov_base: target, iov_len: size)
                sendMsgs[replies].msg_hdr = msghdr(
                    msg_name: UnsafeMutableRawPointer(addrs + i), msg_namelen: recvMsgs[i].msg_hdr.msg_namelen,
                    msg_iov: sendIov + replies, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0)
                replies += 1
            }
            var sent = 0
            while sent < replies {
                let r = CFormSocket_sendmmsg(fd, sendMsgs + sent, UInt32(replies - sent), 0)
                if r > 0 {
                    sent += Int(r)
                    continue
                }
                if errno == EINTR { continue }
                break  // e.g. a full send buffer: drop the rest (UDP is lossy; the client retries)
            }
        }
    }

    @inline(__always)
    static func monotonicNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return UInt64(t.tv_sec) &* 1_000_000_000 &+ UInt64(t.tv_nsec)
    }

    /// Gives an UPDATE to `responder` in a task and sends its reply from there (sendto on this
    /// socket is safe from any thread); the worker goes on with the batch.
    private func handOff(
        _ query: UnsafeRawBufferPointer, source: IPAddress?, address: UnsafeMutablePointer<sockaddr_storage>,
        length: socklen_t, to responder: @escaping DNSUpdateResponder
    ) {
        let message = Array(query)
        let peer = Array(UnsafeRawBufferPointer(start: address, count: Int(length)))
        let fd = self.fd
        Task {
            guard let reply = await responder(message, source) else { return }
            reply.withUnsafeBytes { bytes in
                peer.withUnsafeBytes { to in
                    _ = sendto(
                        fd, bytes.baseAddress, bytes.count, 0, to.baseAddress!.assumingMemoryBound(to: sockaddr.self),
                        socklen_t(to.count))
                }
            }
        }
    }

    /// The source address of a received datagram; IPv4-mapped IPv6 becomes IPv4.
    @inline(__always)
    static func address(_ storage: UnsafeMutablePointer<sockaddr_storage>) -> IPAddress? {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                IPAddress(high: UInt64(UInt32(bigEndian: $0.pointee.sin_addr.s_addr)) << 32, low: 0, isIPv4: true)
            }
        case AF_INET6:
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                withUnsafeBytes(of: p.pointee.sin6_addr) { raw in
                    var high: UInt64 = 0, low: UInt64 = 0
                    for k in 0..<8 { high = high << 8 | UInt64(raw[k]) }
                    for k in 8..<16 { low = low << 8 | UInt64(raw[k]) }
                    return IPAddress(high: high, low: low, isIPv4: false).unmapped
                }
            }
        default:
            return nil
        }
    }
}

enum UDPWorkerError: Error, CustomStringConvertible {
    case system(String, Int32)
    var description: String {
        switch self {
        case .system(let what, let e): return "\(what): \(String(cString: strerror(e)))"
        }
    }
}
