/// One node of a configuration document: a scalar, a list or a mapping, with the line it starts
/// on (1-based; 0 when it did not come from text). The schema reads these, never YAML directly, so
/// a document from a file, an API request body or a CSV row is checked by the same rules.
public struct ConfigNode: Sendable {
    public enum Content: Sendable {
        case scalar(ConfigScalar)
        case list([ConfigNode])
        case mapping([ConfigEntry])
    }

    public var content: Content
    public var line: Int

    public init(_ content: Content, line: Int = 0) {
        self.content = content
        self.line = line
    }

    public var scalar: ConfigScalar? {
        if case .scalar(let s) = content { return s }
        return nil
    }

    public var list: [ConfigNode]? {
        if case .list(let l) = content { return l }
        return nil
    }

    public var mapping: [ConfigEntry]? {
        if case .mapping(let m) = content { return m }
        return nil
    }

    /// The value under `key` when this is a mapping (the first, if a key is repeated).
    public subscript(key: String) -> ConfigNode? {
        mapping?.first { $0.key == key }?.value
    }

    /// The scalar's text, for error messages ("?" for a list or mapping).
    var shownText: String { scalar?.text ?? "?" }
}

/// One `key: value` pair of a mapping.
public struct ConfigEntry: Sendable {
    public var key: String
    public var keyLine: Int
    public var value: ConfigNode

    public init(key: String, keyLine: Int, value: ConfigNode) {
        self.key = key
        self.keyLine = keyLine
        self.value = value
    }
}

/// A scalar with its text and the typed readings its source allows (YAML's core schema for a
/// document, the plain text for a CSV cell): `workers: 2` reads as an integer, `workers: "2"` does
/// not.
public struct ConfigScalar: Sendable {
    public var text: String
    public var integer: Int?
    public var number: Double?
    public var boolean: Bool?
    public var isNull: Bool

    public init(text: String, integer: Int? = nil, number: Double? = nil, boolean: Bool? = nil, isNull: Bool = false) {
        self.text = text
        self.integer = integer
        self.number = number ?? integer.map(Double.init)
        self.boolean = boolean
        self.isNull = isNull
    }

    /// Readings from unquoted text, as a CSV cell is read.
    public init(plainText text: String) {
        let boolean: Bool? =
            switch text {
            case "true": true
            case "false": false
            default: nil
            }
        self.init(text: text, integer: Int(text), number: Double(text), boolean: boolean, isNull: text.isEmpty)
    }
}
