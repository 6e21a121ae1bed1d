// form-dns: the authority's command line: serve, check, explain, geo, health, override,
// config-reference. It parses arguments, loads the configuration (FormConfig), and runs the
// server's services in one ServiceGroup (`serve`). Nothing here answers queries or checks health.

import ArgumentParser
import DNSWire
import DNSZone
import GeoIP
import FormAuthority
import FormConfig
import FormDNSServer

@main
struct FormDNS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "form-dns",
        abstract: "The Formation GeoDNS authority: serves zones and the entry-node anycast name.",
        subcommands: [
            Serve.self, Check.self, Explain.self, Geo.self, Health.self, Override.self, Token.self, Audit.self,
            Versions.self, PKI.self, Keys.self, BootstrapCommand.self, Ctl.self,
            ConfigReferenceCommand.self, OpenAPICommand.self,
        ]
    )
}

/// Options shared by `serve` and `check`: a config file and/or zones given directly.
struct ZoneSourceOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file.")
    var config: String?

    @Option(name: .customLong("zone"), help: "Serve a zone without a config file: ORIGIN=PATH (repeatable).")
    var zones: [String] = []

    /// The configuration these options describe (the file, then any --zone added to it).
    func load() throws(ConfigErrors) -> ServerConfig {
        var config = ServerConfig()
        if let file = self.config { config = try ServerConfig.load(file: file) }
        var errors: [ConfigError] = []
        for spec in zones {
            guard let eq = spec.firstIndex(of: "=") else {
                errors.append(
                    ConfigError(
                        file: "command line", line: 0, field: "--zone", message: "'\(spec)' must be ORIGIN=PATH"))
                continue
            }
            do {
                let origin = try DNSName(parsing: String(spec[..<eq]), origin: .root)
                config.zones.append(ZoneConfig(origin: origin, file: String(spec[spec.index(after: eq)...])))
            } catch {
                errors.append(ConfigError(file: "command line", line: 0, field: "--zone", message: "\(error)"))
            }
        }
        if config.zones.isEmpty && errors.isEmpty {
            errors.append(
                ConfigError(
                    file: "command line", line: 0, field: "",
                    message: "no zones: give --config FILE or --zone ORIGIN=PATH"))
        }
        if !errors.isEmpty { throw ConfigErrors(errors) }
        return config
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration and its zones; print file:line: problem for each error.")

    @OptionGroup var source: ZoneSourceOptions

    func run() throws {
        do {
            let config = try source.load()
            var errors: [ConfigError] = []
            var zones: [Zone] = []
            do { zones = try AuthorityLoader.loadZones(config) } catch { errors += error.errors }
            var geo: GeoContext? = nil
            do { geo = try AuthorityLoader.loadGeo(config, zones: zones) } catch { errors += error.errors }
            if !errors.isEmpty { throw ConfigErrors(errors) }
            zones = try AuthorityLoader.publishDiscovery(config, zones: zones)
            for zone in zones {
                let records = zone.nodes.values.reduce(0) { $0 + $1.rrsets.values.reduce(0) { $0 + $1.records.count } }
                print("ok: zone \(zone.origin) (\(records) records, serial \(zone.soa.serial))")
            }
            for pool in geo?.pools ?? [] {
                print(
                    "ok: pool \(pool.name) (\(pool.names.map(\.description).joined(separator: ", ")); "
                        + "\(pool.nodes.count) nodes, \(pool.policy.strategy.name))"
                )
            }
            if let geo, !geo.locator.databases.isEmpty || geo.locator.networkMap.count > 0 {
                print(
                    "ok: geoip (\(geo.locator.databases.map(\.databaseType).joined(separator: ", ")); "
                        + "network map of \(geo.locator.networkMap.count) networks)"
                )
            }
        } catch let error as ConfigErrors {
            printError(error.description)
            throw ExitCode(1)
        }
    }
}

struct ConfigReferenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-reference",
        abstract: "Print the configuration reference (Markdown), generated from the schema.")

    func run() { print(ConfigReference.markdown(), terminator: "") }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        // write(2) on the descriptor: no shared FILE* state to race on.
        var bytes = Array(string.utf8)[...]
        while !bytes.isEmpty {
            let n = bytes.withUnsafeBytes { Glibc.write(2, $0.baseAddress, $0.count) }
            if n <= 0 { return }
            bytes = bytes.dropFirst(n)
        }
    }
}

#if canImport(Glibc)
    import Glibc
#endif
