import Foundation
import FormConfig
import TestFixtures
import Testing

@Suite struct ConfigRedactionTests {
    @Test(arguments: [
        ("  token: abcdefghijklmnopqrstuvwxyz", "  token: <redacted>"),
        ("    secret: \"c2VjcmV0\"", "    secret: <redacted>"),
        ("  - secret: \"c2VjcmV0\"", "  - secret: <redacted>"),
        ("+    secret: \"c2VjcmV0\"", "+    secret: <redacted>"),
        ("management: {listen: \"127.0.0.1:0\", token: abcdefghijklmnop}", "management: {listen: \"127.0.0.1:0\", token: <redacted>}"),
        ("update_keys: [{name: k, secret: \"c2Vj\", names: [a]}]", "update_keys: [{name: k, secret: <redacted>, names: [a]}]"),
        ("  token_file: api-token", "  token_file: api-token"),
        ("  secret_santa: yes", "  secret_santa: yes"),
        ("  mytoken: x", "  mytoken: x"),
        ("  tls:", "  tls:"),
        ("  store: \"postgresql://form:hunter2@db:5432/dns\"", "  store: \"postgresql://form:<redacted>@db:5432/dns\""),
        ("fleet: {store: postgres://u:p%40ss@[::1]/d, authority: a}", "fleet: {store: postgres://u:<redacted>@[::1]/d, authority: a}"),
        ("  store: \"postgresql://form@db/dns\"", "  store: \"postgresql://form@db/dns\""),
        ("  url: https://hooks.example/x?a=b@c", "  url: https://hooks.example/x?a=b@c"),
    ])
    func secretValuesAreHiddenAndNothingElse(_ line: String, _ expected: String) {
        #expect(ConfigRedaction.redact(line: line) == expected)
    }

    @Test func aWholeDocumentKeepsItsShape() throws {
        let text = "management:\n  token: abcdefghijklmnopqrstuvwxyz\nupdate_keys:\n  - name: k\n    secret: \"c2VjcmV0LXNlY3JldA==\"\n"
        let redacted = ConfigRedaction.redact(text)
        #expect(!redacted.contains("abcdefghij") && !redacted.contains("c2VjcmV0"))
        #expect(redacted.split(separator: "\n").count == text.split(separator: "\n").count)
        _ = try ConfigDocument(parsing: redacted, source: "x.yaml")
    }
}

@Suite struct UnifiedDiffTests {
    /// What `diff -u` prints for the two texts, without its two file header lines.
    static func diffU(_ a: String, _ b: String) throws -> [String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("linediff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try a.write(toFile: dir + "/a", atomically: true, encoding: .utf8)
        try b.write(toFile: dir + "/b", atomically: true, encoding: .utf8)
        let output = try ChildProcess.run("/usr/bin/diff", ["-u", dir + "/a", dir + "/b"]).output
        return output.split(separator: "\n").dropFirst(2).map(String.init)
    }

    @Test func unifiedHunksAreThoseDiffUPrints() throws {
        let old = (1...20).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 10\n", with: "line ten\n")
            .replacingOccurrences(of: "line 19\n", with: "line 19\nline 19.5\n")
        let hunks = LineDiff.unified(from: old, to: new)
        #expect(hunks.filter { $0.hasPrefix("@@") } == ["@@ -7,7 +7,7 @@", "@@ -17,4 +17,5 @@"])
        #expect(hunks.contains("-line 10") && hunks.contains("+line ten") && hunks.contains("+line 19.5"))
        #expect(!hunks.contains(" line 1") && !hunks.contains(" line 14"))
        #expect(LineDiff.unified(from: old, to: old).isEmpty)
        #expect(hunks == (try Self.diffU(old, new)))
        // Edges: the first line, the last, an addition at the end, a removal of everything.
        let edits: [(String) -> String] = [
            { $0.replacingOccurrences(of: "line 1\n", with: "line one\n") },
            { $0.replacingOccurrences(of: "line 20\n", with: "line twenty\n") },
            { $0 + "line 21\nline 22\n" },
            { _ in "" },
            { $0.replacingOccurrences(of: "line 5\n", with: "").replacingOccurrences(of: "line 6\n", with: "") },
        ]
        for edit in edits {
            let changed = edit(old)
            #expect(LineDiff.unified(from: old, to: changed) == (try Self.diffU(old, changed)))
        }
    }
}
