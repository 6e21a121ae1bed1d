import DNSWire
@testable import DNSZone
import Testing

@Suite struct ParsedZoneTextsTests {
    static let text = """
        $TTL 300
        @ IN SOA ns1 admin 1 3600 600 86400 60
        @ IN NS ns1
        ns1 IN A 192.0.2.1
        www IN A 192.0.2.2
        """

    static func parse(_ text: String, file: String) throws(ZoneLoadErrors) -> [SourcedRecord] {
        try ZoneFileParser(origin: "example.test.") { _ in text }.parse(text: text, file: file)
    }

    @Test func aTextIsParsedOnceAndNamedAsEachCallerNamesIt() throws {
        let cache = ParsedZoneTexts()
        var parses = 0
        func records(_ file: String) throws -> [SourcedRecord] {
            try cache.records(origin: "example.test.", text: Self.text, file: file) { () throws(ZoneLoadErrors) in
                parses += 1
                return try Self.parse(Self.text, file: file)
            }
        }
        let first = try records("edit")
        let second = try records("config.yaml zone example.test.")
        #expect(parses == 1)
        #expect(first.map(\.record) == second.map(\.record) && first.map(\.line) == second.map(\.line))
        #expect(Set(first.map(\.file)) == ["edit"])
        #expect(Set(second.map(\.file)) == ["config.yaml zone example.test."])
        // Another origin is another zone.
        _ = try cache.records(origin: "other.test.", text: Self.text, file: "edit") { () throws(ZoneLoadErrors) in
            parses += 1
            return []
        }
        #expect(parses == 2)
    }

    @Test func textsThatIncludeFilesAndFailedParsesAreNotKept() throws {
        let cache = ParsedZoneTexts()
        #expect(!ParsedZoneTexts.keepable("$TTL 60\n$include other.zone\n"))
        #expect(!ParsedZoneTexts.keepable("$INCLUDE other.zone"))
        #expect(ParsedZoneTexts.keepable("$TTL 60\n$ORIGIN x.\n"))
        var parses = 0
        let including = Self.text + "\n$INCLUDE more.zone\n"
        for _ in 0..<2 {
            _ = try cache.records(origin: "example.test.", text: including, file: "f") { () throws(ZoneLoadErrors) in
                parses += 1
                return []
            }
        }
        #expect(parses == 2)
        for _ in 0..<2 {
            #expect(throws: ZoneLoadErrors.self) {
                try cache.records(origin: "example.test.", text: "bad", file: "f") { () throws(ZoneLoadErrors) in
                    parses += 1
                    return try Self.parse("bad", file: "f")
                }
            }
        }
        #expect(parses == 4)
    }

    @Test func onlyAFewRecentTextsAreKept() throws {
        let cache = ParsedZoneTexts()
        var parses = 0
        func touch(_ i: Int) throws {
            _ = try cache.records(origin: "example.test.", text: "; \(i)\n" + Self.text, file: "f") {
                () throws(ZoneLoadErrors) in
                parses += 1
                return []
            }
        }
        for i in 0..<(ParsedZoneTexts.capacity + 1) { try touch(i) }
        #expect(parses == ParsedZoneTexts.capacity + 1)
        try touch(ParsedZoneTexts.capacity)  // newest: kept
        #expect(parses == ParsedZoneTexts.capacity + 1)
        try touch(0)  // oldest: gone
        #expect(parses == ParsedZoneTexts.capacity + 2)
    }
}
