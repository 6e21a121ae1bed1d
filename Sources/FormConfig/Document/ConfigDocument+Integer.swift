import Yams

extension ConfigDocument {
    /// A scalar's integer value as YAML 1.1 reads it (Yams's `Node.int`: decimal, 0x, 0o, 0b, 0 for
    /// octal, underscores ignored), or nil, without Yams's one trap: Yams multiplies out a base-60
    /// integer ("1:30" is 90) with unchecked arithmetic, so a large one
    /// (`+7773833333333333333:-333333333333333:-33777725`, found by the config fuzzer) crashed the
    /// process that read the configuration. Such a scalar is read here, with overflow checks.
    static func integer(_ node: Node) -> Int? {
        guard let scalar = node.scalar else { return nil }
        guard scalar.string.contains(":") else { return node.int }
        guard scalar.style == .any || scalar.style == .plain else { return nil }
        return sexagesimal(scalar.string.replacingOccurrences(of: "_", with: ""))
    }

    /// "[+-]a:b:c" as a·60² + b·60 + c (each part a decimal, as Yams reads them), or nil when the
    /// text is not that or the value does not fit an Int.
    static func sexagesimal(_ text: String) -> Int? {
        var body = Substring(text)
        var sign = 1
        if body.hasPrefix("-") {
            sign = -1
            body = body.dropFirst()
        } else if body.hasPrefix("+") {
            body = body.dropFirst()
        }
        // Yams takes a leading 0 for a radix prefix ("0x", "0" for octal), which no colon survives.
        guard !body.hasPrefix("0") else { return nil }
        var value = 0, base = 1, first = true
        for part in body.split(separator: ":", omittingEmptySubsequences: false).reversed() {
            guard let digit = Int(part) else { return nil }
            if !first {
                let (next, overflow) = base.multipliedReportingOverflow(by: 60)
                guard !overflow else { return nil }
                base = next
            }
            first = false
            let (scaled, overflowScaling) = digit.multipliedReportingOverflow(by: base)
            let (sum, overflowAdding) = value.addingReportingOverflow(scaled)
            guard !overflowScaling, !overflowAdding else { return nil }
            value = sum
        }
        let (signed, overflow) = value.multipliedReportingOverflow(by: sign)
        return overflow ? nil : signed
    }
}
