import FormAuthority

/// A file a configuration names, with the line that names it (for errors found when loading it).
public struct ConfiguredFile: Sendable, Hashable {
    public var path: String
    public var line: Int

    public init(path: String, line: Int) {
        self.path = path
        self.line = line
    }
}

/// GeoIP sources and pools as configured (paths resolved, not yet loaded).
public struct GeoConfig: Sendable {
    public var databases: [ConfiguredFile] = []
    public var networkMaps: [ConfiguredFile] = []
    /// Whether a database record without `country` places the client by `registered_country` (where
    /// the network is registered, which need not be where the client is). On by default.
    public var useRegisteredCountry = true
    public var pools: [GeoPool] = []
    /// The line each pool starts on, for errors found when the pools are checked against the zones.
    public var poolLines: [Int] = []

    public init() {}
}
