/// A mapping of the configuration: its keys (rows), the value reading starts from (whose fields
/// are the defaults), and the rules that involve more than one key.
public struct ConfigSection<Value: Sendable>: Sendable {
    /// Where the section sits, as the reference names it: `server`, `pools[]`, `pools[].health`.
    public let path: String
    public let summary: String
    public let rows: [ConfigRow<Value>]
    /// The value before any key is read; its fields are the documented defaults.
    public let defaults: Value
    let check: @Sendable (inout Value, ConfigCheckContext, inout ConfigReader) -> Void

    public init(
        path: String, summary: String, defaults: Value, rows: [ConfigRow<Value>],
        check: @escaping @Sendable (inout Value, ConfigCheckContext, inout ConfigReader) -> Void = { _, _, _ in }
    ) {
        self.path = path
        self.summary = summary
        self.defaults = defaults
        self.rows = rows
        self.check = check
    }

    /// "expected a, b, c": the keys this section knows, in schema order.
    public var expectedKeys: String { "expected " + rows.map(\.name).joined(separator: ", ") }

    /// Reads a mapping into `value`. Keys are read in schema order (so one key may depend on an
    /// earlier one, as `steps_km` on `strategy`), then the section's own rules run. `field` is the
    /// path errors name ("" at the top, "pools[0]" for a list item).
    public func read(
        _ node: ConfigNode, field: String, into value: inout Value, index: Int? = nil,
        reader: inout ConfigReader
    ) {
        guard let entries = node.mapping else {
            reader.fail(node, field.isEmpty ? path : field, "must be a mapping")
            return
        }
        for entry in entries where !rows.contains(where: { $0.name == entry.key }) {
            reader.fail(entry.keyLine, Self.join(field, entry.key), "unknown setting (\(expectedKeys))")
        }
        for row in rows {
            let rowField = Self.join(field, row.name)
            guard let entry = entries.first(where: { $0.key == row.name }) else {
                if row.isRequired { reader.fail(node, rowField, "is required") }
                continue
            }
            row.read(entry.value, &value, rowField, &reader)
        }
        check(&value, ConfigCheckContext(node: node, field: field, index: index), &reader)
    }

    /// Reads a mapping, starting from the defaults.
    public func read(_ node: ConfigNode, field: String, index: Int? = nil, reader: inout ConfigReader) -> Value {
        var value = defaults
        read(node, field: field, into: &value, index: index, reader: &reader)
        return value
    }

    /// The restart-only keys whose values differ between `running` and `next`.
    public func restartOnlyChanges(from running: Value, to next: Value, field: String = "") -> [String] {
        rows.flatMap { $0.restartChanges(running, next, Self.join(field, $0.name)) }
    }

    /// This section and the ones below it, for the reference.
    public var reference: ConfigSectionReference {
        ConfigSectionReference(
            path: path, summary: summary,
            keys: rows.map {
                ConfigSectionReference.Key(
                    name: $0.name, type: $0.type.description, defaultText: $0.defaultText(defaults),
                    isRequired: $0.isRequired,
                    // A section's keys say for themselves when they apply.
                    applies: $0.subsections.isEmpty ? $0.applies.rawValue : "", summary: $0.summary)
            },
            subsections: rows.flatMap(\.subsections))
    }

    static func join(_ field: String, _ key: String) -> String { field.isEmpty ? key : "\(field).\(key)" }
}

/// What a section's own rules see besides the value: the mapping, its field path, its list index.
public struct ConfigCheckContext: Sendable {
    public let node: ConfigNode
    public let field: String
    public let index: Int?

    /// The path of a key of this section, for an error about it.
    public func field(_ key: String) -> String { field.isEmpty ? key : "\(field).\(key)" }
    /// Where a key of this section was written (the section's line when absent).
    public func line(_ key: String) -> Int { node[key]?.line ?? node.line }
    public func has(_ key: String) -> Bool { node[key] != nil }
}

/// A section as the reference shows it (type-erased, so sections of different values nest).
public struct ConfigSectionReference: Sendable {
    public struct Key: Sendable {
        public let name: String
        public let type: String
        public let defaultText: String?
        public let isRequired: Bool
        public let applies: String
        public let summary: String
    }

    public let path: String
    public let summary: String
    public let keys: [Key]
    public let subsections: [ConfigSectionReference]

    /// This section then every section below it, depth first, each once.
    public var flattened: [ConfigSectionReference] {
        var seen: Set<String> = []
        var out: [ConfigSectionReference] = []
        func visit(_ s: ConfigSectionReference) {
            guard seen.insert(s.path).inserted else { return }
            out.append(s)
            s.subsections.forEach(visit)
        }
        visit(self)
        return out
    }
}
