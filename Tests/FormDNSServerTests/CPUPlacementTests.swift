import FormDNSServer
import Testing

@Suite struct CPUPlacementTests {
    /// (workers, allowed CPUs) -> the CPU of each worker, or nil when pinning does not apply.
    @Test(arguments: [
        (2, [0, 1], [0, 1] as [Int]?),
        (4, [0, 1, 2, 3], [0, 1, 2, 3]),
        (2, [4, 5], [4, 5]),          // a cpuset: CPU 4 is worker 0's (4 % 2), 5 is worker 1's
        (2, [3, 4], [4, 3]),          // residues decide the order: 4 % 2 = 0, 3 % 2 = 1
        (3, [2, 3, 4], [3, 4, 2]),
        (2, [0, 2], nil),             // both CPUs map to worker 0: worker 1 would get nothing
        (2, [0, 1, 2, 3], nil),       // more CPUs than workers
        (4, [0, 1], nil),             // more workers than CPUs
        (1, [7], [7]),
        (0, [], nil),
        (2, [], nil),                 // sched_getaffinity failed
    ])
    func placement(workers: Int, allowed: [Int], expected: [Int]?) {
        let plan = CPUPlacement(workers: workers, allowedCPUs: allowed)
        #expect(plan?.cpus == expected)
        if let plan {
            for (worker, cpu) in plan.cpus.enumerated() { #expect(cpu % workers == worker) }
        }
    }

    @Test func outcomesSayWhatHappened() {
        #expect(UDPPlacementOutcome.pinned(CPUPlacement(workers: 2, allowedCPUs: [0, 1])!).description
                == "UDP workers pinned to CPUs 0,1, datagrams steered to the worker on their CPU")
        #expect(UDPPlacementOutcome.notApplicable(workers: 3, allowedCPUs: 2).description.contains("3 worker(s) per address, 2 CPU(s) allowed"))
        #expect(UDPPlacementOutcome.off.description.contains("cpu_affinity: off"))
    }
}
