import Foundation
import NetAddress
#if canImport(Glibc)
    import Glibc
#endif

/// How a candidate entry node is probed.
public enum ProbeKind: String, Sendable, Codable, CaseIterable {
    /// Time to complete a TCP connect to the join port (the default; needs nothing on the node).
    case tcp
    /// Time to the status line of `GET /health` (HTTP/1.0) on the join port; 2xx counts as alive.
    case http
    /// formnet ping: send `FORMNET-PING <nonce>\n`, expect `FORMNET-PONG <nonce>\n` (application
    /// level, so it measures the node's own responsiveness, not just the kernel's SYN-ACK).
    case ping
}

/// The RTT statistics of one candidate.
public struct ProbeStats: Sendable, Equatable, Codable {
    public var samples: [Double]  // milliseconds, successful probes only
    public var sent: Int
    public var lastError: String?

    public var lost: Int { sent - samples.count }
    public var loss: Double { sent == 0 ? 1 : Double(lost) / Double(sent) }
    public var minimum: Double? { samples.min() }
    /// The median: one slow or one lucky sample does not decide the rank (min would reward a
    /// single lucky probe; mean would punish a single GC pause or retransmit).
    public var median: Double? {
        guard !samples.isEmpty else { return nil }
        let s = samples.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
    public var reachable: Bool { !samples.isEmpty }
}

public struct ProbeSettings: Sendable {
    public var kind: ProbeKind = .tcp
    public var probesPerCandidate = 3
    /// Gap between a candidate's probes.
    public var spacing: Double = 0.1
    /// Upper bound for one probe.
    public var probeTimeout: Double = 1.0
    /// Whole probe round, all candidates.
    public var deadline: Double = 2.0
    public var maxConcurrency = 16
    public var healthPath = "/health"

    public init() {}
}

/// Probes candidates concurrently (bounded), each several times, staggered, under one deadline.
public enum Prober {
    public static func probe(_ endpoints: [Endpoint], settings: ProbeSettings) async -> [ProbeStats] {
        let start = monotonicNow()
        let overall = start + settings.deadline
        // RFC 8305 section 4: interleave families so one broken family cannot starve the other.
        let order = happyEyeballsOrder(endpoints)
        var results = [ProbeStats](repeating: ProbeStats(samples: [], sent: 0, lastError: nil), count: endpoints.count)
        await withTaskGroup(of: (Int, ProbeStats).self) { group in
            var next = 0
            func launch(_ g: inout TaskGroup<(Int, ProbeStats)>) {
                guard next < order.count else { return }
                let index = order[next]
                // Stagger starts a little (RFC 8305's connection attempt delay, scaled down).
                let startAt = start + Double(next) * 0.005
                next += 1
                g.addTask {
                    (index, await probeOne(endpoints[index], settings: settings, startAt: startAt, deadline: overall))
                }
            }
            for _ in 0..<min(settings.maxConcurrency, order.count) { launch(&group) }
            for await (index, stats) in group {
                results[index] = stats
                launch(&group)
            }
        }
        return results
    }

    /// IPv6 first, then alternate families, keeping each family's own order.
    public static func happyEyeballsOrder(_ endpoints: [Endpoint]) -> [Int] {
        let v6 = endpoints.indices.filter { endpoints[$0].isIPv6 }
        let v4 = endpoints.indices.filter { !endpoints[$0].isIPv6 }
        var out: [Int] = []
        for i in 0..<max(v6.count, v4.count) {
            if i < v6.count { out.append(v6[i]) }
            if i < v4.count { out.append(v4[i]) }
        }
        return out
    }

    /// A candidate's whole probe sequence (spacing included) runs on one thread of its own, so its
    /// timing does not depend on the cooperative pool being free (a busy pool would stretch the
    /// spacing and push probes past the deadline).
    static func probeOne(_ endpoint: Endpoint, settings: ProbeSettings, startAt: Double, deadline: Double) async
        -> ProbeStats
    {
        await runBlocking {
            var stats = ProbeStats(samples: [], sent: 0, lastError: nil)
            for i in 0..<settings.probesPerCandidate {
                let wait = startAt + Double(i) * settings.spacing - monotonicNow()
                if wait > 0 { usleep(UInt32(wait * 1e6)) }
                if monotonicNow() >= deadline { break }
                stats.sent += 1
                let probeDeadline = min(deadline, monotonicNow() + settings.probeTimeout)
                do { stats.samples.append(try measure(endpoint, settings: settings, deadline: probeDeadline)) } catch {
                    stats.lastError = "\(error)"
                }
            }
            return stats
        }
    }

    /// One probe; returns milliseconds.
    static func measure(_ endpoint: Endpoint, settings: ProbeSettings, deadline: Double) throws -> Double {
        let t0 = monotonicNow()
        let socket = try PosixSocket(tcpTo: endpoint, deadline: deadline)
        switch settings.kind {
        case .tcp:
            break
        case .http:
            let request = "GET \(settings.healthPath) HTTP/1.0\r\nHost: \(endpoint)\r\nUser-Agent: form-join\r\n\r\n"
            try socket.send(Array(request.utf8), deadline: deadline)
            let line = try readLine(socket, deadline: deadline)
            let parts = line.split(separator: " ")
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), let code = Int(parts[1]) else {
                throw ProbeError.badReply(line)
            }
            guard (200..<300).contains(code) else { throw ProbeError.unhealthy(code) }
        case .ping:
            let nonce = String(UInt64.random(in: 0...UInt64.max), radix: 16)
            try socket.send(Array("FORMNET-PING \(nonce)\n".utf8), deadline: deadline)
            let line = try readLine(socket, deadline: deadline)
            guard line == "FORMNET-PONG \(nonce)" else { throw ProbeError.badReply(line) }
        }
        return (monotonicNow() - t0) * 1000
    }

    /// Reads one line (bounded to 512 octets, so a hostile peer cannot make us buffer forever).
    static func readLine(_ socket: PosixSocket, deadline: Double) throws -> String {
        var line: [UInt8] = []
        while line.count < 512 {
            guard let chunk = try socket.receive(max: 1, deadline: deadline) else { throw SocketError.timeout }
            guard let b = chunk.first else { throw SocketError.closed }
            if b == 0x0A { break }
            if b != 0x0D { line.append(b) }
        }
        return String(decoding: line, as: UTF8.self)
    }
}

enum ProbeError: Error, CustomStringConvertible {
    case badReply(String)
    case unhealthy(Int)
    var description: String {
        switch self {
        case .badReply(let l): return "unexpected reply '\(l.prefix(60))'"
        case .unhealthy(let c): return "health check answered HTTP \(c)"
        }
    }
}
