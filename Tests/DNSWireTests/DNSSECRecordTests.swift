import DNSWire
import Foundation
import Testing

/// DS, DNSKEY, RRSIG and NSEC (RFC 4034) against the RFC's own examples: presentation, wire form,
/// the key tag, the type bitmap, the times; and malformed RDATA refused.
struct DNSSECRecordTests {
    static let origin = DNSName(stringLiteral: "example.com.")

    func parse(_ type: RecordType, _ text: String) throws -> RData {
        try RData.parse(type: type, tokens: tokens(text), origin: Self.origin)
    }

    func wire(_ data: RData) -> [UInt8] {
        var w = DNSWireWriter(capacity: 64)
        data.encode(to: &w)
        return bytes(w.buffer)
    }

    /// RFC 4034 section 5.4: the DNSKEY whose "key id = 60485", and its DS.
    @Test func theKeyTagOfTheRFCExampleKeyIs60485() throws {
        let key = try parse(
            .dnskey,
            """
            256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/ 2pHm822aJ5iI9BMzNXxeYCmZ \
            DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLU Uh6DhweJBjEVv5f2wwjM9Xzc \
            nOf+EPbtG9DMBmADjFDc2w/r ljwvFw==
            """)
        guard case .dnskey(let dnskey) = key else { Issue.record("not a DNSKEY: \(key)"); return }
        #expect(dnskey.keyTag == 60485)
        #expect(dnskey.flags & DNSKEYRecord.zoneKeyFlag != 0 && dnskey.flags & DNSKEYRecord.secureEntryPointFlag == 0)
        #expect(try roundTrip(key) == key)
        #expect(try parse(.dnskey, key.description) == key)
        let ds = try parse(.ds, "60485 5 1 ( 2BB183AF5F22588179A53B0A 98631FAD1A292118 )".replacingParens())
        #expect(ds.description == "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118")
        #expect(wire(ds) == [0xEC, 0x45, 5, 1] + Presentation.parseHex("2BB183AF5F22588179A53B0A98631FAD1A292118")!)
        #expect(try roundTrip(ds) == ds)
    }

    /// RFC 4034 section 4.3: "alfa.example.com. 86400 IN NSEC host.example.com. ( A MX RRSIG NSEC
    /// TYPE1234 )" and the octets the RFC gives for it.
    @Test func theNSECExampleEncodesAsTheRFCShows() throws {
        let nsec = try parse(.nsec, "host.example.com. A MX RRSIG NSEC TYPE1234")
        var expected: [UInt8] = [4] + Array("host".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]
        expected += [0x00, 0x06, 0x40, 0x01, 0x00, 0x00, 0x00, 0x03, 0x04, 0x1B]
        expected += [UInt8](repeating: 0, count: 26) + [0x20]
        #expect(wire(nsec) == expected)
        #expect(try roundTrip(nsec) == nsec)
        #expect(nsec.description == "host.example.com. A MX RRSIG NSEC TYPE1234")
        // RFC 9824 compact denial: the next name right after the owner, NXNAME for a name that is not there.
        let compact = try parse(.nsec, "\\000.nx.example.com. RRSIG NSEC NXNAME")
        guard case .nsec(let record) = compact else { Issue.record("not an NSEC"); return }
        #expect(record.types.types == [.rrsig, .nsec, .nxname])
    }

