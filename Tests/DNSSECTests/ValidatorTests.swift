import DNSSEC
import DNSWire
import Foundation
import NIOCore
import Testing

/// Trust anchors as unbound reads them, and the zone validator form-join uses: what it accepts,
/// and each way an answer can be wrong (unsigned, signed by another key or zone, absurd validity
/// times, denials that do not deny, wildcard expansions without proof), refused with its reason.
struct ValidatorTests {
    static let zone: DNSName = "formation.test."
    static let now: UInt32 = 1_796_000_000

    struct Signed {
        let ksk = ZoneKey(generating: .ecdsaP256SHA256, flags: 257)
        let zsk = ZoneKey(generating: .ed25519, flags: 256)

        var anchor: TrustAnchor { TrustAnchor(zone: ValidatorTests.zone, ds: [DSDigest.ds(for: ksk.dnskey, owner: ValidatorTests.zone)]) }
        var validator: ZoneValidator { ZoneValidator(anchor: anchor, now: ValidatorTests.now) }

        /// `records` (one RRset) and its RRSIG by `key`, valid around `now` unless told otherwise.
        func rrset(
            _ records: [DNSResourceRecord], key: ZoneKey? = nil, signer: DNSName = ValidatorTests.zone,
            inception: UInt32 = ValidatorTests.now - 3600, expiration: UInt32 = ValidatorTests.now + 86_400
        ) throws -> [DNSResourceRecord] {
            let first = records[0]
            let sig = try (key ?? zsk).sign(
                CanonicalRRset(owner: first.name, type: first.type, rdata: records.map(\.data)),
                originalTTL: first.ttl, signer: signer, inception: inception, expiration: expiration)
            return records + [DNSResourceRecord(name: first.name, ttl: first.ttl, data: .rrsig(sig))]
        }

        func keysResponse(signedBy key: ZoneKey? = nil) throws -> DNSMessage {
            let keys = [ksk, zsk].map { DNSResourceRecord(name: ValidatorTests.zone, ttl: 300, data: .dnskey($0.dnskey)) }
            return DNSMessage(answers: try rrset(keys, key: key ?? ksk))
        }
    }

    static func a(_ name: DNSName, _ last: UInt8) -> DNSResourceRecord {
        DNSResourceRecord(name: name, ttl: 30, data: .a(ARecord(127, 0, 0, last)))
    }

    static func nsec(_ owner: DNSName, next: DNSName, _ types: [RecordType]) -> DNSResourceRecord {
        DNSResourceRecord(name: owner, ttl: 60, data: .nsec(NSECRecord(nextDomainName: next, types: TypeBitmap(types))))
    }

    @Test func anchorsAreReadAsUnboundReadsThem() throws {
        let s = Signed()
        let ds = DSDigest.ds(for: s.ksk.dnskey, owner: Self.zone)
        let text = """
            ; the anycast zone's key-signing key
            formation.test. 3600 IN DS \(ds.presentation)
            formation.test. DNSKEY ( 257 3 13
                \(Base64Text.encode(s.ksk.publicKey)) ) ; the same key, as a DNSKEY
            """
        let anchor = try TrustAnchor(text: text, source: "anchor.conf")
        #expect(anchor.zone == Self.zone && anchor.ds == [ds] && anchor.keys == [s.ksk.dnskey])
        #expect(anchor.pins(s.ksk.dnskey) && !anchor.pins(s.zsk.dnskey))
        let bad: [(String, String)] = [
            ("", "anchor.conf: no DS or DNSKEY record"),
            ("garbage", "anchor.conf:1: expected 'NAME [TTL] [IN] DS|DNSKEY DATA'"),
            ("formation.test. IN A 127.0.0.1", "anchor.conf:1: 'A' is not DS or DNSKEY"),
            ("formation.test. IN DS 1 13 2 XYZ", "anchor.conf:1: DS: "),
            ("formation.test. IN DNSKEY 0 3 13 AAAA", "anchor.conf:1: DNSKEY: not a zone key"),
            ("formation.test. IN DS 1 13 2 AB\nother.test. IN DS 1 13 2 AB", "anchor.conf:2: anchors for formation.test. and other.test."),
            ("formation.test. IN DNSKEY ( 257 3 13", "anchor.conf:1: '(' is never closed"),
            ("bad..name IN DS 1 13 2 AB", "anchor.conf:1: 'bad..name' is not a domain name"),
        ]
        for (text, message) in bad {
            #expect(throws: DNSSECError.self, "\(text)") { try TrustAnchor(text: text, source: "anchor.conf") }
            do { _ = try TrustAnchor(text: text, source: "anchor.conf") } catch {
                #expect(error.description.hasPrefix(message), "\(text): \(error)")
            }
        }
    }

