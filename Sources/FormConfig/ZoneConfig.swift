import DNSWire

/// One zone to serve.
public struct ZoneConfig: Sendable {
    public var origin: DNSName
    /// Path of the master file (relative paths in a config file are resolved against its folder);
    /// empty when the zone's text is inline (`content`).
    public var file: String
    /// The master file's text itself, as stored configuration versions carry it (so a version
    /// holds its records and a rollback restores them); nil: read `file`.
    public var content: String?
    /// Online DNSSEC signing; nil: the zone is served unsigned.
    public var dnssec: ZoneSigning?
    /// Zone transfer out (AXFR); nil: no client may transfer the zone.
    public var transfer: ZoneTransfer?
    /// Where the zone was declared, for error messages.
    public var declaredAt: (file: String, line: Int)

    public init(
        origin: DNSName, file: String, content: String? = nil,
        declaredAt: (file: String, line: Int) = ("command line", 0)
    ) {
        self.origin = origin
        self.file = file
        self.content = content
        self.declaredAt = declaredAt
    }
}

extension ZoneConfig {
    /// What errors in inline zone text name as their file.
    public var textName: String { content == nil ? file : "\(declaredAt.file) zone \(origin)" }
}
