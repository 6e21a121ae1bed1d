import DNSWire
import DNSZone
import Foundation
import Testing

@Suite struct ZoneFileParserTests {
    func parse(_ text: String, origin: DNSName = "example.", files: [String: String] = [:]) throws(ZoneLoadErrors) -> [DNSResourceRecord] {
        let parser = ZoneFileParser(origin: origin) { path in
            guard let t = files[path] else { throw PresentationError("no such file \(path)") }
            return t
        }
        return try parser.parse(text: text, file: "test.zone").map(\.record)
    }

    func errors(_ text: String, files: [String: String] = [:]) -> [String] {
        do {
            _ = try parse(text, files: files)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func readsOwnersTTLsClassesAndContinuations() throws {
        let rrs = try parse("""
        $TTL 1h
        @   IN SOA ns hostmaster ( 1 ; serial
                    2h 30m 1w
                    5m )
            NS ns                      ; blank owner: same as previous (@)
        ns  60 IN A 192.0.2.1
        ns  IN 61 AAAA 2001:db8::1     ; class before TTL
        www A 192.0.2.2
        """)
        #expect(rrs.count == 5)
        #expect(rrs[0].name == "example." && rrs[0].ttl == 3600)
        #expect(rrs[0].data.description == "ns.example. hostmaster.example. 1 7200 1800 604800 300")
        #expect(rrs[1].name == "example." && rrs[1].type == .ns)
        #expect(rrs[2].ttl == 60 && rrs[3].ttl == 61)
        #expect(rrs[4].name == "www.example." && rrs[4].ttl == 3600)
    }

    @Test func originAndIncludeDirectives() throws {
        let rrs = try parse("""
        $TTL 300
        $ORIGIN sub.example.
        a A 192.0.2.1
        $INCLUDE inc.zone other.example.
        b A 192.0.2.2
        $INCLUDE inc.zone
        """, files: ["inc.zone": "x TXT \"included\"\n"])
        #expect(rrs.map(\.name.description) == ["a.sub.example.", "x.other.example.", "b.sub.example.", "x.sub.example."])
    }

    @Test func lastExplicitTTLWithoutDollarTTL() throws {
        let rrs = try parse("a 120 A 192.0.2.1\nb A 192.0.2.2\n")
        #expect(rrs[1].ttl == 120)
        #expect(errors("a A 192.0.2.1\n") == ["test.zone:1: no TTL given and no $TTL in effect"])
    }

    @Test func quotedStringsKeepSpecialCharacters() throws {
        let rrs = try parse("$TTL 1\nt TXT \"semi; colon\" \"(paren)\" \"multi\nline\" bare\\;escaped\n")
        guard case .txt(let txt) = rrs[0].data else { Issue.record("not TXT"); return }
        #expect(txt.strings.map { String(decoding: $0, as: UTF8.self) } == ["semi; colon", "(paren)", "multi\nline", "bare;escaped"])
    }

    @Test func reportsEveryErrorWithFileAndLine() {
        let found = errors("""
        $TTL 300
        a A 192.0.2.300
        b BOGUS data
        c MX ten mail
        $ORIGIN
        d TXT "unterminated
        """)
        #expect(found.count == 5)
        #expect(found[0] == "test.zone:2: A: '192.0.2.300' is not an IPv4 address")
        #expect(found[1] == "test.zone:3: unknown record type 'BOGUS'")
        #expect(found[2].hasPrefix("test.zone:4: MX: MX preference 'ten'"))
        #expect(found[3] == "test.zone:5: $ORIGIN takes one name")
        #expect(found[4].hasPrefix("test.zone:6:"))
    }

    @Test func reportsUnbalancedParentheses() {
        #expect(errors("$TTL 1\na A (\n192.0.2.1\n") == ["test.zone:2: '(' is never closed"])
        #expect(errors("$TTL 1\na A 192.0.2.1 )\n") == ["test.zone:2: ')' without '('"])
    }

    @Test func boundsIncludeRecursion() {
        let found = errors("$TTL 1\n$INCLUDE loop.zone\n", files: ["loop.zone": "$INCLUDE loop.zone\n"])
        #expect(found.contains { $0.contains("nested deeper than") })
    }

    @Test func reportsUnreadableInclude() {
        #expect(errors("$INCLUDE missing.zone\n").first?.hasPrefix("missing.zone:0: cannot read zone file") == true)
    }

    /// A bad zone is an error with file:line, never a trap that takes the running server down.
    @Test func rejectsTTLsAndRDATAThatDoNotFit() {
        let longTTL = String(repeating: "4294967295w", count: 8_000)
        #expect(errors("$TTL \(longTTL)\n") == ["test.zone:1: $TTL takes one TTL value"])
        #expect(errors("$TTL 1\na \(longTTL) A 192.0.2.1\n").first?.hasPrefix("test.zone:2:") == true)
        #expect(errors("$TTL 4294967296\n") == ["test.zone:1: $TTL takes one TTL value"])
        #expect(errors("$TTL 1\na 4294967296 A 192.0.2.1\n")
                == ["test.zone:2: TTL '4294967296' is not a number of seconds in 0...4294967295"])
        #expect(errors("$TTL 1w\n").isEmpty)
        // 300 strings of 255 octets, each with its length octet: 76,800 octets of RDATA.
        let strings = Array(repeating: "\"" + String(repeating: "x", count: 255) + "\"", count: 300)
        let tooLong = errors("$TTL 1\nbig TXT " + strings.joined(separator: " ") + "\n")
        #expect(tooLong == ["test.zone:2: TXT RDATA is 76800 octets; RDLENGTH allows at most 65535"])
        let generic = "big TYPE65280 \\# 65536 " + String(repeating: "00", count: 65536)
        let genericErrors = errors("$TTL 1\n" + generic + "\n")
        #expect(genericErrors.count == 1 && genericErrors.first?.hasPrefix("test.zone:2:") == true, "\(genericErrors)")
        let fits = Array(repeating: "\"" + String(repeating: "x", count: 255) + "\"", count: 255)
        #expect(errors("$TTL 1\nbig TXT " + fits.joined(separator: " ") + "\n").isEmpty)
    }

    @Test func includesStayInsideTheZoneDirectory() {
        let files = ["sub/inc.zone": "x TXT \"included\"\n"]
        #expect(errors("$TTL 1\n$INCLUDE sub/inc.zone\n", files: files).isEmpty)
        #expect(errors("$TTL 1\n$INCLUDE sub/../sub/inc.zone\n", files: files).isEmpty)
        for path in ["/etc/passwd", "../outside.zone", "sub/../../outside.zone", "/dev/zero"] {
            let found = errors("$TTL 1\n$INCLUDE \(path)\n", files: ["/etc/passwd": "root:x:0:0::/root:/bin/sh\n"])
            #expect(found.count == 1 && found[0].hasPrefix("test.zone:2: $INCLUDE refused:"), "\(path): \(found)")
            #expect(!found.joined().contains("root:x"), "never echoes content")
        }
    }

    @Test func includesOnDiskRefuseLinksOutAndNonRegularFiles() throws {
        let dir = "/tmp/form-dns-include-\(getpid())"
        mkdir(dir, 0o700)
        defer { _ = try? FileManager.default.removeItem(atPath: dir) }
        let zone = dir + "/z.zone"
        try writeFile("$TTL 1\n$INCLUDE link.zone\n", to: zone)
        symlink("/etc/passwd", dir + "/link.zone")
        mkfifo(dir + "/fifo.zone", 0o600)
        func diskErrors(_ file: String) -> [String] {
            do { _ = try ZoneFileParser(origin: "example.").parse(file: file); return [] } catch {
                return error.errors.map(\.description)
            }
        }
        let link = diskErrors(zone)
        #expect(link.count == 1 && link[0].contains("resolves outside the zone directory"), "\(link)")
        #expect(!link.joined().contains("root:"))
        try writeFile("$TTL 1\n$INCLUDE fifo.zone\n", to: zone)
        let fifo = diskErrors(zone)
        #expect(fifo.count == 1 && fifo[0].contains("not a regular file"), "\(fifo)")
        try writeFile("$TTL 1\n$INCLUDE inside.zone\n", to: zone)
        try writeFile("x TXT \"inside\"\n", to: dir + "/inside.zone")
        #expect(diskErrors(zone).isEmpty)
        // The top-level file itself must be a regular file too.
        #expect(diskErrors(dir + "/fifo.zone").first?.contains("not a regular file") == true)
    }

    @Test func rejectsOtherClassesAndMetaTypes() {
        #expect(errors("$TTL 1\na CH A 192.0.2.1\n") == ["test.zone:2: class CH is not served; only IN"])
        #expect(errors("$TTL 1\na 300 IN ANY \\# 0\n") == ["test.zone:2: ANY cannot appear in a zone file"])
    }
}

@Suite struct ZoneValidationTests {
    func zone(_ text: String) throws(ZoneLoadErrors) -> Zone {
        let records = try ZoneFileParser(origin: "example.").parse(text: text, file: "z")
        return try Zone(origin: "example.", records: records, file: "z")
    }

