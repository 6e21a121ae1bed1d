import DNSWire
import Foundation
import Testing

/// The control plane through a running form-dns: changes through the API and `ctl` are in the
/// answers as soon as the API answers, every route checks its role, critical changes wait for a
/// second admin, bad input changes nothing, and versions survive `kill -9`.
@Suite(.serialized) struct ControlAPITests {
    static let admin = ManagementAPITests.token

    struct Server {
        let dns: ServerProcess
        let api: String
        let dir: String
    }

    static func start(_ dir: String = Harness.tempDirectory(), extra: String = "") throws -> Server {
        try FileManager.default.copyItem(
            atPath: Harness.packageRoot + "/Fixtures/demo/formation.test.zone", toPath: dir + "/formation.test.zone")
        try admin.write(toFile: dir + "/api-token", atomically: true, encoding: .utf8)
        try """
        listen: ["127.0.0.1:0"]
        state_dir: state
        zones: [{origin: formation.test, file: formation.test.zone}]
        management: {listen: "127.0.0.1:0", token_file: api-token}
        pools:
          - name: entry
            names: [entry.formation.test]
            health: {check: none}
            policy: {max_answers: 3}
            nodes:
              - {id: a1, ipv4: 127.0.0.41, latitude: 52, longitude: 4, region: eu}
              - {id: a2, ipv4: 127.0.0.42, latitude: 51, longitude: 0, region: eu}
              - {id: b1, ipv4: 127.0.0.43, latitude: 40, longitude: -74, region: us}
        \(extra)
        """.write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir)
        return Server(dns: dns, api: try HealthIntegrationTests.apiAddress(dns), dir: dir)
    }

    static func call(
        _ s: Server, _ method: String, _ path: String, token: String? = admin, body: String? = nil,
        bodyFile: String? = nil
    ) throws -> (status: Int, body: String) {
        try ManagementAPITests.curl(s.api, path, method: method, token: token, body: body, bodyFile: bodyFile)
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// A new token's secret.
    static func token(_ s: Server, role: String, pools: [String] = [], node: String? = nil) throws -> String {
        var body: [String: Any] = ["role": role, "pools": pools]
        if let node { body["node"] = node }
        let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
        let r = try call(s, "POST", "/v1/tokens", body: text)
        #expect(r.status == 201, "\(r.body)")
        return try #require(json(r.body)["secret"] as? String)
    }

    static func answers(_ s: Server, _ name: String, _ type: RecordType = .a) throws -> [String] {
        let m = try parse(try #require(try WireClient.udp(wire(name, type), port: s.dns.udpPort)))
        return m.answers.map(\.data.description).sorted()
    }

    @Test func changesAreInTheAnswersAsSoonAsTheAPIAnswers() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        #expect(try Self.answers(s, "entry.formation.test.") == ["127.0.0.41", "127.0.0.42", "127.0.0.43"])
        // Each change is checked by the first query after its answer: no waiting, no retry.
        for i in 1...10 {
            let add = try Self.call(
                s, "POST", "/v1/zones/formation.test/records", body: #"{"records": ["r\#(i) 60 IN A 192.0.2.\#(i)"]}"#)
            #expect(add.status == 200, "\(add.body)")
            #expect(try Self.answers(s, "r\(i).formation.test.") == ["192.0.2.\(i)"])
            let remove = try Self.call(s, "DELETE", "/v1/zones/formation.test/records?name=r\(i)&type=A")
            #expect(remove.status == 200, "\(remove.body)")
            #expect(try Self.answers(s, "r\(i).formation.test.").isEmpty)
        }
        let disable = try Self.call(s, "PATCH", "/v1/pools/entry/nodes/a1", body: #"{"enabled": false}"#)
        #expect(disable.status == 200, "\(disable.body)")
        #expect(try Self.answers(s, "entry.formation.test.") == ["127.0.0.42", "127.0.0.43"])
        let add = try Self.call(
            s, "POST", "/v1/pools/entry/nodes",
            body: #"{"id": "c1", "ipv4": "127.0.0.44", "latitude": 1, "longitude": 1, "region": "eu"}"#)
        #expect(add.status == 200, "\(add.body)")
        #expect(try Self.answers(s, "entry.formation.test.") == ["127.0.0.42", "127.0.0.43", "127.0.0.44"])
        // A node's discovery data is published at once too, once the zone's hand-kept records are gone.
        let conflict = try Self.call(
            s, "PATCH", "/v1/pools/entry/nodes/c1", body: #"{"wireguard_key": "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWY="}"#)
        #expect(conflict.status == 422 && conflict.body.contains("_formnet"), "\(conflict.body)")
        #expect(try Self.call(s, "DELETE", "/v1/zones/formation.test/records?name=_formnet.entry&type=TXT").status == 200)
        let key = "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXphYmNkZWY="
        let keyed = try Self.call(s, "PATCH", "/v1/pools/entry/nodes/c1", body: #"{"wireguard_key": "\#(key)"}"#)
        #expect(keyed.status == 200, "\(keyed.body)")
        #expect(try Self.answers(s, "_formnet.entry.formation.test.", .txt).contains { $0.contains(key) })
        // Twenty-four changes, twenty-four versions after the file's (the refused one made none).
        let versions = Self.json(try Self.call(s, "GET", "/v1/versions?limit=100").body)["versions"] as? [Any]
        #expect(versions?.count == 25)
    }

    @Test func everyRouteChecksTheRoleAndDenialsAreAudited() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        let second = try Self.token(s, role: "admin")
        let operatorToken = try Self.token(s, role: "operator")
        let reader = try Self.token(s, role: "reader")
        let reporter = try Self.token(s, role: "reporter", node: "entry/a1")
        let elsewhere = try Self.token(s, role: "operator", pools: ["other"])
        let node = #"{"id": "z9", "ipv4": "127.0.0.49", "latitude": 1, "longitude": 1}"#
        // (method, path, body, [admin, operator, reader, reporter, other-pool operator])
        let routes: [(String, String, String?, [Int])] = [
            ("GET", "/v1/pools", nil, [200, 200, 200, 403, 200]),
            ("GET", "/v1/pools/entry", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/pools/nothere", nil, [404, 404, 404, 403, 403]),
            ("GET", "/v1/pools/entry/nodes", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/pools/entry/nodes/a1", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/pools/entry/policy", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/zones", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/zones/formation.test/records", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/versions", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/versions/1", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/versions/1/diff", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/config", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/health", nil, [200, 200, 200, 403, 200]),
            ("GET", "/v1/explain?name=entry.formation.test&client=192.0.2.1", nil, [200, 200, 200, 403, 403]),
            ("GET", "/v1/tokens", nil, [200, 403, 403, 403, 403]),
            ("GET", "/v1/changes", nil, [200, 403, 403, 403, 403]),
            ("GET", "/v1/audit", nil, [200, 403, 403, 403, 403]),
            ("GET", "/v1/audit/verify", nil, [200, 403, 403, 403, 403]),
            ("POST", "/v1/pools/entry/nodes?dry_run=true", node, [200, 200, 403, 403, 403]),
            ("PATCH", "/v1/pools/entry/nodes/a2?dry_run=true", #"{"weight": 2}"#, [200, 200, 403, 403, 403]),
            ("DELETE", "/v1/pools/entry/nodes/a2?dry_run=true", nil, [200, 200, 403, 403, 403]),
            ("PUT", "/v1/pools/entry/policy?dry_run=true", #"{"max_answers": 1}"#, [200, 200, 403, 403, 403]),
            ("PATCH", "/v1/pools/entry?dry_run=true", #"{"ttl": 10}"#, [200, 200, 403, 403, 403]),
            ("POST", "/v1/zones/formation.test/records?dry_run=true", #"{"records": ["x IN A 192.0.2.1"]}"#,
             [200, 200, 403, 403, 403]),
            ("DELETE", "/v1/zones/formation.test/records?name=www&dry_run=true", nil, [200, 200, 403, 403, 403]),
            ("POST", "/v1/zones?dry_run=true", #"{"origin": "new.test", "content": "@ 60 IN SOA a b 1 2 3 4 5\n@ 60 IN NS a\na 60 IN A 192.0.2.1\n"}"#,
             [200, 403, 403, 403, 403]),
            ("POST", "/v1/versions/1/rollback?dry_run=true", nil, [200, 403, 403, 403, 403]),
            ("POST", "/v1/pools/entry/nodes/a2/drain?dry_run=true", nil, [200, 200, 403, 403, 403]),
            ("POST", "/v1/pools/entry/nodes/a1/report", #"{"state": "healthy"}"#, [200, 200, 403, 200, 403]),
            ("POST", "/v1/pools/entry/nodes/a2/report", #"{"state": "healthy"}"#, [200, 200, 403, 403, 403]),
            ("POST", "/v1/changes/chg_0000000000000000/approve", nil, [404, 403, 403, 403, 403]),
            ("DELETE", "/v1/tokens/ffffffff", nil, [404, 403, 403, 403, 403]),
        ]
        let callers = [Self.admin, operatorToken, reader, reporter, elsewhere]
        for (method, path, body, expected) in routes {
            for (i, caller) in callers.enumerated() {
                let r = try Self.call(s, method, path, token: caller, body: body)
                #expect(r.status == expected[i], "\(method) \(path) as caller \(i): \(r.body)")
                if r.status >= 400 {
                    #expect(Self.json(r.body)["code"] is String, "\(method) \(path): \(r.body)")
                }
            }
            #expect(try Self.call(s, method, path, token: nil, body: body).status == 401, "\(method) \(path)")
        }
        // A 403 never says whether the pool exists: the same answer for one that does and one that does not.
        let hidden = try Self.call(s, "GET", "/v1/pools/entry", token: elsewhere)
        let missing = try Self.call(s, "GET", "/v1/pools/nothere", token: elsewhere)
        #expect(hidden.body == missing.body)
        // Every denial is in the audit chain, with the token, the role and the request ID.
        let audit = Self.json(try Self.call(s, "GET", "/v1/audit?limit=1000", token: second).body)
        let entries = (audit["entries"] as? [[String: Any]]) ?? []
        let denied = entries.filter { ($0["outcome"] as? String)?.hasPrefix("403") == true }
        #expect(denied.count >= 60, "\(denied.count) denials audited")
        #expect(denied.contains { $0["role"] as? String == "reader" && ($0["request_id"] as? String)?.isEmpty == false })
        #expect(entries.contains { ($0["outcome"] as? String)?.hasPrefix("401") == true && $0["actor"] as? String == "anonymous" })
        let verify = Self.json(try Self.call(s, "GET", "/v1/audit/verify").body)
        #expect(verify["intact"] as? Bool == true)
        // Dry runs changed nothing.
        #expect((Self.json(try Self.call(s, "GET", "/v1/versions").body)["versions"] as? [Any])?.count == 1)
    }

    @Test func criticalChangesWaitForASecondAdministrator() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        let second = try Self.token(s, role: "admin")
        let removal = try Self.call(s, "DELETE", "/v1/pools/entry?message=retire")
        #expect(removal.status == 202, "\(removal.body)")
        let change = try #require(Self.json(removal.body)["change"] as? [String: Any])
        let id = try #require(change["id"] as? String)
        #expect(change["reason"] as? String == "remove_pool")
        #expect(try Self.answers(s, "entry.formation.test.").count == 3, "nothing changed yet")
        let own = try Self.call(s, "POST", "/v1/changes/\(id)/approve")
        #expect(own.status == 403 && own.body.contains("second administrator"), "\(own.body)")
        let approved = try Self.call(s, "POST", "/v1/changes/\(id)/approve", token: second)
        #expect(approved.status == 200, "\(approved.body)")
        let gone = try parse(try #require(try WireClient.udp(wire("entry.formation.test.", .a), port: s.dns.udpPort)))
        #expect(gone.answers.isEmpty)
        #expect(try Self.call(s, "POST", "/v1/changes/\(id)/approve", token: second).status == 409)
        // Draining both eu nodes: the second drain waits; a reject drops it.
        #expect(try Self.call(s, "POST", "/v1/versions/1/rollback", token: second).status == 202)
        let listed = Self.json(try Self.call(s, "GET", "/v1/changes").body)["changes"] as? [[String: Any]] ?? []
        let rollback = try #require(listed.first { $0["reason"] as? String == "rollback" }?["id"] as? String)
        #expect(try Self.call(s, "POST", "/v1/changes/\(rollback)/approve").status == 200)
        #expect(try Self.answers(s, "entry.formation.test.").count == 3, "the rollback restored the pool")
        #expect(try Self.call(s, "POST", "/v1/pools/entry/nodes/a1/drain").status == 200)
        let drain = try Self.call(s, "POST", "/v1/pools/entry/nodes/a2/drain")
        #expect(drain.status == 202 && drain.body.contains("drain_half_region"), "\(drain.body)")
        let pending = try #require((Self.json(drain.body)["change"] as? [String: Any])?["id"] as? String)
        #expect(try Self.call(s, "POST", "/v1/changes/\(pending)/reject", token: second).status == 200)
        #expect(try Self.call(s, "POST", "/v1/changes/\(pending)/approve", token: second).status == 409)
        #expect(try Self.answers(s, "entry.formation.test.") == ["127.0.0.42", "127.0.0.43"])
        // Both steps of each are audited.
        let entries = Self.json(try Self.call(s, "GET", "/v1/audit?limit=1000").body)["entries"] as? [[String: Any]] ?? []
        #expect(entries.contains { ($0["action"] as? String) == "POST /v1/changes/\(id)/approve" && ($0["outcome"] as? String)?.hasPrefix("200") == true })
        #expect(entries.contains { ($0["action"] as? String) == "DELETE /v1/pools/entry" && ($0["outcome"] as? String)?.hasPrefix("202") == true })
    }

    @Test func badInputIsAClearRefusalAndChangesNothing() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        let reporter = try Self.token(s, role: "reporter", node: "entry/a1")
        let revoked = try Self.token(s, role: "operator")
        let revokedID = String(revoked.split(separator: "_")[1])
        #expect(try Self.call(s, "DELETE", "/v1/tokens/\(revokedID)").status == 200)
        let big = s.dir + "/big.json"
        try (#"{"id": "x", "pad": ""# + String(repeating: "a", count: 1_100_000) + #""}"#)
            .write(toFile: big, atomically: true, encoding: .utf8)
        let before = try Self.call(s, "GET", "/v1/config").body
        let cases: [(String, String, String?, String?, Int, String)] = [
            ("POST", "/v1/pools/entry/nodes", #"{"id": "x", "#, nil, 400, "not valid JSON"),
            ("POST", "/v1/pools/entry/nodes", "[1]", nil, 400, "must be a JSON object"),
            ("POST", "/v1/pools/entry/nodes", #"{"id": "x", "ipv4": "127.0.0.1", "latitude": "north", "longitude": 1}"#,
             nil, 422, "latitude"),
            ("POST", "/v1/pools/entry/nodes", #"{"id": "x", "ipv4": "127.0.0.1", "latitude": 1, "longitude": 1, "colour": 1}"#,
             nil, 422, "unknown setting"),
            ("POST", "/v1/pools/entry/nodes", nil, big, 413, "body larger than"),
            ("PATCH", "/v1/pools/entry", #"{"health": {"check": "https", "port": 443, "tls_ca_file": "/etc/passwd"}}"#, nil,
             422, "inside the configuration"),
            ("PATCH", "/v1/pools/entry", #"{"health": {"check": "https", "port": 443, "tls_ca_file": "../../x.pem"}}"#, nil,
             422, "inside the configuration"),
            ("POST", "/v1/zones", #"{"origin": "inc.test", "content": "$INCLUDE /etc/passwd\n"}"#, nil, 422, "$INCLUDE"),
            ("POST", "/v1/zones/formation.test/records", #"{"records": ["www IN A 300.0.0.1"]}"#, nil, 422, "www"),
            ("POST", "/v1/zones/formation.test/records", #"{"records": "www IN A 192.0.2.1"}"#, nil, 400, "records must be"),
            ("POST", "/v1/zones/formation.test/records", #"{"records": ["x IN A 192.0.2.1"], "ttl": 5}"#, nil, 400,
             "unknown field"),
            ("POST", "/v1/tokens", #"{"role": "root"}"#, nil, 400, "role must be"),
            ("POST", "/v1/tokens", #"{"role": "reader", "expires_in_s": "soon"}"#, nil, 400, "expires_in_s"),
            ("POST", "/v1/pools/entry/nodes?dry_run=maybe", #"{"id": "x"}"#, nil, 400, "dry_run"),
            ("GET", "/v1/versions?limit=0", nil, nil, 400, "limit"),
            ("GET", "/v1/versions/abc", nil, nil, 400, "number"),
            ("GET", "/v1/nope", nil, nil, 404, "no such endpoint"),
        ]
        for (method, path, body, file, status, reason) in cases {
            let r = try Self.call(s, method, path, body: body, bodyFile: file)
            #expect(r.status == status && r.body.contains(reason), "\(method) \(path): \(r.status) \(r.body)")
        }
        #expect(try Self.call(s, "GET", "/v1/pools", token: revoked).status == 401)
        let other = try Self.call(s, "POST", "/v1/pools/entry/nodes/a2/report", token: reporter, body: #"{"state": "degraded"}"#)
        #expect(other.status == 403 && other.body.contains("may only report node a1"))
        #expect(try Self.call(s, "GET", "/v1/config").body == before, "nothing above changed the configuration")
        #expect((Self.json(try Self.call(s, "GET", "/v1/versions").body)["versions"] as? [Any])?.count == 1)
    }

    @Test func versionsExportAndRestartKeepTheAPIsChanges() throws {
        let dir = Harness.tempDirectory()
        var s = try Self.start(dir)
        let add = try Self.call(s, "POST", "/v1/zones/formation.test/records?message=api%20host",
                                body: #"{"records": ["api 60 IN A 192.0.2.80"]}"#)
        #expect(add.status == 200)
        let versions = Self.json(try Self.call(s, "GET", "/v1/versions").body)["versions"] as? [[String: Any]] ?? []
        #expect(versions.first?["message"] as? String == "api host" && versions.first?["id"] as? Int == 2)
        let diff = Self.json(try Self.call(s, "GET", "/v1/versions/1/diff?to=2").body)["diff"] as? [String] ?? []
        #expect(diff.contains { $0.hasPrefix("+") && $0.contains("api.formation.test. 60 IN A 192.0.2.80") })
        // The export is a configuration form-dns check accepts as it is.
        let export = try #require(Self.json(try Self.call(s, "GET", "/v1/config").body)["text"] as? String)
        try export.write(toFile: dir + "/exported.yaml", atomically: true, encoding: .utf8)
        let check = try Harness.run(Harness.formDNSBinary, ["check", "--config", dir + "/exported.yaml"])
        #expect(check.status == 0, "\(check.output)")
        // kill -9, then the same file: the API's version serves again.
        s.dns.signal(SIGKILL)
        s.dns.process.waitUntilExit()
        try FileManager.default.createDirectory(atPath: dir + "/run2", withIntermediateDirectories: true)
        let again = try ServerProcess.formDNS(["--config", dir + "/c.yaml"], directory: dir + "/run2")
        defer { again.stop() }
        s = Server(dns: again, api: try HealthIntegrationTests.apiAddress(again), dir: dir)
        #expect(try Self.answers(s, "api.formation.test.") == ["192.0.2.80"])
        let verify = Self.json(try Self.call(s, "GET", "/v1/audit/verify").body)
        #expect(verify["intact"] as? Bool == true)
    }

    @Test func theCtlCommandMakesChangesAndSaysWhenTheyWait() throws {
        let s = try Self.start()
        defer { s.dns.stop() }
        let second = try Self.token(s, role: "admin")
        func ctl(_ args: [String], token: String = Self.admin) throws -> (status: Int32, output: String) {
            try Harness.run(
                "/usr/bin/env",
                ["FORM_DNS_API=\(s.api)", "FORM_DNS_API_TOKEN=\(token)", Harness.formDNSBinary, "ctl"] + args)
        }
        let add = try ctl(["node", "add", "entry", "id=c1", "ipv4=127.0.0.44", "latitude=1", "longitude=1", "-m", "more"])
        #expect(add.status == 0 && add.output.contains("applied: add node entry/c1"), "\(add.output)")
        #expect(try Self.call(s, "GET", "/v1/pools/entry/nodes/c1").status == 200)
        let dry = try ctl(["record", "add", "formation.test", "ctl 60 IN A 192.0.2.90", "--dry-run"])
        #expect(dry.status == 0 && dry.output.contains("dry-run") && dry.output.contains("+"), "\(dry.output)")
        #expect(try Self.answers(s, "ctl.formation.test.").isEmpty)
        let nodes = try ctl(["nodes", "entry"])
        #expect(nodes.status == 0 && nodes.output.contains("c1") && nodes.output.contains("127.0.0.44"))
        let remove = try ctl(["pool", "remove", "entry"])
        #expect(remove.status == 3 && remove.output.contains("waiting for approval"), "\(remove.output)")
        let id = try #require(remove.output.split(separator: " ").first { $0.hasPrefix("chg_") }.map(String.init))
        #expect(try ctl(["approve", id]).status == 1, "the author cannot approve")
        let approve = try ctl(["approve", id], token: second)
        #expect(approve.status == 0, "\(approve.output)")
        let versions = try ctl(["versions", "--json"])
        #expect(versions.status == 0 && versions.output.contains("\"author\":\"management.token\""))
        let verify = try ctl(["audit", "verify"])
        #expect(verify.status == 0 && verify.output.contains("intact"))
        let nothing = try ctl(["pool", "show", "entry"])
        #expect(nothing.status == 1 && nothing.output.contains("404"))
    }
}
