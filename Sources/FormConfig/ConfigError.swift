/// A configuration problem, located as `file:line: field: message`.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var field: String
    public var message: String

    public init(file: String, line: Int, field: String, message: String) {
        self.file = file
        self.line = line
        self.field = field
        self.message = message
    }

    public var description: String {
        field.isEmpty ? "\(file):\(line): \(message)" : "\(file):\(line): \(field): \(message)"
    }
}

/// All problems found while loading a configuration and its zones.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public init(_ errors: [ConfigError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
