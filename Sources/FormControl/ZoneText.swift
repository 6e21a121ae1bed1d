import DNSWire
import DNSZone

/// Record edits on a zone's master-file text. Added records are appended as absolute, one-line
/// records (the operator's layout and comments stay); removed records lose their lines when that
/// provably leaves exactly the other records (checked by parsing again), and otherwise the zone is
/// rewritten one record per line. Either way the result is parsed and loaded like any zone.
public struct ZoneText: Sendable {
    public let origin: DNSName
    public internal(set) var text: String
    /// What zone errors name.
    let name: String

    public init(origin: DNSName, text: String, name: String) {
        self.origin = origin
        self.text = text
        self.name = name
    }

    public func records() throws(ChangeError) -> [SourcedRecord] {
        do { return try parse(text) } catch { throw ChangeError(.invalid, "zone \(origin): \(error)") }
    }

    func parse(_ text: String) throws(ZoneLoadErrors) -> [SourcedRecord] {
        let name = self.name
        return try ParsedZoneTexts.shared.records(origin: origin, text: text, file: name) { () throws(ZoneLoadErrors) in
            try ZoneFileParser(origin: origin) { path in
                guard path == name else { throw Self.noInclude(path) }
                return text
            }.parse(text: text, file: name)
        }
    }

    /// Parses record lines as they would read in the zone (names relative to its origin; a
    /// record without a TTL takes `defaultTTL`).
    public func parseRecords(_ lines: [String], defaultTTL: UInt32) throws(ChangeError) -> [DNSResourceRecord] {
        var out: [DNSResourceRecord] = []
        for line in lines {
            guard !line.contains("\n"), !line.hasPrefix("$") else {
                throw ChangeError(.invalid, "'\(line)': one record per line, no directives")
            }
            let parsed: [SourcedRecord]
            do {
                parsed = try ZoneFileParser(origin: origin) { path in throw Self.noInclude(path) }
                    .parse(text: "$TTL \(defaultTTL)\n\(line)\n", file: "record")
            } catch {
                throw ChangeError(.invalid, "'\(line)': \(error.errors.first?.message ?? "\(error)")")
            }
            guard parsed.count == 1, let record = parsed.first?.record else {
                throw ChangeError(.invalid, "'\(line)' is not one record")
            }
            guard record.name.isSubdomain(of: origin) else {
                throw ChangeError(.invalid, "\(record.name) is not in zone \(origin)")
            }
            out.append(record)
        }
        return out
    }

    /// Appends `records`; those already present are skipped (RFC 2136 3.4.2.2: adding a record
    /// that exists is no change). Returns how many were new.
    @discardableResult
    public mutating func add(_ records: [DNSResourceRecord]) throws(ChangeError) -> Int {
        let existing = Set(try self.records().map { Self.identity($0.record) })
        var seen = existing
        var lines: [String] = []
        for record in records where seen.insert(Self.identity(record)).inserted {
            lines.append(record.description)
        }
        guard !lines.isEmpty else { return 0 }
        if !text.isEmpty, !text.hasSuffix("\n") { text += "\n" }
        text += lines.joined(separator: "\n") + "\n"
        return lines.count
    }

    /// Removes the records `matching` selects; returns how many.
    @discardableResult
    public mutating func remove(where matching: (DNSResourceRecord) -> Bool) throws(ChangeError) -> Int {
        let all = try records()
        let doomed = all.filter { matching($0.record) }
        guard !doomed.isEmpty else { return 0 }
        let kept = all.filter { !matching($0.record) }.map { Self.identity($0.record) }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for line in Set(doomed.map(\.line)).sorted(by: >) where line >= 1 && line <= lines.count {
            lines.remove(at: line - 1)
        }
        let candidate = lines.joined(separator: "\n")
        if let reparsed = try? parse(candidate), reparsed.map({ Self.identity($0.record) }) == kept {
            text = candidate
        } else {
            // A removed line carried something others depend on (an owner, a TTL, a parenthesis).
            text =
                "; rewritten by form-dns, one record per line\n"
                + all.filter { !matching($0.record) }.map { $0.record.description + "\n" }.joined()
        }
        return doomed.count
    }

    static func noInclude(_ path: String) -> ZoneLoadErrors {
        ZoneLoadErrors([ZoneFileError(file: path, line: 0, message: "$INCLUDE is not allowed in zone text given here")])
    }

    /// What makes two records the same record (RFC 2181 5: TTL is not part of it).
    static func identity(_ r: DNSResourceRecord) -> String { "\(r.name) \(r.recordClass) \(r.type) \(r.data)" }
}
