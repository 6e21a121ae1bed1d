import Foundation

/// The human output of `form-join peers` (without `--json`): a table, best peer first.
///
/// Names, regions and errors come from DNS or from the entry nodes themselves, so every field is
/// passed through `TerminalText.escape`: a hostile server cannot inject terminal escapes or fake rows.
public enum PeerSetTable {
    public static func render(_ s: PeerSet) -> String {
        func pad(_ x: String, _ n: Int) -> String {
            x.count >= n ? x + " " : x + String(repeating: " ", count: n - x.count)
        }
        func ms(_ d: Double?) -> String { d.map { String(format: "%.1f", $0) } ?? "-" }
        func safe(_ x: String) -> String { TerminalText.escape(x) }
        let how: String
        switch s.outcome {
        case .dns: how = "via DNS"
        case .fallback: how = "via fallback"
        case .none: how = "nothing reachable"
        }
        var lines = [
            "\(safe(s.name)): \(how) (DNS \(s.dns.status)\(s.dns.server.map { " from \(safe($0))" } ?? ""), "
                + "\(String(format: "%.0f", s.timing.totalMs)) ms)"
        ]
        lines.append(
            pad("#", 3) + pad("id", 14) + pad("endpoint", 24) + pad("region", 14) + pad("median ms", 10)
                + pad("min ms", 8) + pad("loss", 6) + "source")
        for (i, p) in s.peers.enumerated() {
            lines.append(
                pad("\(i + 1)", 3) + pad(safe(p.id), 14) + pad(safe(p.endpoints.first ?? "-"), 24)
                    + pad(safe(p.region ?? "-"), 14) + pad(ms(p.rttMs.median), 10) + pad(ms(p.rttMs.min), 8)
                    + pad(String(format: "%.0f%%", p.rttMs.loss * 100), 6)
                    + p.source.rawValue + (p.cacheAgeS.map { " (\(Int($0)) s old)" } ?? ""))
        }
        for p in s.unreachable {
            lines.append(
                pad("-", 3) + pad(safe(p.id), 14) + pad(safe(p.endpoints.first ?? "-"), 24)
                    + "unreachable (\(p.source.rawValue)): \(safe(p.error ?? "?"))")
        }
        for note in s.notes { lines.append("note: \(safe(note))") }
        return lines.joined(separator: "\n")
    }
}
