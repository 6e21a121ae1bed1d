import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// FormJoin's C ABI (libFormJoinC.so, include/formjoin.h) as formnet would use it: the C example
/// and the Rust crate in Examples/ are built here against the library beside the tested binaries,
/// run against a form-dns and fake entry nodes on loopback, and checked for leaks over 1,000
/// calls with LeakSanitizer (preloaded, so neither the library nor the callers need rebuilding
/// for it) and for memory errors with valgrind.
@Suite(.serialized) struct CABITests {
    /// Addresses of this suite only (JoinTests uses 127.0.0.11-17, WatchTests 127.0.0.41-45).
    static let nodes = [("127.0.0.51", 30), ("127.0.0.52", 5)]
    static var libraryDirectory: String { URL(fileURLWithPath: Harness.formDNSBinary).deletingLastPathComponent().path }
    static var header: String { Harness.packageRoot + "/Sources/FormJoinC/include" }

    /// form-dns serving entry.cabi.test (the two nodes), and the nodes; stopped by the caller.
    static func world(_ dir: String) async throws -> (ServerProcess, [ServerProcess], String) {
        try """
        $ORIGIN cabi.test.
        $TTL 30
        @ SOA ns.cabi.test. hostmaster.cabi.test. 1 3600 600 86400 30
        @ NS ns
        ns A 127.0.0.1
        entry A 127.0.0.51
        entry A 127.0.0.52

        """.write(toFile: dir + "/cabi.test.zone", atomically: true, encoding: .utf8)
        try "zones:\n  - origin: cabi.test\n    file: \(dir)/cabi.test.zone\n"
            .write(toFile: dir + "/form-dns.yaml", atomically: true, encoding: .utf8)
        let dns = try ServerProcess.formDNS(["--config", dir + "/form-dns.yaml", "--listen", "127.0.0.1:0"], directory: dir)
        var nodes: [ServerProcess] = []
        for (ip, ms) in Self.nodes {
            nodes.append(try ServerProcess(executable: JoinTests.fakeNode,
                                           arguments: ["--listen", "\(ip):51820", "--delay-ms", "\(ms)"],
                                           logPath: "\(dir)/node-\(ip).log"))
        }
        try await waitFor { nodes.allSatisfy { $0.log.contains("listening on") } }
        let options = #"{"resolvers": ["127.0.0.1:\#(dns.udpPort)"], "probe": "ping", "probes": 1, "no_cache": true}"#
        return (dns, nodes, options)
    }

