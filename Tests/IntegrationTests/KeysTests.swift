import Foundation
import Testing

/// `form-dns keys`: key files Knot reads as its own (keymgr import-bind), the same key tags and
/// DS digests as Knot computes, private halves readable by the owner only, bad input refused.
@Suite(.serialized) struct KeysTests {
    static func keys(_ args: [String]) throws -> (status: Int32, output: String) {
        try Harness.run(Harness.formDNSBinary, ["keys"] + args)
    }

    @Test func keysAreWhatKnotComputesAndPrivateToTheOwner() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        let csk = try Self.keys(["generate", "formation.test", "--state-dir", state, "--algorithm", "ED25519"])
        #expect(csk.status == 0, "\(csk.output)")
        let zsk = try Self.keys(["generate", "formation.test.", "--state-dir", state, "--role", "zsk"])
        #expect(zsk.status == 0, "\(zsk.output)")
        #expect(zsk.output.contains("ECDSAP256SHA256") && !zsk.output.contains(" IN DS "))
        let list = try Self.keys(["list", "formation.test", "--state-dir", state])
        #expect(list.status == 0 && list.output.split(separator: "\n").count == 2, "\(list.output)")
        let ds = try Self.keys(["ds", "formation.test", "--state-dir", state])
        #expect(ds.status == 0, "\(ds.output)")
        let ourDS = ds.output.split(separator: "\n").map { $0.split(separator: " ").suffix(4).joined(separator: " ") }
        #expect(ourDS.count == 1)

        let files = try FileManager.default.contentsOfDirectory(atPath: state + "/keys")
        #expect(files.filter { $0.hasSuffix(".private") }.count == 2 && files.filter { $0.hasSuffix(".key") }.count == 2)
        for file in files where file.hasSuffix(".private") {
            let mode = try FileManager.default.attributesOfItem(atPath: state + "/keys/" + file)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(file) has mode \(String(mode ?? 0, radix: 8))")
        }

        // Knot reads the files as BIND's and agrees on every key tag and on the DS.
        let keymgr = try Harness.which("keymgr")
        for file in files where file.hasSuffix(".private") {
            let imported = try Harness.run(
                keymgr, ["-D", dir + "/kasp", "formation.test.", "import-bind", state + "/keys/" + file])
            #expect(imported.status == 0, "\(imported.output)")
        }
        let knotList = try Harness.run(keymgr, ["-D", dir + "/kasp", "formation.test.", "list"])
        for line in list.output.split(separator: "\n") {
            let tag = String(line.split(separator: " ")[0])
            #expect(knotList.output.contains(" \(tag) "), "Knot does not know key \(tag): \(knotList.output)")
        }
        let knotDS = try Harness.run(keymgr, ["-D", dir + "/kasp", "formation.test.", "ds"])
        let sha256 = knotDS.output.split(separator: "\n").first { $0.split(separator: " ").dropFirst(4).first == "2" }
        let knots = sha256.map { $0.split(separator: " ").suffix(4).joined(separator: " ").uppercased() }
        #expect(knots == ourDS.first.map { $0.uppercased() }, "Knot: \(knotDS.output) ours: \(ds.output)")
    }

    @Test func badInputIsRefusedWithTheReason() throws {
        let dir = Harness.tempDirectory()
        let state = dir + "/state"
        let algorithm = try Self.keys(["generate", "formation.test", "--state-dir", state, "--algorithm", "RSASHA1"])
        #expect(algorithm.status == 1 && algorithm.output.contains("ECDSAP256SHA256 or ED25519"))
        let zone = try Self.keys(["generate", "bad..name", "--state-dir", state])
        #expect(zone.status == 1 && zone.output.contains("not a domain name"))
        _ = try Self.keys(["generate", "formation.test", "--state-dir", state, "--role", "zsk"])
        let noKSK = try Self.keys(["ds", "formation.test", "--state-dir", state])
        #expect(noKSK.status == 1 && noKSK.output.contains("no key-signing key"))
        let file = try #require(
            try FileManager.default.contentsOfDirectory(atPath: state + "/keys").first { $0.hasSuffix(".private") })
        try "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: not*base64\n"
            .write(toFile: state + "/keys/" + file, atomically: true, encoding: .utf8)
        let broken = try Self.keys(["list", "formation.test", "--state-dir", state])
        #expect(broken.status == 1 && broken.output.contains(file.replacingOccurrences(of: ".private", with: "")))
        #expect(broken.output.contains("PrivateKey is missing or not base64"), "\(broken.output)")
    }
}
