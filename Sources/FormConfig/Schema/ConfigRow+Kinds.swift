/// The kinds of key, each a row constructor: the key path says where the value goes, the range or
/// choices say what is accepted, and the default is read off the section's default value.
extension ConfigRow {
    public typealias Path<T> = WritableKeyPath<Value, T> & Sendable
    public typealias Parse<T> = @Sendable (ConfigNode, String, inout ConfigReader) -> T?

    /// A key read by `parse`; `show` prints the default (nil: no default shown).
    public static func value<T: Equatable & Sendable>(
        _ name: String, _ path: Path<T>, type: ConfigValueType, applies: Applies = .reload, _ summary: String,
        show: @escaping @Sendable (T) -> String? = { ConfigRow.shown($0) },
        parse: @escaping Parse<T>
    ) -> ConfigRow {
        let changes: @Sendable (Value, Value, String) -> [String] = { a, b, field in
            applies == .restart && a[keyPath: path] != b[keyPath: path] ? [field] : []
        }
        let read: @Sendable (ConfigNode, inout Value, String, inout ConfigReader) -> Void = {
            node, value, field, reader in
            if let v = parse(node, field, &reader) { value[keyPath: path] = v }
        }
        return ConfigRow(
            name: name, type: type, summary: summary, applies: applies, defaultText: { show($0[keyPath: path]) },
            restartChanges: changes, read: read)
    }

    public static func integer<N: FixedWidthInteger & Sendable>(
        _ name: String, _ path: Path<N>, _ range: ClosedRange<Int>, applies: Applies = .reload, _ summary: String
    ) -> ConfigRow {
        value(name, path, type: .integer(range), applies: applies, summary) { node, field, reader in
            reader.integer(node, field, range).map { N($0) }
        }
    }

    /// An integer that may be left out (no default value).
    public static func integer(_ name: String, _ path: Path<Int?>, _ range: ClosedRange<Int>, _ summary: String)
        -> ConfigRow
    {
        value(name, path, type: .integer(range), summary) { node, field, reader in
            reader.integer(node, field, range).map(Optional.some)
        }
    }

    public static func number(_ name: String, _ path: Path<Double>, _ range: ClosedRange<Double>, _ summary: String)
        -> ConfigRow
    {
        value(name, path, type: .number(range), summary) { node, field, reader in
            reader.number(node, field, range)
        }
    }

    public static func boolean(_ name: String, _ path: Path<Bool>, _ summary: String) -> ConfigRow {
        value(name, path, type: .boolean, summary) { node, field, reader in reader.boolean(node, field) }
    }

    public static func string(_ name: String, _ path: Path<String>, _ summary: String) -> ConfigRow {
        value(name, path, type: .string, summary) { node, field, reader in reader.string(node, field) }
    }

    public static func string(_ name: String, _ path: Path<String?>, _ summary: String) -> ConfigRow {
        value(name, path, type: .string, summary) { node, field, reader in
            reader.string(node, field).map(Optional.some)
        }
    }

    /// One of an enumeration's raw values.
    public static func choice<E: RawRepresentable & CaseIterable & Equatable & Sendable>(
        _ name: String, _ path: Path<E>, applies: Applies = .reload, _ summary: String
    ) -> ConfigRow where E.RawValue == String {
        let choices = E.allCases.map(\.rawValue)
        return value(name, path, type: .choice(choices), applies: applies, summary, show: { $0.rawValue }) {
            node, field, reader in
            reader.choice(node, field, choices).flatMap(E.init(rawValue:))
        }
    }

    /// A list whose items are read by `element`; `minimum` items at least.
    public static func list<T: Equatable & Sendable>(
        _ name: String, _ path: Path<[T]>, of type: ConfigValueType, minimum: Int = 0, applies: Applies = .reload,
        _ summary: String, element: @escaping Parse<T>
    ) -> ConfigRow {
        value(name, path, type: .list(type), applies: applies, summary) { node, field, reader in
            let items = reader.list(node, field)
            if node.list != nil, items.count < minimum {
                reader.fail(node, field, "needs at least \(minimum) \(minimum == 1 ? "entry" : "entries")")
                return nil
            }
            let before = reader.errors.count
            let values = items.enumerated().compactMap { element($1, "\(field)[\($0)]", &reader) }
            return reader.errors.count == before ? values : nil
        }
    }

    /// A nested mapping read into the value at `path` (which holds its defaults).
    public static func section<S: Sendable>(_ name: String, _ path: Path<S>, _ section: ConfigSection<S>) -> ConfigRow {
        ConfigRow(
            name: name, type: .section(section.path), summary: section.summary, subsections: [section.reference],
            restartChanges: { a, b, f in
                section.restartOnlyChanges(from: a[keyPath: path], to: b[keyPath: path], field: f)
            },
            read: { node, value, field, reader in
                section.read(node, field: field, into: &value[keyPath: path], reader: &reader)
            })
    }

    /// A nested mapping read from the section's defaults and handed to `store` when it read without
    /// errors (for a value that is optional, or built from the mapping, like a default location).
    public static func section<S: Sendable>(
        _ name: String, _ section: ConfigSection<S>, store: @escaping @Sendable (inout Value, S) -> Void
    ) -> ConfigRow {
        ConfigRow(
            name: name, type: .section(section.path), summary: section.summary, subsections: [section.reference],
            read: { node, value, field, reader in
                let before = reader.errors.count
                let read = section.read(node, field: field, reader: &reader)
                if reader.errors.count == before { store(&value, read) }
            })
    }

    /// A list of mappings, each read from the section's defaults; `minimum` items at least.
    /// `lines` (if given) receives the line each item starts on.
    public static func sections<S: Sendable>(
        _ name: String, _ path: Path<[S]>, _ section: ConfigSection<S>, minimum: Int = 0, lines: Path<[Int]>? = nil
    ) -> ConfigRow {
        ConfigRow(
            name: name, type: .sectionList(section.path), summary: section.summary, subsections: [section.reference],
            read: { node, value, field, reader in
                let items = reader.list(node, field)
                if node.list != nil, items.count < minimum {
                    reader.fail(node, field, "needs at least \(minimum) \(minimum == 1 ? "entry" : "entries")")
                }
                value[keyPath: path] = items.enumerated().map { i, item in
                    section.read(item, field: "\(field)[\(i)]", index: i, reader: &reader)
                }
                if let lines { value[keyPath: lines] = items.map(\.line) }
            })
    }

    /// A value as the reference shows a default: nil for an absent optional, lists in brackets.
    public static func shown(_ value: Any) -> String? {
        switch value {
        case let d as Double: return ConfigValueType.shown(d)
        case let s as String: return s.isEmpty ? nil : s
        case let c as any Collection:
            return c.isEmpty ? "[]" : "[" + c.map { shown($0) ?? "" }.joined(separator: ", ") + "]"
        // An enumeration as the file spells it (approvals: remove_pool, not removePool).
        case let r as any RawRepresentable<String>: return r.rawValue
        case let o as any OptionalProtocol: return o.wrapped.flatMap(shown)
        default: return "\(value)"
        }
    }
}

/// Lets `shown` see through an optional of any type.
protocol OptionalProtocol { var wrapped: Any? { get } }
extension Optional: OptionalProtocol {
    var wrapped: Any? { self.map { $0 as Any } }
}