    @Test func theKeysMustBeSignedByAPinnedKey() throws {
        let s = Signed()
        let keys = try s.validator.zoneKeys(from: try s.keysResponse())
        #expect(Set(keys.map(\.keyTag)) == [s.ksk.keyTag, s.zsk.keyTag])
        // Signed only by the ZSK (not pinned): refused, whatever the set holds.
        #expect(throws: DNSSECError.self) { try s.validator.zoneKeys(from: try s.keysResponse(signedBy: s.zsk)) }
        // A set without the pinned key at all.
        let other = Signed()
        let response = try s.keysResponse()
        do { _ = try other.validator.zoneKeys(from: response) } catch {
            #expect(error.description.contains("matches the trust anchor"))
        }
        #expect(throws: DNSSECError.self) { try s.validator.zoneKeys(from: DNSMessage()) }
    }

    @Test func answersNeedAValidSignatureFromTheZoneInItsValidity() throws {
        let s = Signed()
        let keys = try s.validator.zoneKeys(from: try s.keysResponse())
        let name: DNSName = "entry.formation.test."
        let good = try s.rrset([Self.a(name, 1), Self.a(name, 2)])
        try s.validator.verifyAnswer(records: Array(good.prefix(2)), chain: [], in: good, keys: keys)
        func reason(_ pool: [DNSResourceRecord], records: [DNSResourceRecord]? = nil) -> String {
            do {
                try s.validator.verifyAnswer(records: records ?? [pool[0]], chain: [], in: pool, keys: keys)
                return "accepted"
            } catch { return error.description }
        }
        // Unsigned; an address swapped under a good signature; another zone's signature.
        #expect(reason([Self.a(name, 1)]).contains("not signed"))
        var swapped = good
        swapped[1] = Self.a(name, 66)
        #expect(reason(swapped).contains("does not verify"))
        #expect(reason(try s.rrset([Self.a(name, 1)], signer: "test.")).contains("not formation.test."))
        // Absurd times: an inception in the future, an expiry in 1970, an expiry before inception.
        #expect(reason(try s.rrset([Self.a(name, 1)], inception: Self.now + 3600)).contains("not valid yet"))
        #expect(reason(try s.rrset([Self.a(name, 1)], inception: 0, expiration: 1)).contains("expired"))
        #expect(reason(try s.rrset([Self.a(name, 1)], inception: Self.now + 10, expiration: Self.now - 10)) != "accepted")
        // Outside the anchored zone.
        #expect(reason([Self.a("entry.example.", 1)]).contains("outside formation.test."))
        // A wildcard expansion (labels 2 < 3) needs proof that the name itself does not exist.
        let star = try s.rrset([Self.a("*.formation.test.", 9)])
        var expanded = [Self.a(name, 9), DNSResourceRecord(name: name, ttl: 30, data: star[1].data)]
        #expect(reason(expanded).contains("wildcard expansion without proof"))
        expanded += try s.rrset([Self.nsec("entry-0.formation.test.", next: "entry-z.formation.test.", [.a])])
        #expect(reason(expanded).contains("without proof"))  // "entry" sorts before "entry-0"
        expanded += try s.rrset([Self.nsec("ent.formation.test.", next: "f.formation.test.", [.a])])
        #expect(reason(expanded) == "accepted")
    }

