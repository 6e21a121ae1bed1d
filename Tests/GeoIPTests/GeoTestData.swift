import Foundation
import Testing

/// MaxMind's public test databases (`test-data/`, `bad-data/`): `$FORM_GEOIP_TEST_DATA` when set,
/// else `../shared/geoip-test-data` beside the project when present, else the copy
/// `scripts/install-deps` unpacks into `.cache/geoip-test-data` (Docs/third-party-test-data.md).
/// Read in place, never copied into the project. When none is there, each test that asks records
/// an issue naming `scripts/install-deps` (and gets a path that does not exist).
enum GeoTestData {
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/GeoIPTests/GeoTestData.swift
        return parts.joined(separator: "/")
    }()

    /// The data root (holding `test-data/` and `bad-data/`), or an issue and a missing path.
    static var root: String {
        switch locate() {
        case .found(let path): return path
        case .missing(let problem):
            Issue.record(Comment(rawValue: problem))
            return "/nonexistent/geoip-test-data"
        }
    }

    enum Location { case found(String), missing(String) }

    static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
                       packageRoot: String = packageRoot) -> Location {
        let isData = { (dir: String) in
            FileManager.default.fileExists(atPath: dir + "/test-data/GeoIP2-City-Test.mmdb")
        }
        if let dir = environment["FORM_GEOIP_TEST_DATA"] {
            if isData(dir) { return .found(dir) }
            return .missing("FORM_GEOIP_TEST_DATA=\(dir): no test-data/GeoIP2-City-Test.mmdb")
        }
        let shared = URL(fileURLWithPath: packageRoot + "/../shared/geoip-test-data").standardized.path
        let cache = packageRoot + "/.cache/geoip-test-data"
        for dir in [shared, cache] where isData(dir) { return .found(dir) }
        return .missing("GeoIP test data not found in \(shared) or \(cache): run scripts/install-deps "
                        + "(it unpacks MaxMind's test databases from the pinned maxminddb sdist into .cache)")
    }

    static func testData(_ name: String) -> String { root + "/test-data/" + name }

    static var badData: [String] {
        let base = root + "/bad-data"
        let e = FileManager.default.enumerator(atPath: base)
        return (e?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".mmdb") }.map { base + "/" + $0 }.sorted()
    }
}

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
