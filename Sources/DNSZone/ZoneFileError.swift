/// A zone file problem, located as `file:line: message` (the form compilers and NSD/Knot use).
public struct ZoneFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { "\(file):\(line): \(message)" }
}

/// Every problem found in one zone; loading stops collecting after a bounded number.
public struct ZoneLoadErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ZoneFileError]
    public init(_ errors: [ZoneFileError]) { self.errors = errors }
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