    static func peerIDs(_ output: String) -> [String] {
        guard let start = output.firstIndex(of: "{"),
              let o = try? JSONSerialization.jsonObject(with: Data(output[start...].utf8)) as? [String: Any] else { return [] }
        return (o["peers"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    }

    /// LeakSanitizer's runtime, preloaded into a program built without it.
    static func leakSanitizer() throws -> String {
        let path = try Harness.run("gcc", ["-print-file-name=liblsan.so"]).output.trimmingCharacters(in: .whitespacesAndNewlines)
        guard path.hasPrefix("/"), FileManager.default.fileExists(atPath: path) else {
            throw HarnessError("liblsan.so not found (gcc said '\(path)'); bash .ci/run installs it")
        }
        return path
    }

    static func buildC(_ dir: String) throws -> String {
        let binary = dir + "/formjoin-peers-c"
        let lib = libraryDirectory
        let build = try Harness.run("gcc", ["-Wall", "-Wextra", "-Werror", "-I", header,
                                            Harness.packageRoot + "/Examples/c/formjoin-peers.c", "-L", lib, "-lFormJoinC",
                                            "-Wl,-rpath,\(lib)", "-lpthread", "-o", binary], timeout: 120)
        #expect(build.status == 0, "\(build.output)")
        return binary
    }

    static func buildRust(_ dir: String) throws -> String {
        let build = try Harness.run("cargo", ["build", "--offline", "--quiet", "--manifest-path",
                                              Harness.packageRoot + "/Examples/rust/Cargo.toml", "--target-dir", dir + "/target"],
                                    timeout: 300, environment: ["FORMJOIN_LIB_DIR": libraryDirectory])
        #expect(build.status == 0, "\(build.output)")
        return dir + "/target/debug/formjoin-peers"
    }

    /// 1,000 calls, each freed, under LeakSanitizer: exit 0 and no report. gcc 12's preloaded
    /// LeakSanitizer sometimes crashes in its own thread registry (SEGV in GetThreadLocked, with
    /// thousands of short-lived threads): that run proves nothing either way and is made again,
    /// twice at most. A leak report is never retried.
    static func noLeaks(_ binary: String, _ options: String) throws {
        var r = (status: Int32(0), output: "")
        for _ in 1...3 {
            r = try Harness.run(binary, ["entry.cabi.test", options, "--repeat", "1000"], timeout: 600,
                                environment: ["LD_PRELOAD": try leakSanitizer(), "LSAN_OPTIONS": "exitcode=23"])
            guard r.output.contains("LeakSanitizer:DEADLYSIGNAL"), !r.output.contains("detected memory leaks") else { break }
        }
        #expect(r.status == 0 && !r.output.contains("LeakSanitizer"),
                "status \(r.status): \(r.output.prefix(1500)) [...] \(r.output.suffix(3000))")
        #expect(peerIDs(r.output) == ["127.0.0.52", "127.0.0.51"], "\(r.output.prefix(500))")
    }

    @Test func theCExampleGetsThePeerSetWatchesAndRefusesBadCalls() async throws {
        let dir = Harness.tempDirectory()
        let (dns, nodes, options) = try await Self.world(dir)
        defer { dns.stop(); nodes.forEach { $0.stop() } }
        let binary = try Self.buildC(dir)

        let once = try Harness.run(binary, ["entry.cabi.test", options])
        #expect(once.status == 0, "\(once.output)")
        #expect(Self.peerIDs(once.output) == ["127.0.0.52", "127.0.0.51"], "\(once.output)")

        // A watch: its first emission comes through the callback, and stop returns.
        let watchOptions = String(options.dropLast()) + #", "watch": {"interval": 0.2}}"#
        let watch = try Harness.run(binary, ["entry.cabi.test", watchOptions, "--watch", "1"], timeout: 30)
        let lines = watch.output.split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(watch.status == 0 && lines.count >= 1, "\(watch.output)")
        #expect(lines.first?.contains(#""reason":"initial""#) == true && lines.first?.contains("127.0.0.52") == true)

        // The callback stops its own watch: stop returns at once there, and no callback follows.
        let selfStop = try Harness.run(binary, ["entry.cabi.test", watchOptions, "--watch", "1", "--stop-in-callback"],
                                       timeout: 30)
        #expect(selfStop.status == 0 && selfStop.output.contains("stopped in the callback after 1 emission(s)"),
                "\(selfStop.output)")
        #expect(selfStop.output.split(separator: "\n").filter { $0.hasPrefix("{") }.count == 1, "\(selfStop.output)")

        // NULL, text that is not UTF-8, bad options, an unreadable file: each refused with a message.
        let bad = try Harness.run(binary, ["--bad-input"])
        #expect(bad.status == 0, "\(bad.output)")
        #expect(bad.output.contains("NULL name: 64 name is NULL") && bad.output.contains("name not UTF-8: 64 name is not UTF-8"))
        #expect(bad.output.contains("unknown key: 64 options: unknown key 'probez'"), "\(bad.output)")
        #expect(bad.output.contains("wrong type: 64 options: probes: expected an integer"), "\(bad.output)")
        #expect(bad.output.contains("unreadable file: 64 /nonexistent/list.json: cannot read"), "\(bad.output)")

        // Nothing reachable: 20, a peer set with no peers, and the message.
        nodes.forEach { $0.stop() }
        let none = try Harness.run(binary, ["entry.cabi.test", options])
        #expect(none.status == 20 && none.output.contains("formjoin_peers: nothing reachable for entry.cabi.test."),
                "\(none.output)")
    }

    @Test func theCExampleLeaksNothingOverAThousandCalls() async throws {
        let dir = Harness.tempDirectory()
        let (dns, nodes, options) = try await Self.world(dir)
        defer { dns.stop(); nodes.forEach { $0.stop() } }
        let binary = try Self.buildC(dir)
        // The positive control: one peer set left unfreed is reported, so a silent run means no leak.
        let leaky = try Harness.run(binary, ["entry.cabi.test", options, "--repeat", "2", "--leak-on-purpose"], timeout: 60,
                                    environment: ["LD_PRELOAD": try Self.leakSanitizer(), "LSAN_OPTIONS": "exitcode=23"])
        #expect(leaky.status == 23 && leaky.output.contains("ERROR: LeakSanitizer: detected memory leaks"),
                "\(leaky.output.suffix(2000))")
        try Self.noLeaks(binary, options)

        // valgrind's memcheck for memory errors and lost blocks. Its DWARF reader (3.19) cannot read
        // the DWARF 5 that Swift writes, so it gets a copy of the library without debug sections.
        try FileManager.default.createDirectory(atPath: dir + "/stripped", withIntermediateDirectories: true)
        let strip = try Harness.run("objcopy", ["--strip-debug", Self.libraryDirectory + "/libFormJoinC.so",
                                                dir + "/stripped/libFormJoinC.so"], timeout: 120)
        #expect(strip.status == 0, "\(strip.output)")
        let memcheck = try Harness.run("valgrind", ["--leak-check=full", "--errors-for-leak-kinds=definite,indirect",
                                                    "--error-exitcode=99", binary, "entry.cabi.test", options,
                                                    "--repeat", "20"],
                                       timeout: 600, environment: ["LD_LIBRARY_PATH": dir + "/stripped"])
        #expect(memcheck.status == 0, "\(memcheck.output.suffix(3000))")
        #expect(memcheck.output.contains("definitely lost: 0 bytes") || memcheck.output.contains("All heap blocks were freed"),
                "\(memcheck.output.suffix(3000))")
        #expect(memcheck.output.contains("ERROR SUMMARY: 0 errors"), "\(memcheck.output.suffix(3000))")
    }

    @Test func theRustCrateLinksTheLibraryAndLeaksNothing() async throws {
        let dir = Harness.tempDirectory()
        let (dns, nodes, options) = try await Self.world(dir)
        defer { dns.stop(); nodes.forEach { $0.stop() } }
        let binary = try Self.buildRust(dir)

        let once = try Harness.run(binary, ["entry.cabi.test", options])
        #expect(once.status == 0 && Self.peerIDs(once.output) == ["127.0.0.52", "127.0.0.51"], "\(once.output)")
        let watchOptions = String(options.dropLast()) + #", "watch": {"interval": 0.2}}"#
        let watch = try Harness.run(binary, ["entry.cabi.test", watchOptions, "--watch", "1"], timeout: 30)
        #expect(watch.status == 0 && watch.output.contains(#""reason":"initial""#), "\(watch.output)")
        let bad = try Harness.run(binary, ["entry.cabi.test", #"{"probes": "three"}"#])
        #expect(bad.status == 64 && bad.output.contains("options: probes: expected an integer"), "\(bad.output)")
        try Self.noLeaks(binary, options)
    }
}
