/// Names of pushed health metrics: lower-case letters, digits and `_`, 1 to 64 of them, as
/// Prometheus-style names are. Anything else is refused where it enters (config, API), so a
/// metric name can never carry a newline or an escape sequence into a log line or a terminal.
public enum MetricName {
    public static let rule = "must be 1-64 characters of a-z, 0-9 and _"

    public static func isValid(_ name: String) -> Bool {
        let bytes = name.utf8
        return (1...64).contains(bytes.count)
            && bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
