import DNSWire
import FormConfig
import FormControl
import Foundation
import Testing
import TestFixtures

/// The text a version holds: the file with zones inline, written back as YAML that reads the same.
@Suite struct ConfigTextTests {
    /// Every scalar, key and shape, compared node by node (lines aside).
    static func same(_ a: ConfigNode, _ b: ConfigNode, at path: String = "") -> String? {
        switch (a.content, b.content) {
        case (.scalar(let x), .scalar(let y)):
            let match =
                x.text == y.text && x.integer == y.integer && x.boolean == y.boolean && x.isNull == y.isNull
                && (x.number == y.number || (x.number?.isNaN == true && y.number?.isNaN == true))
            return match ? nil : "\(path): '\(x.text)' \(x) != '\(y.text)' \(y)"
        case (.list(let x), .list(let y)):
            guard x.count == y.count else { return "\(path): \(x.count) items != \(y.count)" }
            for i in x.indices { if let d = same(x[i], y[i], at: "\(path)[\(i)]") { return d } }
            return nil
        case (.mapping(let x), .mapping(let y)):
            guard x.map(\.key) == y.map(\.key) else { return "\(path): keys \(x.map(\.key)) != \(y.map(\.key))" }
            for i in x.indices { if let d = same(x[i].value, y[i].value, at: "\(path).\(x[i].key)") { return d } }
            return nil
        default:
            return "\(path): different kinds"
        }
    }

    @Test(arguments: ["Fixtures/demo/form-dns.yaml", "Fixtures/bench/form-dns.yaml", "Fixtures/geo/overlay.yaml"])
    func fixtureConfigsReadBackTheSame(_ relative: String) throws {
        let path = FixturePaths.packageRoot + "/" + relative
        let document = try ConfigDocument(parsing: String(contentsOfFile: path, encoding: .utf8), source: path)
        let again = try ConfigDocument(parsing: document.root.yaml, source: path)
        #expect(Self.same(document.root, again.root) == nil)
    }

    @Test func awkwardScalarsAndBlocksReadBackTheSame() throws {
        let text = #"""
            plain: eu-west
            quoted_number: "2"
            quoted_bool: "yes"
            colon: "[::1]:5300"
            v6: "::1"
            v4: 10.0.0.1
            v4_port: 127.0.0.1:5300
            dotted: "1.2.3"
            trailing_dot: "1.5."
            sexagesimal: "1:20"
            word: "Off"
            umlaut: zürich
            colon_last: "abc:"
            hash: "a #b"
            empty: ""
            null_value: null
            number: 1.5
            integer: -3
            flag: true
            unicode: "Zürich \u0007 bell"
            lines: "line one\n  indented two\n\n\ttab\n"
            no_final_newline: "a\nb"
            extra_newlines: "a\n\n\n"
            leading_space: "  starts\nwith spaces\n"
            list: [1, "two", {k: v}, [], {}]
            "key with space": x
            """#
        let document = try ConfigDocument(parsing: text, source: "t.yaml")
        let yaml = document.root.yaml
        let again = try ConfigDocument(parsing: yaml, source: "t.yaml")
        #expect(Self.same(document.root, again.root) == nil, "\(yaml)")
        #expect(yaml.contains("lines: |2\n"), "multi-line text is a literal block:\n\(yaml)")
    }

    @Test func zonesAreInlinedAndStillLoad() throws {
        let text = try ControlPlane.fileText(FixturePaths.demoConfig)
        let zone = try String(contentsOfFile: FixturePaths.demoZone, encoding: .utf8)
        let config = try ServerConfig.parse(ConfigDocument(parsing: text, source: FixturePaths.demoConfig))
        #expect(config.zones.first?.content == zone)
        #expect(config.zones.first?.file == "")
        let builder = try AuthorityLoader.build(config)
        #expect(builder.geo?.pools.first?.nodes.count == 7)
    }

    @Test func aZoneWithBothFileAndContentIsRefused() throws {
        let text = "zones: [{origin: x.test, file: x.zone, content: \"x\"}]"
        #expect(throws: ConfigErrors.self) { try ServerConfig.parse(yaml: text, file: "c.yaml") }
        do { _ = try ServerConfig.parse(yaml: "zones: [{origin: x.test}]", file: "c.yaml") } catch {
            #expect(error.description.contains("zones[0].file: is required (or content)"))
        }
    }
}
