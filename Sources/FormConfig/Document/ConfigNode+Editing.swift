extension ConfigNode {
    /// Sets `key` in a mapping (replacing its value, or appending the key); a non-mapping becomes
    /// one. Edited nodes carry line 0: they came from a change, not from the text.
    public mutating func set(_ key: String, _ value: ConfigNode) {
        var entries = mapping ?? []
        if let i = entries.firstIndex(where: { $0.key == key }) {
            entries[i].value = value
        } else {
            entries.append(ConfigEntry(key: key, keyLine: 0, value: value))
        }
        content = .mapping(entries)
    }

    /// Removes `key` from a mapping; false if it was not there.
    @discardableResult
    public mutating func remove(_ key: String) -> Bool {
        guard var entries = mapping, let i = entries.firstIndex(where: { $0.key == key }) else { return false }
        entries.remove(at: i)
        content = .mapping(entries)
        return true
    }

    /// The keys of `fields` set over this mapping's (a shallow merge: a node update names only
    /// what changes; `null` removes a key, so its default applies again).
    public mutating func merge(_ fields: ConfigNode) {
        for entry in fields.mapping ?? [] {
            if entry.value.scalar?.isNull == true { remove(entry.key) } else { set(entry.key, entry.value) }
        }
    }

    public static func string(_ text: String) -> ConfigNode { ConfigNode(.scalar(ConfigScalar(text: text))) }
}
