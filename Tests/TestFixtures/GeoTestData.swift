import Foundation
import Testing

/// Shared by the test targets that read GeoIP data (a test-only module, never linked into a product).
///
/// MaxMind's public test databases (`test-data/`, `bad-data/`): `$FORM_GEOIP_TEST_DATA` when set,
/// else `../shared/geoip-test-data` beside the project when present, else the copy
/// `scripts/install-deps` unpacks into `.cache/geoip-test-data` (Docs/third-party-test-data.md).
/// Read in place, never copied into the project. When none is there, each test that asks records
/// an issue naming `scripts/install-deps` (and gets a path that does not exist).
public enum GeoTestData {
    public static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/TestFixtures/GeoTestData.swift
        return parts.joined(separator: "/")
    }()

    /// The data root (holding `test-data/` and `bad-data/`), or an issue and a missing path.
    public static var root: String {
        switch locate() {
        case .found(let path): return path
        case .missing(let problem):
            Issue.record(Comment(rawValue: problem))
            return "/nonexistent/geoip-test-data"
        }
    }

    public enum Location { case found(String), missing(String) }

    public static func locate(environment: [String: String] = ProcessInfo.processInfo.environment,
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

    public static func testData(_ name: String) -> String { root + "/test-data/" + name }

    public static var badData: [String] {
        let base = root + "/bad-data"
        let e = FileManager.default.enumerator(atPath: base)
        return (e?.allObjects as? [String] ?? []).filter { $0.hasSuffix(".mmdb") }.map { base + "/" + $0 }.sorted()
    }
}
