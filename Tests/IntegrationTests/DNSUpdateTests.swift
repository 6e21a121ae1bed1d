import DNSWire
import Foundation
import Testing

/// RFC 2136 UPDATE with TSIG from the tools DNS operators use: BIND's nsupdate (UDP, and TCP with
/// -v) and Knot's knsupdate. Both verify the signed reply; refusals change nothing.
@Suite(.serialized) struct DNSUpdateTests {
    static let secret = "c2VjcmV0LWZvci10aGUtdXBkYXRlLXRlc3RzLTAxMjM0NTY3ODk="

    static func start() throws -> ControlAPITests.Server {
        try ControlAPITests.start(
            extra: """
                update_keys:
                  - {name: ddns, secret: "\(secret)", names: ["*.formation.test"], types: [A, AAAA, TXT]}
                  - {name: only-www, secret: "\(secret)", names: [www.formation.test], types: [A]}
                """)
    }

    static func nsupdate(
        _ s: ControlAPITests.Server, _ lines: [String], key: String = "ddns", secret: String = secret,
        tcp: Bool = false, knot: Bool = false
    ) throws -> (status: Int32, output: String) {
        let script = (["server 127.0.0.1 \(s.dns.udpPort)", "zone formation.test"] + lines + ["send", ""])
            .joined(separator: "\n")
        let file = s.dir + "/update-\(UUID().uuidString).txt"
        try script.write(toFile: file, atomically: true, encoding: .utf8)
        let tool = try Harness.which(knot ? "knsupdate" : "nsupdate")
        var args = ["-y", "hmac-sha256:\(key):\(secret)"]
        if tcp { args.append("-v") }
        return try Harness.run(tool, args + [file])
    }

    @Test func nsupdateAndKnsupdateChangeTheZoneAndItIsAnsweredAtOnce() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        let soa = { () throws -> UInt32 in
            let m = try parse(try #require(try WireClient.udp(wire("formation.test.", .soa), port: s.dns.udpPort)))
            guard case .soa(let d)? = m.answers.first?.data else { return 0 }
            return d.serial
        }
        let before = try soa()
        let add = try Self.nsupdate(s, ["update add dyn.formation.test. 60 A 192.0.2.123"])
        #expect(add.status == 0, "\(add.output)")
        #expect(try ControlAPITests.answers(s, "dyn.formation.test.") == ["192.0.2.123"])
        let tcp = try Self.nsupdate(s, ["update add dyn.formation.test. 60 A 192.0.2.124"], tcp: true)
        #expect(tcp.status == 0, "\(tcp.output)")
        #expect(try ControlAPITests.answers(s, "dyn.formation.test.") == ["192.0.2.123", "192.0.2.124"])
        let knot = try Self.nsupdate(
            s, ["update delete dyn.formation.test. A 192.0.2.123", "update add k.formation.test. 60 TXT \"knot\""],
            knot: true)
        #expect(knot.status == 0, "\(knot.output)")
        #expect(try ControlAPITests.answers(s, "dyn.formation.test.") == ["192.0.2.124"])
        #expect(try ControlAPITests.answers(s, "k.formation.test.", .txt) == ["\"knot\""])
        // Prerequisites: met, then not.
        let met = try Self.nsupdate(s, ["prereq yxdomain dyn.formation.test.", "update delete dyn.formation.test. A"])
        #expect(met.status == 0, "\(met.output)")
        #expect(try ControlAPITests.answers(s, "dyn.formation.test.").isEmpty)
        let unmet = try Self.nsupdate(s, ["prereq nxdomain www.formation.test.", "update add z.formation.test. 60 A 192.0.2.9"])
        #expect(unmet.status != 0 && unmet.output.contains("YXDOMAIN"), "\(unmet.output)")
        // Each accepted update raised the serial once and is a version, authored by the key.
        #expect(try soa() == before &+ 4)
        let versions = ControlAPITests.json(try ControlAPITests.call(s, "GET", "/v1/versions").body)["versions"]
            as? [[String: Any]] ?? []
        #expect(versions.count == 5 && versions.first?["author"] as? String == "tsig:ddns.")
        // The key's secret never leaves the server: not in the export, a version or a diff.
        for path in ["/v1/config", "/v1/versions/1", "/v1/versions/1/diff?to=5"] {
            let body = try ControlAPITests.call(s, "GET", path).body
            #expect(!body.contains(Self.secret) && !body.isEmpty, "\(path)")
        }
        #expect(try ControlAPITests.call(s, "GET", "/v1/config").body.contains("secret: <redacted>"))
    }

