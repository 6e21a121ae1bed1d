import DNSWire
import Testing

@Suite struct DNSNameTests {
    @Test(arguments: [
        ("www.example.com.", nil as String?, "www.example.com."),
        ("www", "example.com.", "www.example.com."),
        ("@", "example.com.", "example.com."),
        (".", nil, "."),
        ("a\\.b.example.", nil, "a\\.b.example."),
        ("\\065bc.example.", nil, "Abc.example."),
        ("sp\\032ace.example.", nil, "sp\\032ace.example."),
        ("caf\\195\\169.example.", nil, "caf\\195\\169.example."),
    ])
    func parsesAndPrints(text: String, origin: String?, expected: String) throws {
        let name = try DNSName(parsing: text, origin: origin.map { DNSName(stringLiteral: $0) })
        #expect(name.description == expected)
        // Printing then parsing gives the same name back.
        #expect(try DNSName(parsing: name.description) == name)
    }

    @Test(arguments: ["a..b.", "..", "www", "\\", "a\\2.b.", "x\\999.y."])
    func rejectsBadPresentation(text: String) {
        #expect(throws: PresentationError.self) { try DNSName(parsing: text) }
    }

    @Test func enforcesLabelAndNameLimits() throws {
        let label63 = String(repeating: "a", count: 63)
        #expect(try DNSName(parsing: "\(label63).example.").labelCount == 2)
        #expect(throws: PresentationError.self) { try DNSName(parsing: "\(label63)a.example.") }
        // 4 x 63-octet labels = 4 * 64 + 1 = 257 octets > 255.
        let tooLong = Array(repeating: label63, count: 4).joined(separator: ".") + "."
        #expect(throws: PresentationError.self) { try DNSName(parsing: tooLong) }
        let justFits = Array(repeating: label63, count: 3).joined(separator: ".") + "." + String(repeating: "b", count: 61) + "."
        #expect(try DNSName(parsing: justFits).wire.count == 255)
    }

    @Test func comparesCaseInsensitivelyForASCIIOnly() throws {
        #expect(DNSName("WWW.Example.COM.") == DNSName("www.example.com."))
        #expect(DNSName("WWW.Example.COM.").hashValue == DNSName("www.example.com.").hashValue)
        // Octets outside A-Z compare exactly (RFC 4343): \195 is not folded.
        #expect(try DNSName(parsing: "\\195.x.") != DNSName(parsing: "\\227.x."))
        #expect(DNSName("www.example.com.").description == "www.example.com.")
    }

    @Test func subdomainRespectsLabelBoundaries() {
        #expect(DNSName("a.example.com.").isSubdomain(of: "example.com."))
        #expect(DNSName("example.com.").isSubdomain(of: "example.com."))
        #expect(!DNSName("aexample.com.").isSubdomain(of: "example.com."))
        #expect(DNSName("x.").isSubdomain(of: .root))
    }

    /// RFC 4034 section 6.1's example, in the order the RFC gives, written out here rather than
    /// derived from any ordering the implementation provides.
    static let rfc4034Order = ["example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.",
                               "zABC.a.EXAMPLE.", "z.example.", "\\001.z.example.", "*.z.example.", "\\200.z.example."]

    @Test func canonicalOrderIsRFC4034s() throws {
        let names = try Self.rfc4034Order.map { try DNSName(parsing: $0) }
        // Every pair, both ways: each name sorts strictly before every later one.
        for i in names.indices {
            #expect(!(names[i] < names[i]), "\(names[i]) < itself")
            for j in names.indices where i < j {
                #expect(names[i] < names[j], "\(names[i]) should sort before \(names[j])")
                #expect(!(names[j] < names[i]), "\(names[j]) should not sort before \(names[i])")
            }
        }
        // Sorting any arrangement gives the RFC's list back, case as written.
        var rng = TestSeed.rng("DNSNameTests.canonicalOrder")
        for _ in 0..<20 {
            let shuffled = names.shuffled(using: &rng)
            #expect(shuffled.sorted().map(\.description) == Self.rfc4034Order,
                    "sorting \(shuffled.map(\.description)) (\(TestSeed.replay))")
        }
        // Case does not order: ASCII letters fold, so "Z" and "z", \065 ("A") and "a" tie.
        let upper: DNSName = "Z.a.example.", lower: DNSName = "z.a.example.", escaped = try DNSName(parsing: "\\065.x.")
        #expect(!(upper < lower) && !(lower < upper))
        #expect(!(escaped < DNSName("a.x.")) && !(DNSName("a.x.") < escaped))
        // Labels compare as unsigned octets from the right; a name sorts before its subdomains.
        #expect(DNSName("b.a.") < DNSName("a.b."))
        #expect(try DNSName(parsing: "\\127.x.") < DNSName(parsing: "\\128.x."))
        #expect(DNSName("x.") < DNSName("a.x.") && !(DNSName("a.x.") < DNSName("x.")))
        #expect(DNSName.root < DNSName("a."))
    }
}
