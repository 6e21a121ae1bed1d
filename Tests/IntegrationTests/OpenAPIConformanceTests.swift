import Foundation
import Testing

/// The management API against its own OpenAPI 3.1 document, by schemathesis (PyPI): generated
/// requests for every operation, with and without valid input; no answer may be a 5xx, and every
/// answer's status, content type and body must be what the document says.
@Suite(.serialized) struct OpenAPIConformanceTests {
    @Test func everyAnswerMatchesTheDocumentAndNoneIsA5xx() async throws {
        let s = try ControlAPITests.start(extra: "")
        defer { s.dns.stop() }
        let served = try ControlAPITests.call(s, "GET", "/v1/openapi.json", token: nil)
        #expect(served.status == 200 && served.body.contains("\"openapi\": \"3.1"), "\(served.body.prefix(200))")
        let docs = try String(contentsOfFile: Harness.packageRoot + "/Docs/openapi.json", encoding: .utf8)
        #expect(docs == served.body + (served.body.hasSuffix("\n") ? "" : "\n") || docs == served.body,
                "Docs/openapi.json differs from what the server serves: run form-dns openapi > Docs/openapi.json")
        // Run on a thread of its own: schemathesis takes most of a minute, and a test blocking a
        // thread of the (two-thread) cooperative pool that long stalls the async tests beside it.
        let api = s.api
        let run = try await Self.onOwnThread {
            try Harness.run(
            "/usr/bin/env",
            [
                "python3", "-m", "schemathesis.cli", "run", "http://\(api)/v1/openapi.json",
                "--header", "Authorization: Bearer \(ControlAPITests.admin)",
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,"
                    + "response_schema_conformance,response_headers_conformance",
                "--max-examples", "12", "--generation-deterministic", "--request-timeout", "10",
                // An event stream that answers for five minutes: DashboardTests reads it instead.
                "--exclude-path", "/v1/dashboard/stream",
                "--suppress-health-check", "all",
            ], timeout: 600)
        }
        #expect(run.status == 0, "\(run.output.suffix(6000))")
        // And the server is still whole afterwards.
        #expect(try ControlAPITests.call(s, "GET", "/v1/audit/verify").body.contains("\"intact\":true"))
    }

    static func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