    @Test func denialsMustProveWhatTheyDeny() throws {
        let s = Signed()
        let keys = try s.validator.zoneKeys(from: try s.keysResponse())
        func denial(_ authority: [DNSResourceRecord], _ name: DNSName = "nope.formation.test.", _ type: RecordType = .a)
            -> String
        {
            do {
                return "\(try s.validator.verifyDenial(name: name, type: type, authority: authority, keys: keys))"
            } catch { return error.description }
        }
        // Compact: the name's own NSEC; NXNAME marks a name that does not exist.
        let nx = try s.rrset([Self.nsec("nope.formation.test.", next: "\\000.nope.formation.test.", [.rrsig, .nsec, .nxname])])
        #expect(denial(nx) == "nxDomain")
        let nodata = try s.rrset([Self.nsec("www.formation.test.", next: "\\000.www.formation.test.", [.aaaa, .rrsig, .nsec])])
        #expect(denial(nodata, "www.formation.test.") == "noData")
        // An NSEC that lists the type (or a CNAME) denies nothing; an unsigned one proves nothing.
        let lists = try s.rrset([Self.nsec("www.formation.test.", next: "\\000.www.formation.test.", [.a, .rrsig, .nsec])])
        #expect(denial(lists, "www.formation.test.").contains("does not deny"))
        #expect(denial([Self.nsec("nope.formation.test.", next: "z.formation.test.", [.nxname])]).contains("not signed"))
        // Classic NSEC: one covering the name and one covering the wildcard at the closest encloser.
        let cover = try s.rrset([Self.nsec("mail.formation.test.", next: "www.formation.test.", [.a])])
        #expect(denial(cover).contains("no NSEC proves"))
        let wildcard = try s.rrset([Self.nsec("formation.test.", next: "a.formation.test.", [.soa, .ns])])
        #expect(denial(cover + wildcard) == "nxDomain")
        // A wildcard's own NSEC (labels 2), renamed to another owner, verifies as a wildcard
        // expansion: refused, for NSEC records are never expanded.
        let star = try s.rrset([Self.nsec("*.formation.test.", next: "\\000.*.formation.test.", [.rrsig, .nsec, .nxname])])
        let renamed = star.map { DNSResourceRecord(name: "nope.formation.test.", ttl: $0.ttl, data: $0.data) }
        #expect(denial(renamed).contains("wildcard's signature"), "\(denial(renamed))")
        // The parent's NSEC at a cut denies the DS, nothing else.
        let cut = try s.rrset([Self.nsec("sub.formation.test.", next: "\\000.sub.formation.test.", [.ns, .rrsig, .nsec])])
        #expect(denial(cut, "sub.formation.test.", .ds) == "noData")
        #expect(denial(cut, "sub.formation.test.", .a).contains("delegation"))
        // NSEC3 is named, not mistaken for a proof; nothing at all is no proof.
        let nsec3 = DNSResourceRecord(name: "abc.formation.test.", ttl: 60, data: .unknown(UnknownRecord(type: RecordType(50), data: [1])))
        #expect(denial([nsec3]).contains("NSEC3"))
        #expect(denial([]).contains("no NSEC proves"))
    }

    @Test func malformedDNSSECRecordsAreErrorsNotCrashes() throws {
        // An answer whose RRSIG, DNSKEY or NSEC RDATA is cut short: the parser says so.
        for (type, rdata) in [(46, [UInt8](repeating: 0, count: 10)), (48, [1, 1]), (47, [5, 0x61])] as [(UInt16, [UInt8])] {
            var wire: [UInt8] = [0x12, 0x34, 0x84, 0x00, 0, 1, 0, 1, 0, 0, 0, 0]
            wire += [1, 0x61, 0, 0, 1, 0, 1]  // question a. A IN
            wire += [0xC0, 12, UInt8(type >> 8), UInt8(type & 0xFF), 0, 1, 0, 0, 0, 60, 0, UInt8(rdata.count)] + rdata
            #expect(throws: (any Error).self, "type \(type)") {
                try DNSMessage(parsing: ByteBuffer(bytes: wire))
            }
        }
    }
}

/// Rollover steps are taken only in order, only when the previous one has been in effect for the
/// wait, and say what they changed.
struct KeyRolloverTests {
    static let zone: DNSName = "formation.test."

    static func key(_ flags: UInt16, created: UInt32 = 1000) -> KeyFile {
        KeyFile(zone: zone, key: ZoneKey(generating: .ed25519, flags: flags), created: created)
    }

