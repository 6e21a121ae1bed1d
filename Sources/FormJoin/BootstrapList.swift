import Foundation

/// A static bootstrap list (`--fallback FILE` or `$FORM_JOIN_BOOTSTRAP`), the same format as
/// `Fixtures/bootstrap.json`: `{"schema_version": 1, "peers": [PeerInfo...]}`.
public struct BootstrapList: Codable, Sendable {
    public var schemaVersion: Int
    public var peers: [PeerInfo]

    enum CodingKeys: String, CodingKey {
        case peers
        case schemaVersion = "schema_version"
    }

    public init(schemaVersion: Int = 1, peers: [PeerInfo]) {
        self.schemaVersion = schemaVersion
        self.peers = peers
    }

    /// Reads and checks a bootstrap file. Every error is a `JoinError.badInput` that starts with
    /// `source` (default: the path; the CLI says when the path came from `$FORM_JOIN_BOOTSTRAP`)
    /// and names the peer and the field that are wrong.
    public static func load(path: String, source: String? = nil) throws(JoinError) -> BootstrapList {
        let reader = PeerListReader(source: source ?? path)
        return try reader.bootstrap(reader.readFile(path))
    }

    /// Checks a bootstrap list given as JSON text; `source` starts every error message.
    public static func parse(_ data: Data, source: String) throws(JoinError) -> BootstrapList {
        try PeerListReader(source: source).bootstrap(data)
    }

    /// The list of last resort when no file is given: empty. The project knows no real entry
    /// nodes to ship; a deployment passes its own list with `--fallback FILE` or
    /// `$FORM_JOIN_BOOTSTRAP` (Fixtures/bootstrap.json is the loopback list the demo and tests use).
    public static let builtIn = BootstrapList(peers: [])
}

/// A static list file as given (`--fallback`): its bytes and what errors call it.
public struct BootstrapFile: Sendable {
    public var data: Data
    public var source: String

    public init(data: Data, source: String) {
        self.data = data
        self.source = source
    }

    /// Reads `path` (size-capped, UTF-8 checked as lists are); `source` names it in messages.
    public static func read(path: String, source: String? = nil) throws(JoinError) -> BootstrapFile {
        let reader = PeerListReader(source: source ?? path)
        return BootstrapFile(data: try reader.readFile(path), source: source ?? path)
    }
}
