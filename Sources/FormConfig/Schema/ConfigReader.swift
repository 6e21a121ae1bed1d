/// Reads typed values out of document nodes, collecting every problem as
/// `source:line: field: message` rather than stopping at the first.
public struct ConfigReader: Sendable {
    public let source: String
    /// Relative paths are anchored here (the document's folder).
    public let directory: String
    public private(set) var errors: [ConfigError] = []
    /// Every path read, anchored (what the configuration refers to on disk).
    public private(set) var paths: Set<String> = []
    /// Says why a path may not be used (nil: it may), before anything reads it: a change from the
    /// API may not point form-dns at files outside the configuration's folder.
    let pathPolicy: (@Sendable (String) -> String?)?

    public init(source: String, directory: String, pathPolicy: (@Sendable (String) -> String?)? = nil) {
        self.source = source
        self.directory = directory
        self.pathPolicy = pathPolicy
    }

    public init(_ document: ConfigDocument, pathPolicy: (@Sendable (String) -> String?)? = nil) {
        self.init(source: document.source, directory: document.directory, pathPolicy: pathPolicy)
    }

    public mutating func fail(_ line: Int, _ field: String, _ message: String) {
        errors.append(ConfigError(file: source, line: line, field: field, message: message))
    }

    public mutating func fail(_ node: ConfigNode, _ field: String, _ message: String) {
        fail(node.line, field, message)
    }

    public mutating func integer(_ node: ConfigNode, _ field: String, _ range: ClosedRange<Int>) -> Int? {
        guard let v = node.scalar?.integer, range.contains(v) else {
            fail(node, field, "'\(node.shownText)' must be a whole number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    public mutating func number(_ node: ConfigNode, _ field: String, _ range: ClosedRange<Double>) -> Double? {
        guard let v = node.scalar?.number, range.contains(v) else {
            fail(node, field, "'\(node.shownText)' must be a number in \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return v
    }

    public mutating func string(_ node: ConfigNode, _ field: String) -> String? {
        guard let s = node.scalar, !s.isNull, !s.text.isEmpty else {
            fail(node, field, "must be a non-empty string")
            return nil
        }
        return s.text
    }

    public mutating func boolean(_ node: ConfigNode, _ field: String) -> Bool? {
        guard let b = node.scalar?.boolean else {
            fail(node, field, "must be true or false")
            return nil
        }
        return b
    }

    public mutating func choice(_ node: ConfigNode, _ field: String, _ choices: [String]) -> String? {
        guard let s = node.scalar?.text, choices.contains(s) else {
            fail(node, field, "'\(node.shownText)' is not one of \(choices.joined(separator: ", "))")
            return nil
        }
        return s
    }

    public mutating func list(_ node: ConfigNode, _ field: String) -> [ConfigNode] {
        if let items = node.list { return items }
        fail(node, field, "must be a list")
        return []
    }

    /// A path that `problem` (nil: usable) finds nothing wrong with now; otherwise the problem,
    /// at the key's line. Files are checked at load, so a typo is a config error and not a
    /// failure at first use.
    mutating func checkedPath(_ node: ConfigNode, _ field: String, _ problem: (String) -> String?) -> String? {
        guard let path = path(node, field) else { return nil }
        if let why = problem(path) {
            fail(node, field, why)
            return nil
        }
        return path
    }

    /// A path as written, anchored to the document's folder when relative.
    public mutating func path(_ node: ConfigNode, _ field: String) -> String? {
        guard let p = string(node, field) else { return nil }
        let anchored = p.hasPrefix("/") ? p : directory + p
        if let why = pathPolicy?(anchored) {
            fail(node, field, why)
            return nil
        }
        paths.insert(anchored)
        return anchored
    }
}