    @Test func unsignedBadlySignedAndDisallowedUpdatesChangeNothing() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        let add = "update add x.formation.test. 60 A 192.0.2.1"
        let wrongSecret = try Self.nsupdate(s, [add], secret: "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldC0wMTIzNDU2Nzg5")
        #expect(wrongSecret.status != 0 && wrongSecret.output.contains("NOTAUTH"), "\(wrongSecret.output)")
        let unknownKey = try Self.nsupdate(s, [add], key: "nobody")
        #expect(unknownKey.status != 0 && unknownKey.output.contains("NOTAUTH"), "\(unknownKey.output)")
        let unsignedFile = s.dir + "/unsigned.txt"
        try "server 127.0.0.1 \(s.dns.udpPort)\nzone formation.test\n\(add)\nsend\n"
            .write(toFile: unsignedFile, atomically: true, encoding: .utf8)
        let unsigned = try Harness.run(try Harness.which("nsupdate"), [unsignedFile])
        #expect(unsigned.status != 0 && unsigned.output.contains("REFUSED"), "\(unsigned.output)")
        let type = try Self.nsupdate(s, ["update add x.formation.test. 60 MX 10 mail"])
        #expect(type.status != 0 && type.output.contains("REFUSED"), "\(type.output)")
        let name = try Self.nsupdate(s, ["update add mail.formation.test. 60 A 192.0.2.2"], key: "only-www")
        #expect(name.status != 0 && name.output.contains("REFUSED"), "\(name.output)")
        // Deleting every RRset of www needs the right to each type there (it has A and AAAA).
        let all = try Self.nsupdate(s, ["update delete www.formation.test."], key: "only-www")
        #expect(all.status != 0 && all.output.contains("REFUSED"), "\(all.output)")
        #expect(try ControlAPITests.answers(s, "www.formation.test.", .aaaa) == ["2001:db8::10"])
        let apex = try Self.nsupdate(s, ["update delete formation.test. NS"])
        #expect(apex.status != 0 && apex.output.contains("REFUSED"), "\(apex.output)")
        let outside = try Self.nsupdate(s, ["update add x.example.org. 60 A 192.0.2.1"])
        #expect(outside.status != 0 && outside.output.contains("NOTZONE"), "\(outside.output)")
        #expect(try ControlAPITests.answers(s, "x.formation.test.").isEmpty)
        let versions = ControlAPITests.json(try ControlAPITests.call(s, "GET", "/v1/versions").body)["versions"] as? [Any]
        #expect(versions?.count == 1, "nothing above made a version")
        // Every attempt is in the audit chain, with who and why.
        let entries = ControlAPITests.json(try ControlAPITests.call(s, "GET", "/v1/audit?limit=1000").body)["entries"]
            as? [[String: Any]] ?? []
        let updates = entries.filter { $0["action"] as? String == "DNS UPDATE" }
        #expect(updates.count >= 7, "\(updates.count) UPDATE attempts audited")
        #expect(updates.contains { $0["actor"] as? String == "unsigned" && ($0["outcome"] as? String)?.hasPrefix("REFUSED") == true })
        #expect(updates.contains { ($0["outcome"] as? String)?.contains("BADSIG") == true })
    }
}
