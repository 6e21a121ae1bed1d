import CFormSocket
import FormAuthority
import Foundation
import NIOCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The TCP connect checks of many nodes on one thread: an epoll loop of its own with a timer wheel
/// (10 ms slots) for when each node's next check is due and when a check in flight times out.
///
/// A check is a non-blocking socket, a connect, one epoll registration, the socket's error once it
/// is writable, and a close with a reset: about eight system calls and no allocation. NIO's channel
/// machinery (a channel, a pipeline, promises and a connect timeout per check) cost more than the
/// kernel's own work for the connection, and kept one loop under 7,500 checks a second; this one
/// checks 10,000 nodes every second (Benchmarks/checker-scale).
///
/// Nodes come and go in batches (one per configuration): `start` hands a batch over, `stop` ends
/// it (checks in flight are closed and not recorded). The thread starts with the first batch.
final class TCPCheckLoop: @unchecked Sendable {
    // @unchecked Sendable: `nodes`, `free`, `slots`, `currentSlot` and `nextTicket` are read and
    // written only on the loop's own thread (`run` and what it calls); other threads reach the
    // loop only through `inbox` (a Mutex) and a write to the eventfd `wakeup`; `epoll` and
    // `wakeup` are set once in init; `thread` is guarded by its Mutex.

    /// One node to check.
    struct Target: Sendable {
        let node: String
        let address: SocketAddress
        /// Seconds between checks (±10% jitter), and until a check in flight fails.
        let interval: Double
        let timeout: Double
        let repository: HealthRepository
        /// Hears how long each completed check took.
        let took: @Sendable (Duration) -> Void
        /// Hears that a check could not be run (our failure, not the node's).
        let onCheckerError: @Sendable (String) -> Void
    }

    /// The nodes of one `start`, stopped together.
    struct Batch: Hashable, Sendable {
        let id: Int
    }

    private enum Command {
        case start(Batch, [Target])
        case stop(Batch)
        case shutdown
    }

    private struct Node {
        let target: Target
        let batch: Batch
        let peer: String
        let address: sockaddr_storage
        let length: socklen_t
        /// Changes whenever the node's state does: a wheel entry or an epoll tag with another
        /// ticket is stale (the check it was for has ended, or the node is gone).
        var ticket: UInt64 = 0
        /// The socket of the check in flight, or -1.
        var socket: Int32 = -1
        var startedSeconds: Double = 0
        var startedSlot: UInt64 = 0
    }

    private struct WheelEntry {
        let index: Int
        let ticket: UInt64
    }

    static let slotNanoseconds: UInt64 = 10_000_000
    private static let wakeupTag = UInt64.max
    private static let readyCapacity: Int32 = 256

    private let epoll: Int32
    private let wakeup: Int32
    private let inbox = Mutex<[Command]>([])
    private let thread = Mutex<Thread?>(nil)
    private let batches = Atomic<Int>(0)

    private var nodes: [Node?] = []
    private var free: [Int] = []
    private var slots: [UInt64: [WheelEntry]] = [:]
    private var currentSlot: UInt64
    private var nextTicket: UInt64 = 0

    /// Fails only if the process has no descriptor left for the epoll set or the eventfd.
    init() throws {
        epoll = CFormSocket_epoll_create()
        guard epoll >= 0 else { throw IOError(errnoCode: errno, reason: "epoll_create1") }
        wakeup = CFormSocket_eventfd()
        guard wakeup >= 0 else {
            let code = errno
            close(epoll)
            throw IOError(errnoCode: code, reason: "eventfd")
        }
        guard CFormSocket_epoll_add_reader(epoll, wakeup, Self.wakeupTag) == 0 else {
            let code = errno
            close(epoll)
            close(wakeup)
            throw IOError(errnoCode: code, reason: "epoll_ctl")
        }
        currentSlot = Self.slot(of: Self.uptimeNanoseconds())
    }

    deinit {
        close(epoll)
        close(wakeup)
    }

    /// Checks `targets` from now on, each first after a random part of its interval (so checks
    /// do not synchronise); returns the batch to `stop` them by.
    func start(_ targets: [Target]) -> Batch {
        let batch = Batch(id: batches.wrappingAdd(1, ordering: .relaxed).newValue)
        send(.start(batch, targets))
        startThreadIfNeeded()
        return batch
    }

