import DNSWire
import DNSZone
import FormAuthority
import NIOCore
import Testing

/// A full transfer's records and messages (RFC 5936): SOA first and last, every record once,
/// messages within their size, the question in the first only.
@Suite struct ZoneCopyTests {
    @Test func theCopyHoldsEveryRecordBetweenTwoSOAs() {
        let records = ZoneCopy.records(of: demoZone)
        #expect(records.first == demoZone.soaRecord && records.last == demoZone.soaRecord)
        #expect(records.filter { $0.type == .soa }.count == 2)
        let expected = demoZone.nodes.values.reduce(0) { total, node in
            total + node.rrsets.values.reduce(0) { $0 + $1.records.count }
        }
        // Every record once, the SOA twice.
        #expect(records.count == expected + 1)
        #expect(Set(records.map(\.description)).count == records.count - 1)
    }

    @Test func messagesStayWithinTheirSizeAndAnswerTheRequest() throws {
        let question = DNSQuestion(name: demoZone.origin, type: .axfr)
        let messages = try ZoneCopy.messages(of: demoZone, id: 0x1234, question: question, maxSize: 512)
        #expect(messages.count > 1)
        var records: [DNSResourceRecord] = []
        for (i, bytes) in messages.enumerated() {
            #expect(bytes.count <= 512)
            var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            let m = try DNSMessage(parsing: buffer)
            #expect(m.header.id == 0x1234 && m.header.isResponse && m.header.has(.authoritative) && m.rcode == .noError)
            #expect(m.questions == (i == 0 ? [question] : []))
            records += m.answers
        }
        #expect(records == ZoneCopy.records(of: demoZone))
    }

    static func zone(serial: UInt32, _ body: String) throws -> Zone {
        try Zone(
            origin: "j.test.",
            records: ZoneFileParser(origin: "j.test.").parse(
                text: "$TTL 60\n@ SOA ns hm \(serial) 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n" + body, file: "j"),
            file: "j")
    }

    /// IXFR from a kept serial: one condensed difference (RFC 1995 4 and 6); from one not kept,
    /// or the newest, nothing (the whole zone, or the single SOA, answers those).
    @Test func theJournalGivesTheChangesSinceAKeptSerial() throws {
        var journal = ZoneJournal(limit: 3)
        let v1 = try Self.zone(serial: 1, "a A 192.0.2.10\nb A 192.0.2.11\n")
        let v2 = try Self.zone(serial: 2, "a A 192.0.2.10\nb A 192.0.2.12\n")
        let v3 = try Self.zone(serial: 3, "a A 192.0.2.10\nb A 192.0.2.12\nc TXT \"new\"\n")
        for z in [v1, v2, v3] { journal.record(z) }
        let text = { (records: [DNSResourceRecord]) in records.map { $0.description } }
        let fromOne = try #require(journal.difference(from: 1))
        #expect(text(fromOne) == text([v3.soaRecord, v1.soaRecord]) + ["b.j.test. 60 IN A 192.0.2.11"]
            + text([v3.soaRecord]) + ["b.j.test. 60 IN A 192.0.2.12", "c.j.test. 60 IN TXT \"new\""]
            + text([v3.soaRecord]))
        let fromTwo = try #require(journal.difference(from: 2))
        #expect(text(fromTwo) == text([v3.soaRecord, v2.soaRecord, v3.soaRecord]) + ["c.j.test. 60 IN TXT \"new\""]
            + text([v3.soaRecord]))
        #expect(journal.difference(from: 3) == nil)  // up to date
        #expect(journal.difference(from: 7) == nil)  // never served here
        // Past the limit the oldest goes: that secondary gets the whole zone.
        journal.record(try Self.zone(serial: 4, ""))
        #expect(journal.difference(from: 1) == nil)
        #expect(journal.difference(from: 2) != nil)
        // A serial served before (a rollback) starts the journal again.
        journal.record(try Self.zone(serial: 2, "d A 192.0.2.99\n"))
        #expect(journal.versions.map(\.serial) == [2])
    }

    /// The same serial with other records (a pool's TXT changed) replaces the newest version: a
    /// difference ends at what serves.
    @Test func theSameSerialReplacesTheNewest() throws {
        var journal = ZoneJournal()
        journal.record(try Self.zone(serial: 1, ""))
        journal.record(try Self.zone(serial: 2, "x TXT \"old\"\n"))
        journal.record(try Self.zone(serial: 2, "x TXT \"fresh\"\n"))
        #expect(journal.versions.count == 2)
        let added = try #require(journal.difference(from: 1)).map(\.description)
        #expect(added.contains("x.j.test. 60 IN TXT \"fresh\"") && !added.contains("x.j.test. 60 IN TXT \"old\""))
        // A secondary holding serial 2 may have either content: from it, the whole zone.
        journal.record(try Self.zone(serial: 3, "x TXT \"fresh\"\n"))
        #expect(journal.difference(from: 2) == nil)
        #expect(journal.difference(from: 1) != nil)
    }
}