    @Test func aZSKRollsByPrePublishing() throws {
        let ksk = Self.key(257), zsk = Self.key(256)
        var keys = [ksk, zsk]
        #expect(throws: DNSSECError.self) { try KeyRollover.plan(.zsk, .switch, keys: keys, now: 2000, wait: 100) }
        let start = try KeyRollover.plan(.zsk, .start, keys: keys, now: 2000, wait: 100)
        #expect(start.newKey?.flags == 256 && start.newKey?.publish == 2000 && start.newKey?.activate == nil)
        var new = KeyFile(zone: Self.zone, key: ZoneKey(generating: .ed25519, flags: 256), created: 2000, publish: 2000, activate: nil)
        keys.append(new)
        #expect(new.isPublished(at: 2000) && !new.isActive(at: 2000))
        // Twice: refused; too early: refused, with how long to wait.
        #expect(throws: DNSSECError.self) { try KeyRollover.plan(.zsk, .start, keys: keys, now: 2001, wait: 100) }
        do { _ = try KeyRollover.plan(.zsk, .switch, keys: keys, now: 2050, wait: 100) } catch {
            #expect(error.description.contains("published 50 s ago; wait 100 s"))
        }
        let early = try KeyRollover.plan(.zsk, .switch, keys: keys, now: 2050, wait: 100, force: true)
        #expect(early.updated.count == 2)
        let switched = try KeyRollover.plan(.zsk, .switch, keys: keys, now: 2100, wait: 100)
        new = try #require(switched.updated.first { $0.key.keyTag == new.key.keyTag })
        let old = try #require(switched.updated.first { $0.key.keyTag == zsk.key.keyTag })
        #expect(new.isActive(at: 2100) && !old.isActive(at: 2100) && old.isPublished(at: 2100))
        keys = [ksk, new, old]
        #expect(throws: DNSSECError.self) { try KeyRollover.plan(.zsk, .finish, keys: keys, now: 2150, wait: 100) }
        let finish = try KeyRollover.plan(.zsk, .finish, keys: keys, now: 2200, wait: 100)
        #expect(finish.deleted.map(\.key.keyTag) == [zsk.key.keyTag] && !finish.deleted[0].isPublished(at: 2200))
        // A zone signed by a CSK alone has no ZSK to roll.
        do { _ = try KeyRollover.plan(.zsk, .start, keys: [ksk], now: 2000, wait: 0) } catch {
            #expect(error.description.contains("roll it with --kind ksk"))
        }
    }

    @Test func aKSKRollsByDoubleDS() throws {
        let csk = Self.key(257)
        let start = try KeyRollover.plan(.ksk, .start, keys: [csk], now: 2000, wait: 100)
        // Not in the zone until the parent has both DS: neither published nor active.
        #expect(start.newKey?.flags == 257 && start.newKey?.publish == nil && start.newKey?.activate == nil)
        let next = KeyFile(zone: Self.zone, key: ZoneKey(generating: .ed25519, flags: 257), created: 2000, publish: nil, activate: nil)
        #expect(!next.isPublished(at: 5000))
        let switched = try KeyRollover.plan(.ksk, .switch, keys: [csk, next], now: 2100, wait: 100)
        let new = try #require(switched.updated.first { $0.key.keyTag == next.key.keyTag })
        #expect(new.isPublished(at: 2100) && new.isActive(at: 2100))
        // The old key keeps signing beside the new one until finish: either DS validates meanwhile.
        #expect(switched.updated.count == 1 && csk.isActive(at: 2100))
        let keys = [csk, new]
        #expect(throws: DNSSECError.self) { try KeyRollover.plan(.ksk, .start, keys: keys, now: 2150, wait: 0) }
        #expect(throws: DNSSECError.self) { try KeyRollover.plan(.ksk, .finish, keys: keys, now: 2150, wait: 100) }
        let finish = try KeyRollover.plan(.ksk, .finish, keys: keys, now: 2200, wait: 100)
        #expect(finish.summary.contains("the parent can drop its DS"))
        #expect(finish.deleted.map(\.key.keyTag) == [csk.key.keyTag] && !finish.deleted[0].isActive(at: 2200))
        // A key file keeps its timing through a write and a read.
        let text = KeyFile(zone: Self.zone, key: csk.key, created: 1000, publish: 1000, activate: 1000, inactive: 2100, delete: 2200)
        let back = try KeyFile(publicText: text.publicText, privateText: text.privateText)
        #expect(back.inactive == 2100 && back.delete == 2200 && back.activate == 1000 && !back.isPublished(at: 2200))
    }
}
