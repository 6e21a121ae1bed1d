/// One key of a section: its name, type, default, meaning, and how it is read into `Value`.
/// Reading, errors, the "expected ..." lists, restart detection and the reference all come from
/// rows; nothing about a key is written anywhere else.
/// When a change to a key takes effect in a running server.
public enum ConfigApplies: String, Sendable {
    /// On reload (SIGHUP or the API): zones, GeoIP, pools and the like.
    case reload
    /// Only on restart: sockets, threads and listeners are set up once.
    case restart
}

public struct ConfigRow<Value>: Sendable {
    public typealias Applies = ConfigApplies

    public let name: String
    public let type: ConfigValueType
    public let summary: String
    public let isRequired: Bool
    public let applies: Applies
    /// The default as the reference shows it, read off a default value (nil: none to show).
    let defaultText: @Sendable (Value) -> String?
    let read: @Sendable (ConfigNode, inout Value, String, inout ConfigReader) -> Void
    /// The restart-only keys (by field path) whose values differ between two values.
    let restartChanges: @Sendable (Value, Value, String) -> [String]
    /// Sections this key opens, for the reference.
    let subsections: [ConfigSectionReference]

    init(
        name: String, type: ConfigValueType, summary: String, isRequired: Bool = false, applies: Applies = .reload,
        defaultText: @escaping @Sendable (Value) -> String? = { _ in nil },
        subsections: [ConfigSectionReference] = [],
        restartChanges: (@Sendable (Value, Value, String) -> [String])? = nil,
        read: @escaping @Sendable (ConfigNode, inout Value, String, inout ConfigReader) -> Void
    ) {
        self.name = name
        self.type = type
        self.summary = summary
        self.isRequired = isRequired
        self.applies = applies
        self.defaultText = defaultText
        self.subsections = subsections
        self.restartChanges = restartChanges ?? { _, _, _ in [] }
        self.read = read
    }

    /// This row over a value nested in a larger one (a shared group of keys, like a location's).
    public func lifted<Outer>(through path: WritableKeyPath<Outer, Value> & Sendable) -> ConfigRow<Outer> {
        let read = self.read
        let defaultText = self.defaultText
        let restartChanges = self.restartChanges
        return ConfigRow<Outer>(
            name: name, type: type, summary: summary, isRequired: isRequired, applies: applies,
            defaultText: { defaultText($0[keyPath: path]) }, subsections: subsections,
            restartChanges: { a, b, f in restartChanges(a[keyPath: path], b[keyPath: path], f) },
            read: { node, outer, field, reader in read(node, &outer[keyPath: path], field, &reader) })
    }

    /// The same row, marked required (its absence is an error).
    public func required() -> ConfigRow {
        ConfigRow(
            name: name, type: type, summary: summary, isRequired: true, applies: applies, defaultText: { _ in nil },
            subsections: subsections, restartChanges: restartChanges, read: read)
    }
}
