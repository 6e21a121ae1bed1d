import DNSWire
import FormAuthority
import FormConfig
import FormControl
import FormStore
import Foundation
import Synchronization
import Testing
import TestFixtures

/// Changes through the control plane, against the real schema, loader and store; the servers'
/// swap is a recorder.
@Suite struct ControlPlaneTests {
    static let zone = """
        $ORIGIN example.test.
        $TTL 300
        @ IN SOA ns1 hostmaster 1 3600 600 86400 60
          IN NS ns1
        ns1 IN A 192.0.2.53
        www IN A 192.0.2.10
            IN A 192.0.2.11
        mail IN A 192.0.2.25 ; the mail host

        """

    static let config = """
        listen: ["127.0.0.1:0"]
        zones: [{origin: example.test, file: example.zone}]
        pools:
          - name: entry
            names: [entry.example.test]
            nodes:
              - {id: a1, ipv4: 192.0.2.1, latitude: 52, longitude: 4, region: eu}
              - {id: a2, ipv4: 192.0.2.2, latitude: 51, longitude: 0, region: eu}
              - {id: b1, ipv4: 192.0.2.3, latitude: 40, longitude: -74, region: us}
        """

    final class Swaps: Sendable {
        let builders = Mutex<[ResponseBuilder]>([])
        let overrides = Mutex<[NodeKey: HealthOverride]>([:])
    }

    static func make(store: (any Store)? = nil, approvals: String = "") throws -> (ControlPlane, Swaps, String) {
        let dir = NSTemporaryDirectory() + "control-\(UUID().uuidString)/"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try zone.write(toFile: dir + "example.zone", atomically: true, encoding: .utf8)
        try (config + approvals).write(toFile: dir + "c.yaml", atomically: true, encoding: .utf8)
        let file = dir + "c.yaml"
        let start = try ControlPlane.startingText(file: file, store: store)
        let (text, version) = (start.text, start.version)
        let parsed = try ServerConfig.parse(ConfigDocument(parsing: text, source: file))
        let builder = try AuthorityLoader.build(parsed)
        let swaps = Swaps()
        let plane = ControlPlane(
            file: file,
            running: .init(
                version: version, text: text, root: try ConfigDocument(parsing: text, source: file).root,
                config: parsed, builder: builder),
            store: store, build: { config throws(ConfigErrors) in try AuthorityLoader.build(config) },
            swap: { b in swaps.builders.withLock { $0.append(b) } },
            overrides: { swaps.overrides.withLock { $0 } },
            setOverride: { key, o in
                swaps.overrides.withLock { $0[key] = o }
                return true
            })
        return (plane, swaps, dir)
    }

    static func store() throws -> SQLiteStore {
        try SQLiteStore(directory: NSTemporaryDirectory() + "control-store-\(UUID().uuidString)")
    }

    static func node(_ yaml: String) throws -> ConfigNode { try ConfigDocument(parsing: yaml, source: "body").root }

    /// The A records the swapped-in builder answers for `name`.
    static func answers(_ builder: ResponseBuilder, _ name: String) -> [String] {
        let zone = builder.engine.zones.first { (try? DNSName(parsing: name))?.isSubdomain(of: $0.origin) == true }
        let node = zone.flatMap { z in (try? DNSName(parsing: name)).flatMap { z.nodes[$0] } }
        return (node?[.a]?.records ?? []).map(\.description).sorted()
    }