    let head = "$TTL 300\n@ SOA ns hm 1 2 3 4 60\n@ NS ns\n"

    @Test func buildsNodesEmptyNonTerminalsAndCuts() throws {
        let z = try zone(head + "a.b.c A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.2\n")
        #expect(z.emptyNonTerminals == ["b.c.example.", "c.example."])
        #expect(z.delegations == ["sub.example."])
        #expect(z.delegation(covering: "x.ns.sub.example.") == "sub.example.")
        #expect(z.delegation(covering: "a.b.c.example.") == nil)
        #expect(z.negativeTTL == 60)
    }

    @Test func mergesRRsetsAndDropsDuplicates() throws {
        let z = try zone(head + "a A 192.0.2.1\na 600 A 192.0.2.2\na A 192.0.2.1\n")
        let set = try #require(z.nodes["a.example."]?[.a])
        #expect(set.records.count == 2)
        #expect(set.ttl == 300)  // the first TTL of the set wins
    }

    @Test(arguments: [
        ("@ SOA ns hm 1 2 3 4 5\n@ NS ns\n", "no TTL"),
        ("$TTL 1\n@ NS ns\n", "has no SOA"),
        ("$TTL 1\n@ SOA ns hm 1 2 3 4 5\n", "has no NS"),
        ("$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nw CNAME x\nw A 192.0.2.1\n", "a CNAME and other data"),
        ("$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nw CNAME x\nw CNAME y\n", "more than one CNAME"),
        ("$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nwww.other. A 192.0.2.1\n", "outside the zone"),
        ("$TTL 1\n@ SOA ns hm 1 2 3 4 5\n@ SOA ns hm 2 2 3 4 5\n@ NS ns\n", "exactly one SOA"),
    ])
    func rejectsInvalidZones(text: String, problem: String) {
        do {
            _ = try zone(text)
            Issue.record("zone accepted")
        } catch {
            #expect(error.description.contains(problem), "\(error)")
        }
    }
}

private func writeFile(_ text: String, to path: String) throws {
    try text.write(toFile: path, atomically: false, encoding: .utf8)
}
