import Foundation
import FormAuthority
import FormConfig
import NetAddress
import Testing

/// `rate_limit` and `cookies`: on by default with safe values, every mistake named with file, line
/// and field; the limiter outlives a reload while its settings stay.
@Suite struct QueryLimitsConfigTests {
    func parse(_ yaml: String) throws(ConfigErrors) -> ServerConfig {
        try ServerConfig.parse(yaml: "zones: []\n" + yaml, file: "t.yaml")
    }

    func errors(_ yaml: String) -> [String] {
        do throws(ConfigErrors) {
            _ = try parse(yaml)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func onByDefaultWithSafeValues() throws {
        let config = try parse("")
        #expect(config.rateLimit.enabled && config.rateLimit.responsesPerSecond == 100)
        #expect(config.rateLimit.slip == 2 && config.rateLimit.windowSeconds == 15)
        #expect((config.rateLimit.ipv4PrefixLength, config.rateLimit.ipv6PrefixLength) == (24, 56))
        #expect(config.cookies.enabled && config.cookies.secretFile == nil)
        let limits = AuthorityLoader.limits(config, previous: nil, onRateLimit: nil)
        #expect(limits.rateLimiter != nil && limits.cookies != nil)
    }

    @Test func settingsAreRead() throws {
        let config = try parse(
            "rate_limit: {responses_per_second: 20, window_s: 5, slip: 0, ipv4_prefix: 32, ipv6_prefix: 64, "
                + "exempt: [192.0.2.0/24], log_only: true, table_size: 5000}\ncookies: {enabled: false}\n")
        let r = config.rateLimit
        #expect(r.responsesPerSecond == 20 && r.windowSeconds == 5 && r.slip == 0 && r.logOnly)
        #expect(r.ipv4PrefixLength == 32 && r.ipv6PrefixLength == 64 && r.tableSize == 5000)
        #expect(r.exempt == [IPNetwork("192.0.2.0/24")!])
        #expect(!config.cookies.enabled)
        #expect(AuthorityLoader.limits(config, previous: nil, onRateLimit: nil).cookies == nil)
        let off = try parse("rate_limit: {enabled: false}\n")
        #expect(AuthorityLoader.limits(off, previous: nil, onRateLimit: nil).rateLimiter == nil)
    }

    @Test func mistakesAreNamed() {
        #expect(errors("rate_limit: {slip: 11}\n").contains { $0.hasPrefix("t.yaml:2: rate_limit.slip") })
        #expect(errors("rate_limit: {exempt: [10.0.0.1/8]}\n").contains { $0.contains("rate_limit.exempt[0]") })
        #expect(errors("rate_limit: {responses_per_second: 1000000, window_s: 9}\n").contains {
            $0.contains("rate_limit.window_s") && $0.contains("at most 8388607")
        })
        #expect(errors("cookies: {secret_file: /nonexistent/secret}\n").contains {
            $0.contains("cookies.secret_file") && $0.contains("cannot read")
        })
        #expect(errors("rate_limit: {rate: 5}\n").contains { $0.contains("rate: unknown setting") })
    }

    @Test func secretFilesHoldOneOrTwoSecrets() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("cookies-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let current = "e5e973e5a6b2a43f48e7dc849e37bfcf", previous = "dd3bdf9344b678b185a6f5cb60fca715"
        try "\(current)\n\(previous)\n".write(toFile: dir + "/two", atomically: true, encoding: .utf8)
        let config = try parse("cookies: {secret_file: \(dir)/two}\n")
        #expect(config.cookies.secrets.count == 2)
        let limits = AuthorityLoader.limits(config, previous: nil, onRateLimit: nil)
        #expect(limits.cookies?.current == SipHash24(key: Self.hex(current)))
        #expect(limits.cookies?.previous == SipHash24(key: Self.hex(previous)))
        for (name, text, why) in [
            ("short", "abcd\n", "secret 1 must be 32 hex digits"), ("three", "\(current)\n\(current)\n\(current)\n",
            "one or two secrets"), ("empty", "\n", "one or two secrets"), ("nothex", String(repeating: "zz", count: 16),
            "secret 1 must be 32 hex digits"),
        ] {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            #expect(errors("cookies: {secret_file: \(dir)/\(name)}\n").contains {
                $0.hasPrefix("t.yaml:2: cookies.secret_file") && $0.contains(why)
            }, "\(name): \(errors("cookies: {secret_file: \(dir)/\(name)}\n"))")
        }
    }

    /// A reload keeps the limiter (and its accounts) while rate_limit stays, and a random secret while
    /// no file is named.
    @Test func aReloadKeepsTheLimiterAndTheRandomSecret() throws {
        let config = try parse("")
        let first = AuthorityLoader.limits(config, previous: nil, onRateLimit: nil)
        let again = AuthorityLoader.limits(config, previous: first, onRateLimit: nil)
        #expect(again.rateLimiter === first.rateLimiter && again.cookies == first.cookies)
        let changed = AuthorityLoader.limits(try parse("rate_limit: {slip: 1}\n"), previous: first, onRateLimit: nil)
        #expect(changed.rateLimiter !== first.rateLimiter && changed.rateLimiter?.settings.slip == 1)
    }

    static func hex(_ text: String) -> [UInt8] {
        stride(from: 0, to: text.count, by: 2).map { i in
            let a = text.index(text.startIndex, offsetBy: i)
            return UInt8(text[a..<text.index(a, offsetBy: 2)], radix: 16)!
        }
    }
}