    @Test func aNodeAddedIsValidatedSwappedInAndStored() async throws {
        let store = try Self.store()
        let (plane, swaps, _) = try Self.make(store: store)
        let outcome = try await plane.propose(
            .addNode(
                pool: "entry",
                node: try Self.node(
                    #"{"id": "b2", "ipv4": "192.0.2.4", "latitude": 41, "longitude": -73, "region": "us"}"#)),
            author: "tok_a", message: "more capacity in us")
        #expect(outcome.status == .applied)
        #expect(outcome.version == 2)
        #expect(outcome.diff.contains { $0.hasPrefix("+") && $0.contains("b2") })
        let swapped = try #require(swaps.builders.withLock { $0.last })
        #expect(swapped.geo?.pools.first?.nodes.map(\.id) == ["a1", "a2", "b1", "b2"])
        let stored = try #require(try store.latestConfigVersion())
        #expect(stored.author == "tok_a" && stored.message == "more capacity in us")
        #expect(stored.text == (await plane.running.text))
    }

    @Test func invalidChangesAreRefusedWithTheFieldAndChangeNothing() async throws {
        let store = try Self.store()
        let (plane, swaps, _) = try Self.make(store: store)
        let before = await plane.running.text
        let outOfRange = try Self.node(#"{"id": "x", "ipv4": "192.0.2.9", "latitude": 95, "longitude": 0}"#)
        let textLatitude = try Self.node(#"{"latitude": "north"}"#)
        let duplicate = try Self.node(#"{"id": "a1", "ipv4": "192.0.2.9", "latitude": 1, "longitude": 1}"#)
        let cases: [(ConfigChange, ChangeError.Kind, String?)] = [
            (.addNode(pool: "entry", node: outOfRange), .invalid, "pools[0].nodes[3].latitude"),
            (.updateNode(pool: "entry", id: "a1", fields: textLatitude), .invalid, "pools[0].nodes[0].latitude"),
            (.removeNode(pool: "entry", id: "zz"), .notFound, nil),
            (.addNode(pool: "nope", node: outOfRange), .notFound, nil),
            (.addNode(pool: "entry", node: duplicate), .conflict, nil),
        ]
        for (change, kind, field) in cases {
            do {
                _ = try await plane.propose(change, author: "t", message: "")
                Issue.record("\(change.action) was accepted")
            } catch {
                #expect(error.kind == kind, "\(change.action): \(error)")
                if let field { #expect(error.errors.contains { $0.field == field }, "\(error)") }
            }
        }
        #expect(await plane.running.text == before)
        #expect(swaps.builders.withLock { $0.isEmpty })
        #expect(try store.configVersions(limit: 10).count == 1)
    }

    @Test func recordsAreAddedAndRemovedKeepingTheRestOfTheZone() async throws {
        let (plane, swaps, _) = try Self.make()
        _ = try await plane.propose(
            .addRecords(zone: "example.test", records: ["api 120 IN A 192.0.2.80", "api IN AAAA 2001:db8::80"]),
            author: "t", message: "")
        var builder = try #require(swaps.builders.withLock { $0.last })
        #expect(Self.answers(builder, "api.example.test.") == ["192.0.2.80"])
        var text = await plane.running.text
        #expect(text.contains("mail IN A 192.0.2.25 ; the mail host"), "the operator's lines stay")
        #expect(text.contains("api.example.test. 120 IN A 192.0.2.80"))

        // www's second record inherits its owner from the first line: removing that line alone
        // would move it to "mail"'s owner or lose it, so the zone is rewritten instead.
        _ = try await plane.propose(
            .removeRecords(zone: "example.test", name: "www", type: "A", data: "192.0.2.10"), author: "t", message: "")
        let serialAfterAdd = try #require(builder.engine.zones.first?.soa.serial)
        builder = try #require(swaps.builders.withLock { $0.last })
        #expect(Self.answers(builder, "www.example.test.") == ["192.0.2.11"])
        #expect(Self.answers(builder, "mail.example.test.") == ["192.0.2.25"])
        // Every change raises the serial, as UPDATE does: secondaries (NOTIFY, IXFR) see it moved.
        #expect(builder.engine.zones.first?.soa.serial == serialAfterAdd &+ 1)
        _ = try await plane.propose(
            .removeRecords(zone: "example.test", name: "mail", type: nil, data: nil), author: "t", message: "")
        builder = try #require(swaps.builders.withLock { $0.last })
        #expect(Self.answers(builder, "mail.example.test.").isEmpty)
        text = await plane.running.text
        #expect(!text.contains("192.0.2.25"))

        for bad in [
            "www IN A 300.1.1.1", "www.other.test. IN A 192.0.2.1", "$INCLUDE /etc/passwd", "@ IN SOA a b 1 2 3 4 5",
        ] {
            do {
                _ = try await plane.propose(.addRecords(zone: "example.test", records: [bad]), author: "t", message: "")
                Issue.record("\(bad) was added")
            } catch { #expect(error.kind == .invalid, "\(bad): \(error)") }
        }
    }

    @Test func dryRunShowsTheDiffAndTheAnswersItWouldChangeAndChangesNothing() async throws {
        let (plane, swaps, _) = try Self.make()
        let before = await plane.running.text
        let outcome = try await plane.propose(
            .updateNode(pool: "entry", id: "a1", fields: try Self.node("{enabled: false}")), author: "t", message: "",
            dryRun: true)
        #expect(outcome.status == .dryRun)
        #expect(outcome.diff.contains { $0.hasPrefix("+") && $0.contains("enabled: false") })
        let eu = try #require(outcome.answers.first { $0.region == "eu" })
        #expect(eu.before.contains("a1") && !eu.after.contains("a1"))
        #expect(await plane.running.text == before)
        #expect(swaps.builders.withLock { $0.isEmpty })
    }

    @Test func criticalChangesWaitForASecondAdmin() async throws {
        let store = try Self.store()
        let (plane, swaps, _) = try Self.make(store: store)
        let removal = try await plane.propose(.removePool(name: "entry"), author: "alice", message: "retire")
        #expect(removal.status == .pending)
        #expect(removal.approvalRule == .removePool)
        let id = try #require(removal.pending?.id)
        #expect(swaps.builders.withLock { $0.isEmpty })
        do {
            _ = try await plane.approve(id: id, by: "alice")
            Issue.record("an author approved their own change")
        } catch { #expect(error.kind == .forbidden) }
        let approved = try await plane.approve(id: id, by: "bob")
        #expect(approved.status == .applied)
        #expect(swaps.builders.withLock { $0.last?.geo?.pools.isEmpty ?? true })
        let version = try #require(try store.latestConfigVersion())
        #expect(version.author == "alice" && version.message.contains("approved by bob"))
        do {
            _ = try await plane.approve(id: id, by: "carol")
            Issue.record("a change was applied twice")
        } catch { #expect(error.kind == .conflict) }
    }

    @Test func aNewApexNameServerWaitsButOtherRecordsDoNot() async throws {
        let store = try Self.store()
        let (plane, _, _) = try Self.make(store: store)
        let ns = try await plane.propose(
            .addRecords(zone: "example.test", records: ["@ IN NS ns2.example.net."]), author: "alice", message: "")
        #expect(ns.status == .pending && ns.approvalRule == .nsSOA)
        let host = try await plane.propose(
            .addRecords(zone: "example.test", records: ["ns2 IN A 192.0.2.54"]), author: "alice", message: "")
        #expect(host.status == .applied && host.approvalRule == nil)
    }

    @Test func anExpiredChangeCannotBeApprovedAndIsListedAsExpired() async throws {
        let store = try Self.store()
        let (plane, swaps, _) = try Self.make(store: store)
        let old = PendingChange(
            created: Date().addingTimeInterval(-7200), expires: Date().addingTimeInterval(-3600), author: "alice",
            action: "remove pool entry", message: "", reason: "remove_pool", baseVersion: 1, payload: "pools: []\n")
        try store.addPendingChange(old)
        do {
            _ = try await plane.approve(id: old.id, by: "bob")
            Issue.record("an expired change was applied")
        } catch { #expect(error.kind == .conflict && error.message.contains("expired")) }
        #expect(try await plane.changes().first { $0.id == old.id }?.status == .expired)
        #expect(swaps.builders.withLock { $0.isEmpty })
    }

    @Test func aChangeMadeAgainstAnOlderVersionIsNotApplied() async throws {
        let store = try Self.store()
        let (plane, _, _) = try Self.make(store: store)
        let removal = try await plane.propose(.removePool(name: "entry"), author: "alice", message: "")
        _ = try await plane.propose(.addRecords(zone: "example.test", records: ["n IN A 192.0.2.9"]), author: "c", message: "")
        let id = try #require(removal.pending?.id)
        do {
            _ = try await plane.approve(id: id, by: "bob")
            Issue.record("a stale change overwrote a newer version")
        } catch { #expect(error.kind == .conflict && error.message.contains("propose it again")) }
    }

    @Test func drainingMostOfARegionWaitsButOneNodeDoesNot() async throws {
        let store = try Self.store()
        let (plane, swaps, _) = try Self.make(store: store)
        let one = try await plane.override(NodeKey(pool: "entry", node: "a1"), .drain, author: "alice", message: "")
        #expect(one.status == .applied)
        let two = try await plane.override(NodeKey(pool: "entry", node: "a2"), .drain, author: "alice", message: "")
        #expect(two.status == .pending && two.approvalRule == .drainHalfRegion)
        #expect(swaps.overrides.withLock { $0[NodeKey(pool: "entry", node: "a2")] } == nil)
        let us = try await plane.override(NodeKey(pool: "entry", node: "b1"), .forceDown, author: "alice", message: "")
        #expect(us.status == .pending, "the only node of a region is all of it")
        _ = try await plane.approve(id: try #require(two.pending?.id), by: "bob")
        #expect(swaps.overrides.withLock { $0[NodeKey(pool: "entry", node: "a2")] } == .drain)
    }

    @Test func approvalsNeedAStoreAndCanBeTurnedOff() async throws {
        let (noStore, _, _) = try Self.make()
        do {
            _ = try await noStore.propose(.removePool(name: "entry"), author: "a", message: "")
            Issue.record("a critical change was applied without approval")
        } catch { #expect(error.kind == .unavailable) }
        let (off, swaps, _) = try Self.make(approvals: "\nmanagement: {approvals: []}\n")
        #expect(try await off.propose(.removePool(name: "entry"), author: "a", message: "").status == .applied)
        #expect(swaps.builders.withLock { $0.count } == 1)
    }

    @Test func rollbackRestoresAnEarlierVersionAsANewOne() async throws {
        let store = try Self.store()
        let (plane, swaps, _) = try Self.make(store: store, approvals: "\nmanagement: {approvals: [remove_pool]}\n")
        let first = await plane.running.text
        _ = try await plane.propose(
            .addRecords(zone: "example.test", records: ["new IN A 192.0.2.99"]), author: "a", message: "")
        let back = try await plane.rollback(to: 1, author: "a", message: "")
        #expect(back.status == .applied && back.version == 3)
        #expect(await plane.running.text == first)
        #expect(Self.answers(try #require(swaps.builders.withLock { $0.last }), "new.example.test.").isEmpty)
    }

    @Test func theFileSeedsAndAnUnchangedFileKeepsLaterVersionsAcrossARestart() async throws {
        let store = try Self.store()
        let (plane, _, dir) = try Self.make(store: store)
        let b2 = try Self.node("{id: b2, ipv4: 192.0.2.4, latitude: 41, longitude: -73, region: us}")
        _ = try await plane.propose(.addNode(pool: "entry", node: b2), author: "a", message: "")
        // A restart with the same file serves the newest version.
        let start = try ControlPlane.startingText(file: dir + "c.yaml", store: store)
        let (text, version) = (start.text, start.version)
        #expect(version == 2 && text.contains("b2"))
        // A comment is not a change (versions hold the document, not its layout)...
        try (Self.config + "\n# edited\n").write(toFile: dir + "c.yaml", atomically: true, encoding: .utf8)
        #expect(try ControlPlane.startingText(file: dir + "c.yaml", store: store).version == 2)
        // ...an edited value is, and the file wins, as a new version.
        try (Self.config + "\n      - {id: c1, ipv4: 192.0.2.5, latitude: 1, longitude: 1}\n").write(
            toFile: dir + "c.yaml", atomically: true, encoding: .utf8)
        let editedStart = try ControlPlane.startingText(file: dir + "c.yaml", store: store)
        let (edited, editedVersion) = (editedStart.text, editedStart.version)
        #expect(editedVersion == 3 && !edited.contains("b2") && edited.contains("c1"))
        // So does an edited zone file on SIGHUP.
        try (Self.zone + "extra IN A 192.0.2.77\n").write(
            toFile: dir + "example.zone", atomically: true, encoding: .utf8)
        let reload = try await plane.reloadFile()
        #expect(
            reload.status == .applied
                && reload.diff.contains { $0.hasPrefix("+") && $0.contains("extra IN A 192.0.2.77") })
        #expect(try await plane.reloadFile().status == .refreshed)
    }
}
