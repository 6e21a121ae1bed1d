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

    @Test func canonicalOrder() {
        let names: [DNSName] = ["example.", "a.example.", "yljkjljk.a.example.", "Z.a.example.", "zABC.a.EXAMPLE.", "z.example.", "*.z.example."]
        // RFC 4034 section 6.1 example order (subset; \001 and \200 labels omitted).
        #expect(names.shuffled().sorted() .map { $0.lowercased } == names.map { $0.lowercased }.sorted())
        #expect(DNSName("example.") < DNSName("a.example."))
        #expect(DNSName("a.example.") < DNSName("z.example."))
    }
}
