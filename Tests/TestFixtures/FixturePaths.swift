/// Paths inside the package, found from this file's location (tests run from any directory).
public enum FixturePaths {
    public static let packageRoot = GeoTestData.packageRoot
    public static let demoZone = packageRoot + "/Fixtures/demo/formation.test.zone"
    public static let demoConfig = packageRoot + "/Fixtures/demo/form-dns.yaml"
}
