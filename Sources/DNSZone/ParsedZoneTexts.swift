import DNSWire
import Synchronization

/// Zone texts parsed lately, with their records and zone, by (origin, name, text). A change made
/// through the control plane parses the zone it edits, and the build after it parses the edited
/// text again; the next change starts from that same text. Each text is now parsed once.
///
/// Only text that reads no other file is kept (no `$INCLUDE`): what an included file holds can
/// change while the text does not. Texts are compared whole (a byte compare of equal lengths), a
/// few recent ones are kept, and a large text is not kept at all, so memory stays bounded.
public final class ParsedZoneTexts: Sendable {
    public static let shared = ParsedZoneTexts()

    struct Key: Equatable, Sendable {
        var origin: DNSName
        var file: String
        var text: String
    }

    struct Entry: Sendable {
        var key: Key
        var records: [SourcedRecord]?
        var zone: Zone?
    }

    static let capacity = 8
    static let largestText = 4 << 20
    /// Newest last.
    private let recent = Mutex<[Entry]>([])

    public init() {}

    /// The records of `text`, parsed by `parse` unless a recent call saw the same text.
    public func records(
        origin: DNSName, text: String, file: String,
        orParse parse: () throws(ZoneLoadErrors) -> [SourcedRecord]
    ) throws(ZoneLoadErrors) -> [SourcedRecord] {
        guard Self.keepable(text) else { return try parse() }
        // The same text under another name (an edit and the build after it name it differently):
        // the same records, named as this caller names them.
        let found = recent.withLock { entries in
            entries.last { $0.key.origin == origin && $0.key.text == text && $0.records != nil }
        }
        if let found, let records = found.records {
            if found.key.file == file { return records }
            return records.map { SourcedRecord(record: $0.record, file: file, line: $0.line) }
        }
        let records = try parse()
        remember(Key(origin: origin, file: file, text: text)) { $0.records = records }
        return records
    }

    /// The zone made from `text`, loaded by `load` unless a recent call saw the same text.
    public func zone(
        origin: DNSName, text: String, file: String, orLoad load: () throws(ZoneLoadErrors) -> Zone
    ) throws(ZoneLoadErrors) -> Zone {
        let key = Key(origin: origin, file: file, text: text)
        guard Self.keepable(text) else { return try load() }
        if let zone = recent.withLock({ $0.last { $0.key == key }?.zone }) { return zone }
        let zone = try load()
        remember(key) { $0.zone = zone }
        return zone
    }

    private func remember(_ key: Key, _ update: (inout Entry) -> Void) {
        recent.withLock { entries in
            var entry = entries.firstIndex { $0.key == key }.map { entries.remove(at: $0) } ?? Entry(key: key)
            update(&entry)
            entries.append(entry)
            if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
        }
    }

    /// Small enough, and reads no other file: no `$INCLUDE` in any case.
    static func keepable(_ text: String) -> Bool {
        let bytes = text.utf8
        guard bytes.count <= largestText else { return false }
        let include = Array("include".utf8)
        var i = bytes.startIndex
        while let dollar = bytes[i...].firstIndex(of: UInt8(ascii: "$")) {
            let after = bytes[bytes.index(after: dollar)...].prefix(include.count)
            if after.map({ $0 | 0x20 }).elementsEqual(include) { return false }
            i = bytes.index(after: dollar)
        }
        return true
    }
}
