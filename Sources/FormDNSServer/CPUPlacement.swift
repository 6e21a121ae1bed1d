/// Where the UDP worker threads of one listen address run: worker `i` pinned to `cpus[i]`, and the
/// address's SO_REUSEPORT group steering each datagram to the socket of the worker on the CPU that
/// is processing it (`cpu % workers`).
///
/// Why: with the kernel's default 4-tuple hash, a datagram processed on one CPU often wakes a worker
/// on another, which costs an inter-processor interrupt and a cold cache for every batch. Steering
/// by CPU keeps receive, answer and send on one CPU. On loopback (dnsperf on 2 cores) it lowered
/// server CPU per query by about 10% and raised QPS by about 15% (Docs/performance.md); on a NIC,
/// RSS decides the CPU and the same rule keeps each queue's datagrams on that CPU's worker.
///
/// The rule only works when every CPU the process may run on maps to exactly one worker, so the
/// plan exists only when the worker count equals the number of allowed CPUs and the CPUs' residues
/// modulo that count are all different (CPUs 0-3, or a cpuset such as 4-7, qualify; 0 and 2 with
/// two workers do not). Otherwise the kernel's hash spreads datagrams and threads float.
public struct CPUPlacement: Equatable, Sendable, CustomStringConvertible {
    /// The CPU of worker `i`: always `cpus[i] % cpus.count == i`.
    public let cpus: [Int]

    public init?(workers: Int, allowedCPUs: [Int]) {
        guard workers > 0, allowedCPUs.count == workers else { return nil }
        var byResidue = [Int?](repeating: nil, count: workers)
        for cpu in allowedCPUs {
            guard cpu >= 0 else { return nil }
            let slot = cpu % workers
            if byResidue[slot] != nil { return nil }
            byResidue[slot] = cpu
        }
        cpus = byResidue.map { $0! }
    }

    public var description: String { cpus.map(String.init).joined(separator: ",") }
}

/// `server.cpu_affinity` and what came of it at start-up, for the log line.
public enum UDPPlacementOutcome: Sendable, Equatable, CustomStringConvertible {
    case pinned(CPUPlacement)
    case off
    case notApplicable(workers: Int, allowedCPUs: Int)
    case steeringFailed(String)

    public var description: String {
        switch self {
        case .pinned(let p):
            return "UDP workers pinned to CPUs \(p), datagrams steered to the worker on their CPU"
        case .off:
            return "UDP workers not pinned (cpu_affinity: off)"
        case .notApplicable(let w, let c):
            return
                "UDP workers not pinned (\(w) worker(s) per address, \(c) CPU(s) allowed; "
                + "pinning needs one worker per CPU)"
        case .steeringFailed(let reason):
            return "UDP workers not pinned: steering by CPU refused (\(reason))"
        }
    }
}
