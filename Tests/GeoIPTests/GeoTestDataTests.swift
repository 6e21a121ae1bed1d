import TestFixtures
import Testing

@Suite struct GeoTestDataTests {
    @Test func aMissingCopyNamesTheCommandThatFetchesIt() {
        let none = GeoTestData.locate(environment: [:], packageRoot: "/nonexistent/project")
        guard case .missing(let problem) = none else { Issue.record("found \(none)"); return }
        #expect(problem.contains("/nonexistent/shared/geoip-test-data or /nonexistent/project/.cache/geoip-test-data"))
        #expect(problem.contains("run scripts/install-deps"))
        let wrong = GeoTestData.locate(environment: ["FORM_GEOIP_TEST_DATA": "/nonexistent"])
        guard case .missing(let problem) = wrong else { Issue.record("found \(wrong)"); return }
        #expect(problem.contains("FORM_GEOIP_TEST_DATA=/nonexistent"))
    }
}