    /// No check of `batch` starts after this; one in flight is closed and not recorded.
    func stop(_ batch: Batch) { send(.stop(batch)) }

    /// Stops every check; the thread ends soon after (this does not wait for it).
    func shutdown() {
        guard thread.withLock({ $0 != nil }) else { return }
        send(.shutdown)
    }

    private func send(_ command: Command) {
        inbox.withLock { $0.append(command) }
        var one: UInt64 = 1
        _ = write(wakeup, &one, MemoryLayout<UInt64>.size)
    }

    private func startThreadIfNeeded() {
        thread.withLock { thread in
            guard thread == nil else { return }
            let made = Thread {
                // On Linux, Foundation applies a Thread's name only when set from the thread itself.
                Thread.current.name = "form-dns-tcp-checks"
                self.run()
            }
            made.start()
            thread = made
        }
    }

    // MARK: - The loop's thread

    private func run() {
        var tags = [UInt64](repeating: 0, count: Int(Self.readyCapacity))
        var events = [UInt32](repeating: 0, count: Int(Self.readyCapacity))
        while true {
            let count = CFormSocket_epoll_wait_tags(epoll, &tags, &events, Self.readyCapacity, waitMilliseconds())
            let nowSeconds = monotonicSeconds()
            for i in 0..<max(Int(count), 0) {
                if tags[i] == Self.wakeupTag {
                    if !takeCommands() { return }
                } else {
                    connectEnded(tag: tags[i], nowSeconds)
                }
            }
            tick(nowSeconds)
        }
    }

    /// Until the next slot is due: -1 (no limit) with nothing on the wheel.
    private func waitMilliseconds() -> Int32 {
        guard !slots.isEmpty else { return -1 }
        let next = currentSlot * Self.slotNanoseconds
        let now = Self.uptimeNanoseconds()
        return next <= now ? 0 : Int32((next - now + 999_999) / 1_000_000)
    }

    /// False once told to shut down.
    private func takeCommands() -> Bool {
        var count: UInt64 = 0
        _ = read(wakeup, &count, MemoryLayout<UInt64>.size)
        for command in inbox.withLock({ taken in defer { taken = [] }; return taken }) {
            switch command {
            case .start(let batch, let targets): add(targets, batch)
            case .stop(let batch): remove { $0.batch == batch }
            case .shutdown:
                remove { _ in true }
                return false
            }
        }
        return true
    }

    private func add(_ targets: [Target], _ batch: Batch) {
        let now = Self.uptimeNanoseconds()
        // After a time with nothing to check, the wheel starts again from now (not from the
        // slots that passed while the loop slept).
        if slots.isEmpty { currentSlot = Self.slot(of: now) }
        for target in targets {
            var storage = sockaddr_storage()
            let length = target.address.withSockAddr { address, size in
                withUnsafeMutableBytes(of: &storage) {
                    $0.copyMemory(from: UnsafeRawBufferPointer(start: address, count: size))
                }
                return socklen_t(size)
            }
            let peer = target.address.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? "?"
            let node = Node(
                target: target, batch: batch, peer: "\(peer):\(target.address.port ?? 0)", address: storage,
                length: length)
            let index: Int
            if let reused = free.popLast() {
                index = reused
                nodes[index] = node
            } else {
                index = nodes.count
                nodes.append(node)
            }
            schedule(index, at: now + UInt64(Double.random(in: 0..<max(target.interval, 0.001)) * 1e9))
        }
    }

    private func remove(where matches: (Node) -> Bool) {
        for index in nodes.indices {
            guard let node = nodes[index], matches(node) else { continue }
            if node.socket >= 0 { close(node.socket) }
            nodes[index] = nil
            free.append(index)
        }
        if free.count == nodes.count {
            // Nothing left to check: stale wheel entries would only wake the loop.
            slots = [:]
        }
    }

    /// A new ticket for node `index`, which makes every wheel entry and tag of its past stale.
    private func renew(_ index: Int) -> UInt64 {
        nextTicket &+= 1
        nodes[index]!.ticket = nextTicket
        return nextTicket
    }

