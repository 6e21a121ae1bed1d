import FormConfig
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
