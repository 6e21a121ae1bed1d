import FormAuthority
import NIOCore
import Synchronization
import Testing

@testable import FormDNSServer

#if canImport(Glibc)
    import Glibc
#endif

/// TCP checks on the epoll loop against real sockets on loopback: a listener (up), a closed port
/// (refused), a listener whose accept queue is full (its SYNs are dropped: timed out).
@Suite struct TCPCheckLoopTests {
    /// A TCP socket listening on 127.0.0.1 or ::1, never accepting. A check's connection stays in
    /// the accept queue after its reset, so the queue is made long enough for every check of a
    /// test. Closed by `close()`, which each test defers: that also keeps it alive to the end.
    final class Listener {
        let fd: Int32
        let port: Int

        init(ipv6: Bool = false, backlog: Int32 = 4096) throws {
            let address = try SocketAddress(ipAddress: ipv6 ? "::1" : "127.0.0.1", port: 0)
            let made = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard made >= 0, address.withSockAddr({ bind(made, $0, socklen_t($1)) }) == 0, listen(made, backlog) == 0
            else { throw IOError(errnoCode: errno, reason: "listener") }
            var bound = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &bound) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(made, $0, &length) }
            }
            fd = made
            // sin_port and sin6_port: the same place, in network order.
            port = withUnsafeBytes(of: bound) { Int($0[2]) << 8 | Int($0[3]) }
        }

        func close() { _ = Glibc.close(fd) }
    }

    final class Run: Sendable {
        let loop: TCPCheckLoop
        let repository: HealthRepository
        let completed = Atomic<Int>(0)
        let checkerErrors = Mutex<[String]>([])

        init(nodes: [String]) throws {
            loop = try TCPCheckLoop()
            repository = HealthRepository(policy: HealthPolicy(rise: 1, fall: 1), nodeIDs: nodes)
        }

        func start(_ nodes: [(String, SocketAddress)], interval: Double = 0.1, timeout: Double = 0.05)
            -> TCPCheckLoop.Batch
        {
            loop.start(
                nodes.map { node, address in
                    TCPCheckLoop.Target(
                        node: node, address: address, interval: interval, timeout: timeout,
                        repository: repository, took: { _ in self.completed.add(1, ordering: .relaxed) },
                        onCheckerError: { text in self.checkerErrors.withLock { $0.append(text) } })
                })
        }

        func last(_ node: String) -> (ok: Bool, detail: String, latencyMs: Double?)? {
            repository.snapshot()[node]?.lastCheck.map { ($0.ok, $0.detail, $0.latencyMs) }
        }

        /// Waits until `condition` holds (at most 20 s, for a loaded machine).
        func until(_ condition: () -> Bool) async throws -> Bool {
            let deadline = ContinuousClock.now + .seconds(20)
            while !condition() {
                if ContinuousClock.now > deadline { return false }
                try await Task.sleep(for: .milliseconds(10))
            }
            return true
        }
    }

    @Test func listenersAreUpOverIPv4AndIPv6() async throws {
        let v4 = try Listener(), v6 = try Listener(ipv6: true)
        defer { v4.close(); v6.close() }
        let run = try Run(nodes: ["v4", "v6"])
        let batch = run.start([
            ("v4", try SocketAddress(ipAddress: "127.0.0.1", port: v4.port)),
            ("v6", try SocketAddress(ipAddress: "::1", port: v6.port)),
        ])
        defer { run.loop.stop(batch); run.loop.shutdown() }
        // Every check of both nodes comes back, again and again (the next is scheduled each time).
        #expect(
            try await run.until {
                ["v4", "v6"].allSatisfy { (run.repository.snapshot()[$0]?.consecutiveSuccesses ?? 0) >= 3 }
            })
        for node in ["v4", "v6"] {
            let last = try #require(run.last(node))
            #expect(last.ok && last.detail == "TCP connect ok")
            #expect((last.latencyMs ?? -1) >= 0)
            #expect(run.repository.effective(node) == .healthy)
        }
        #expect(run.completed.load(ordering: .relaxed) >= 6)
        #expect(run.checkerErrors.withLock { $0 }.isEmpty)
    }

    @Test func aClosedPortIsRefusedAndAFullListenerTimesOut() async throws {
        let closed = try Listener()
        closed.close()   // bound, then closed: nothing listens there
        let closedPort = closed.port
        // Backlog 0: one connection fills the accept queue; later SYNs are dropped, as a silent
        // node's would be.
        let full = try Listener(backlog: 0)
        defer { full.close() }
        var fillers: [Int32] = []
        defer { fillers.forEach { _ = close($0) } }
        let fullAddress = try SocketAddress(ipAddress: "127.0.0.1", port: full.port)
        for _ in 0..<3 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue | SOCK_NONBLOCK.rawValue), 0)
            _ = fullAddress.withSockAddr { connect(fd, $0, socklen_t($1)) }
            fillers.append(fd)
        }
        try await Task.sleep(for: .milliseconds(50))
        let run = try Run(nodes: ["refused", "silent"])
        let batch = run.start(
            [
                ("refused", try SocketAddress(ipAddress: "127.0.0.1", port: closedPort)),
                ("silent", fullAddress),
            ], interval: 0.3, timeout: 0.1)
        defer { run.loop.stop(batch); run.loop.shutdown() }
        #expect(try await run.until { run.last("refused") != nil && run.last("silent") != nil })
        let refused = try #require(run.last("refused")), silent = try #require(run.last("silent"))
        #expect(!refused.ok && refused.detail == "TCP connect to 127.0.0.1:\(closedPort) failed: Connection refused")
        #expect(!silent.ok && silent.detail == "TCP connect to 127.0.0.1:\(full.port) timed out")
        #expect(run.repository.effective("refused") == .unhealthy)
        #expect(run.repository.effective("silent") == .unhealthy)
    }

    @Test func aStoppedBatchIsNoLongerChecked() async throws {
        let listener = try Listener()
        defer { listener.close() }
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: listener.port)
        let run = try Run(nodes: ["kept", "stopped"])
        let stopped = run.start([("stopped", address)], interval: 0.05, timeout: 0.03)
        let kept = run.start([("kept", address)], interval: 0.05, timeout: 0.03)
        defer { run.loop.stop(kept); run.loop.shutdown() }
        #expect(try await run.until { (run.repository.snapshot()["stopped"]?.consecutiveSuccesses ?? 0) >= 2 })
        run.loop.stop(stopped)
        // Once the loop has taken the stop, the count stays put (checked every 50 ms before): wait
        // (at most 20 s, for a loaded machine) until it has not moved for 300 ms.
        func successes(_ node: String) -> Int { run.repository.snapshot()[node]?.consecutiveSuccesses ?? 0 }
        var previous = -1, atStop = successes("stopped")
        let deadline = ContinuousClock.now + .seconds(20)
        while atStop != previous && ContinuousClock.now < deadline {
            previous = atStop
            try await Task.sleep(for: .milliseconds(300))
            atStop = successes("stopped")
        }
        #expect(atStop == previous, "the stopped batch was still being checked")
        let keptAtStop = successes("kept")
        try await Task.sleep(for: .milliseconds(500))
        #expect(successes("stopped") == atStop)
        // The other batch goes on being checked.
        #expect(successes("kept") > keptAtStop)
    }
}