    /// On the slot of `nanoseconds`, or the next one to run if that has passed (never the slot
    /// `tick` is running: it has been taken off the wheel).
    private func schedule(_ index: Int, at nanoseconds: UInt64) {
        let entry = WheelEntry(index: index, ticket: renew(index))
        slots[max(Self.slot(of: nanoseconds), currentSlot + 1), default: []].append(entry)
    }

    private func tick(_ nowSeconds: Double) {
        let now = Self.slot(of: Self.uptimeNanoseconds())
        while currentSlot <= now {
            if let due = slots.removeValue(forKey: currentSlot) {
                for entry in due {
                    guard let node = nodes[entry.index], node.ticket == entry.ticket else { continue }
                    if node.socket >= 0 {
                        close(node.socket)
                        nodes[entry.index]!.socket = -1
                        ended(entry.index, .down("TCP connect to \(node.peer) timed out"), nowSeconds)
                    } else {
                        startCheck(entry.index)
                    }
                }
            }
            currentSlot += 1
        }
    }

    private func startCheck(_ index: Int) {
        let ticket = renew(index)
        let startedSeconds = monotonicSeconds()
        let startedNanoseconds = Self.uptimeNanoseconds()
        var node = nodes[index]!
        let tag = UInt64(index) << 32 | (ticket & 0xFFFF_FFFF)
        let socket = withUnsafePointer(to: node.address) { address in
            address.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
                CFormSocket_tcp_check_start(epoll, address, node.length, tag)
            }
        }
        node.startedSeconds = startedSeconds
        node.startedSlot = Self.slot(of: startedNanoseconds)
        guard socket >= 0 else {
            nodes[index] = node
            ended(index, Self.classify(-socket, "TCP connect to \(node.peer)"), startedSeconds)
            return
        }
        node.socket = socket
        nodes[index] = node
        let deadline = startedNanoseconds + UInt64(node.target.timeout * 1e9)
        slots[max(Self.slot(of: deadline), currentSlot + 1), default: []].append(
            WheelEntry(index: index, ticket: ticket))
    }

    private func connectEnded(tag: UInt64, _ nowSeconds: Double) {
        let index = Int(tag >> 32)
        guard index < nodes.count, let node = nodes[index], node.socket >= 0,
            node.ticket & 0xFFFF_FFFF == tag & 0xFFFF_FFFF
        else { return }
        let problem = CFormSocket_socket_error(node.socket)
        close(node.socket)
        nodes[index]!.socket = -1
        let outcome: CheckOutcome =
            problem == 0 ? .up("TCP connect ok") : Self.classify(problem, "TCP connect to \(node.peer)")
        ended(index, outcome, nowSeconds)
    }

    /// Records a check's outcome and schedules the node's next check an interval (±10%) after
    /// this one started; one slower than the interval is followed at once by the next.
    private func ended(_ index: Int, _ outcome: CheckOutcome, _ nowSeconds: Double) {
        let node = nodes[index]!
        let target = node.target
        switch outcome {
        case .up(let detail), .down(let detail):
            let latency = max(nowSeconds - node.startedSeconds, 0) * 1000
            target.took(.milliseconds(latency))
            let ok = outcome.isUp
            target.repository.record(
                node: target.node, ok: ok, at: node.startedSeconds, latencyMs: ok ? latency : nil, detail: detail)
        case .checkerError(let detail):
            // Our own failure (no descriptors left) says nothing about the node.
            target.onCheckerError("health check of \(target.node) not run: \(detail)")
        }
        let interval = UInt64(target.interval * Double.random(in: 0.9...1.1) * 1e9)
        schedule(index, at: node.startedSlot * Self.slotNanoseconds + interval)
    }

    /// Whose fault a failed connect is: running out of descriptors or memory is ours (never
    /// counted against the node); anything else (refused, unreachable) is the node's.
    static func classify(_ code: Int32, _ what: String) -> CheckOutcome {
        let reason = String(cString: strerror(code))
        if HealthProbe.ourOwnErrnos.contains(code) { return .checkerError("\(what) not attempted: \(reason)") }
        return .down("\(what) failed: \(reason)")
    }

    static func slot(of nanoseconds: UInt64) -> UInt64 { nanoseconds / slotNanoseconds }

    /// CLOCK_MONOTONIC, as NIO's deadlines.
    static func uptimeNanoseconds() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}
