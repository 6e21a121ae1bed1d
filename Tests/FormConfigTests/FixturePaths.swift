/// Paths inside the package, found from this file's location (tests run from any directory).
enum FixturePaths {
    static let packageRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/FormConfigTests/FixturePaths.swift
        return parts.joined(separator: "/")
    }()
    static let demoZone = packageRoot + "/Fixtures/demo/formation.test.zone"
    static let demoConfig = packageRoot + "/Fixtures/demo/form-dns.yaml"
}
