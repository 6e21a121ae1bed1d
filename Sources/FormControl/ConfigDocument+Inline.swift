import DNSZone
import FormConfig

extension ConfigDocument {
    /// The document with each zone's `file` replaced by its text (`content`), so one text holds the
    /// whole configuration: what a stored version is. A file that cannot be read is an error at
    /// its `file` line, as `form-dns check` reports it.
    public func inliningZones(
        readFile: ZoneFileParser.FileReader = ZoneFileParser.readFromDisk
    ) throws(ConfigErrors) -> ConfigDocument {
        var root = self.root
        guard var zones = root["zones"]?.list else { return self }
        var errors: [ConfigError] = []
        for i in zones.indices {
            guard let fileNode = zones[i]["file"], let path = fileNode.scalar?.text, zones[i]["content"] == nil
            else { continue }
            let resolved = path.hasPrefix("/") ? path : directory + path
            do {
                let text = try readFile(resolved)
                var zone = ConfigNode(.mapping([]), line: zones[i].line)
                for entry in zones[i].mapping ?? [] {
                    if entry.key == "file" {
                        zone.set("content", .string(text))
                    } else {
                        zone.set(entry.key, entry.value)
                    }
                }
                zones[i] = zone
            } catch {
                errors.append(
                    ConfigError(
                        file: source, line: fileNode.line, field: "zones[\(i)].file",
                        message: "cannot read \(resolved): \(error)"))
            }
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        root.set("zones", ConfigNode(.list(zones), line: root["zones"]?.line ?? 0))
        return ConfigDocument(root: root, source: source, directory: directory)
    }
}
