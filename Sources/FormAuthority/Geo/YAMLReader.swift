import Yams

/// Collects `file:line: field: message` errors while reading YAML nodes.
struct YAMLReader {
    let file: String
    var errors: [ConfigError] = []

    mutating func fail(_ node: Node?, _ field: String, _ message: String) {
        errors.append(ConfigError(file: file, line: node?.mark?.line ?? 0, field: field, message: message))
    }

    mutating func double(_ node: Node, _ field: String, _ range: ClosedRange<Double>) -> Double? {
        guard let v = node.float ?? node.int.map(Double.init), range.contains(v) else {
            fail(node, field, "'\(node.string ?? "?")' must be a number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    mutating func int(_ node: Node, _ field: String, _ range: ClosedRange<Int>) -> Int? {
        guard let v = node.int, range.contains(v) else {
            fail(
                node, field,
                "'\(node.string ?? "?")' must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    mutating func string(_ node: Node, _ field: String) -> String? {
        guard node.scalar != nil, let s = node.string, !s.isEmpty else {
            fail(node, field, "must be a non-empty string")
            return nil
        }
        return s
    }

    mutating func bool(_ node: Node, _ field: String) -> Bool? {
        guard let b = node.bool else {
            fail(node, field, "must be true or false")
            return nil
        }
        return b
    }

    mutating func list(_ node: Node, _ field: String) -> [Node] {
        if let seq = node.sequence { return Array(seq) }
        fail(node, field, "must be a list")
        return []
    }
}
