import DNSWire

/// One zone to serve.
public struct ZoneConfig: Sendable {
    public var origin: DNSName
    /// Path of the master file (relative paths in a config file are resolved against its folder).
    public var file: String
    /// Where the zone was declared, for error messages.
    public var declaredAt: (file: String, line: Int)

    public init(origin: DNSName, file: String, declaredAt: (file: String, line: Int) = ("command line", 0)) {
        self.origin = origin
        self.file = file
        self.declaredAt = declaredAt
    }
}
