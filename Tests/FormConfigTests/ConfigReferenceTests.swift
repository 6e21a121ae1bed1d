import FormConfig
import Foundation
import TestFixtures
import Testing

/// Docs/configuration.md is the schema's reference: it must be exactly what the schema generates.
@Suite struct ConfigReferenceTests {
    @Test func theCommittedReferenceIsWhatTheSchemaGenerates() throws {
        let path = FixturePaths.packageRoot + "/Docs/configuration.md"
        let committed = try String(contentsOfFile: path, encoding: .utf8)
        #expect(
            committed == ConfigReference.markdown(),
            "Docs/configuration.md differs from the schema: swift run form-dns config-reference > Docs/configuration.md")
    }

    /// Every key of every section has a row in the reference, with its type and default.
    @Test func everyKeyIsDocumentedWithTypeAndDefault() {
        let text = ConfigReference.markdown()
        #expect(text.contains("| `workers` | integer 1...64 | `2` | restart |"))
        #expect(text.contains("| `udp_payload_size` | integer 512...4096 | `1232` | reload |"))
        #expect(text.contains("| `strategy` | linear \\| quadratic \\| logarithmic \\| stepped | `linear` | reload |"))
        #expect(text.contains("| `ttl` | integer 0...86400 | `30` | reload |"))
        #expect(text.contains("| `origin` | domain name | required | reload |"))
        for section in ["## server", "## zones[]", "## geoip", "## pools[]", "## pools[].policy",
                        "## pools[].policy.default_location", "## pools[].nodes[]", "## pools[].health",
                        "## pools[].health.push", "## pools[].health.push.rules[]", "## management",
                        "## network map file", "## network map file: networks[]"] {
            #expect(text.contains("\n\(section)\n"), "no section \(section)")
        }
    }
}