    /// RFC 4034 section 3.3's RRSIG example, times as the RFC writes them.
    @Test func theRRSIGExampleKeepsItsFieldsAndTimes() throws {
        let text = """
            A 5 3 86400 20030322173103 20030220173103 2642 example.com. \
            oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6o \
            B9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkG \
            J5D6fwFm8nN+6pBzeDQfsS3Ap3o=
            """
        let data = try parse(.rrsig, text)
        guard case .rrsig(let sig) = data else { Issue.record("not an RRSIG"); return }
        #expect(sig.typeCovered == .a && sig.algorithm == 5 && sig.labels == 3 && sig.originalTTL == 86400)
        #expect(sig.expiration == 1_048_354_263 && sig.inception == 1_045_762_263)  // from Python's calendar.timegm
        #expect(sig.keyTag == 2642 && sig.signerName == DNSName(stringLiteral: "example.com."))
        #expect(sig.signature.count == 128)
        #expect(try roundTrip(data) == data)
        #expect(try parse(.rrsig, data.description) == data)
        #expect(data.description.hasPrefix("A 5 3 86400 20030322173103 20030220173103 2642 example.com. oJB1"))
        // The signer's name is never compressed.
        #expect(Array(wire(data)[18..<31]) == [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0])
        // Seconds are accepted too.
        let seconds = try parse(.rrsig, text.replacingOccurrences(of: "20030322173103", with: "1048354263"))
        #expect(seconds == data)
    }

    @Test(arguments: [
        ("19700101000000", UInt32(0)), ("21060207062815", UInt32.max), ("20000229120000", UInt32(951_825_600)),
    ])
    func timesConvertBothWays(text: String, seconds: UInt32) {
        #expect(DNSSECTime(presentation: text)?.seconds == seconds)
        #expect(DNSSECTime(seconds).presentation == text)
    }

    @Test(arguments: ["20010229000000", "20031301000000", "21060207062816", "2003032217310", "2003-03-22", "", "-5"])
    func impossibleTimesAreRefused(text: String) {
        #expect(DNSSECTime(presentation: text) == nil)
    }

    @Test(arguments: [
        (RecordType.ds, "1 2 3"), (.ds, "1 2 3 XYZ"), (.ds, "70000 2 3 ABCD"), (.dnskey, "256 3 13"),
        (.dnskey, "256 3 13 !!!notbase64"), (.rrsig, "A 13 2 60 20260101000000 20250101000000 1 example.com."),
        (.rrsig, "BOGUS 13 2 60 20260101000000 20250101000000 1 example.com. AAAA"),
        (.rrsig, "A 13 2 60 20261301000000 20250101000000 1 example.com. AAAA"), (.nsec, ""),
        (.nsec, "next.example.com. A NOTATYPE"),
    ])
    func badPresentationIsRefused(type: RecordType, text: String) {
        #expect(throws: PresentationError.self) { try parse(type, text) }
    }

    @Test(arguments: [
        (RecordType.ds, [UInt8]([0, 1, 2])), (.dnskey, [1, 0, 3]), (.rrsig, [UInt8](repeating: 0, count: 18)),
        // NSEC bitmaps: window 1 before window 0, a block of 0 and of 33 octets, a block past the end.
        (.nsec, [0, 1, 0, 1, 0x40, 0, 1, 0x40]), (.nsec, [0, 0, 0]), (.nsec, [0, 0, 33] + [UInt8](repeating: 0, count: 33)),
        (.nsec, [0, 0, 4, 0x40]), (.nsec, [0, 0]),
    ])
    func badWireRDataIsRefused(type: RecordType, data: [UInt8]) {
        var w = DNSWireWriter(capacity: 64)
        w.write(bytes: data)
        var r = DNSWireReader(w.buffer)
        #expect(throws: DNSWireError.self) { try RData.decode(type: type, from: &r, length: data.count) }
    }

    @Test func aBitmapListsEachTypeOnceInOrderAcrossWindows() throws {
        let bitmap = TypeBitmap([.caa, .a, .nsec, .a, RecordType(65_534)])
        #expect(bitmap.types == [.a, .nsec, .caa, RecordType(65_534)])
        var w = DNSWireWriter(capacity: 64)
        bitmap.encode(to: &w)
        var r = DNSWireReader(w.buffer)
        #expect(try TypeBitmap(from: &r, length: w.count, type: 47) == bitmap)
    }
}

extension String {
    /// Drops the parentheses a master file uses to continue a record over lines.
    fileprivate func replacingParens() -> String { filter { $0 != "(" && $0 != ")" } }
}
