import Foundation
import TestFixtures
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The live dashboard in a real headless chromium (Debian's chromium and chromium-driver, driven
/// by selenium from Tests/Tools/dashboard-check.py): the page loads without console errors,
/// shows the fixture nodes with their states on the map and in the table, and follows a node
/// that is killed without a reload. The screenshot is kept in .build/test-artifacts/.
@Suite(.serialized) struct DashboardTests {
    static let artifacts = Harness.packageRoot + "/.build/test-artifacts"

    static func setUp(_ dir: String, port: Int) throws -> String {
        try """
            \(try ManagementAPITests.managedServer(in: dir))
            pools:
              - name: entry
                names: [entry.formation.test]
                health: {check: tcp, port: \(port), interval_ms: 300, timeout_ms: 200, rise: 1, fall: 2}
                nodes:
                  - {id: ams-1, ipv4: 127.0.0.71, latitude: 52.37, longitude: 4.90, country: NL, region: eu-west}
                  - {id: nyc-1, ipv4: 127.0.0.72, latitude: 40.71, longitude: -74.01, country: US, region: us-east}
                  - {id: syd-1, ipv4: 127.0.0.73, latitude: -33.87, longitude: 151.21, country: AU, region: ap-southeast}
            """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        return dir + "/c.yaml"
    }

    @Test func theDashboardShowsTheNodesAndFollowsAKilledOne() async throws {
        let dir = Harness.tempDirectory()
        let port = Harness.freePort()
        let config = try Self.setUp(dir, port: port)
        let nodes = try ["127.0.0.71", "127.0.0.72", "127.0.0.73"].map {
            try HealthIntegrationTests.node($0, port: port, dir: dir)
        }
        defer { nodes.forEach { $0.stop() } }
        let dns = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        try await waitFor { dns.log.components(separatedBy: "unknown -> healthy").count - 1 == 3 }
        for _ in 0..<20 { _ = try WireClient.udp(wire("entry.formation.test.", .a), port: dns.udpPort) }

        try FileManager.default.createDirectory(atPath: Self.artifacts, withIntermediateDirectories: true)
        let screenshot = Self.artifacts + "/dashboard.png"
        try? FileManager.default.removeItem(atPath: screenshot)
        // Chromium takes seconds: on a thread of its own, not one of the concurrency pool's.
        let arguments = [
            "python3", Harness.packageRoot + "/Tests/Tools/dashboard-check.py",
            "--url", "http://\(api)/dashboard/#token=\(ManagementAPITests.token)",
            "--nodes", "entry/ams-1,entry/nyc-1,entry/syd-1",
            "--kill-pid", String(nodes[1].process.processIdentifier), "--kill-node", "entry/nyc-1",
            "--screenshot", screenshot, "--flows",
        ]
        let check = try await OpenAPIConformanceTests.onOwnThread {
            try Harness.run("/usr/bin/env", arguments, timeout: 150)
        }
        #expect(check.status == 0, "\(check.output)\n\(dns.log)")
        let png = try #require(FileManager.default.contents(atPath: screenshot), "no screenshot: \(check.output)")
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "the screenshot is not a PNG")
        print("dashboard screenshot: \(screenshot)")
    }

    /// The page and its files are served without a token and hold no data; the data needs a
    /// reader, and a pool-limited reader sees its pools only.
    @Test func theDataNeedsAReaderAndThePageNothing() async throws {
        let dir = Harness.tempDirectory()
        let config = try Self.setUp(dir, port: Harness.freePort())
        let dns = try ServerProcess.formDNS(["--config", config], directory: dir)
        defer { dns.stop() }
        let api = try HealthIntegrationTests.apiAddress(dns)
        for path in ["/dashboard", "/dashboard/", "/dashboard/dashboard.js", "/dashboard/dashboard.css",
                     "/dashboard/world.json"] {
            let r = try ManagementAPITests.curl(api, path, method: "GET", token: nil)
            #expect(r.status == 200, "\(path): \(r.status)")
            #expect(!r.body.contains("127.0.0.7"), "\(path) carries node data")
        }
        let missing = try ManagementAPITests.curl(api, "/dashboard/secrets.txt", method: "GET", token: nil)
        #expect(missing.status == 404)
        #expect(try ManagementAPITests.curl(api, "/v1/dashboard", method: "GET", token: nil).status == 401)
        #expect(try ManagementAPITests.curl(api, "/v1/dashboard/stream", method: "GET", token: nil).status == 401)

        // The stream: a snapshot a second as server-sent events, each a JSON object.
        let stream = try Harness.run(
            "/usr/bin/curl",
            ["-sN", "--max-time", "2.5", "-H", "Authorization: Bearer \(ManagementAPITests.token)",
             "http://\(api)/v1/dashboard/stream"])
        let snapshots = stream.output.components(separatedBy: "event: snapshot\ndata: ").dropFirst()
        #expect(snapshots.count >= 2, "\(stream.output)")
        // It outlives the API's 10 s request deadline: that deadline is the client's time to send a
        // request, and a response that keeps writing is not cut.
        let long = try await TestThreads.run { try Harness.run(
            "/usr/bin/curl",
            ["-sN", "--max-time", "13", "-w", "\n%{exitcode}",
             "-H", "Authorization: Bearer \(ManagementAPITests.token)", "http://\(api)/v1/dashboard/stream"],
            timeout: 20) }  // 13 s of waiting: on a thread of its own, not the cooperative pool
        #expect(long.output.components(separatedBy: "event: snapshot").count - 1 >= 12, "\(long.output.suffix(300))")
        #expect(long.output.hasSuffix("\n28"), "curl must stop the stream (exit 28), not the server")
        for snapshot in snapshots {
            let line = String(snapshot.prefix { $0 != "\n" })
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect((object?["nodes"] as? [Any])?.count == 3, "\(line)")
        }

        let whole = try ControlAPITests.json(try ManagementAPITests.curl(api, "/v1/dashboard", method: "GET").body)
        let wholeNodes = try #require(whole["nodes"] as? [[String: Any]])
        #expect(Set(wholeNodes.compactMap { $0["id"] as? String }) == ["ams-1", "nyc-1", "syd-1"])
        #expect(whole["queries"] != nil)

        let limited = try ControlAPITests.json(
            try ManagementAPITests.curl(api, "/v1/tokens", body: #"{"role": "reader", "pools": ["other"]}"#).body)
        let secret = try #require(limited["secret"] as? String)
        let theirs = try ControlAPITests.json(
            try ManagementAPITests.curl(api, "/v1/dashboard", method: "GET", token: secret).body)
        #expect((theirs["nodes"] as? [Any])?.isEmpty == true)
        #expect(theirs["queries"] == nil, "a pool-limited reader sees server-wide totals")
    }
}
