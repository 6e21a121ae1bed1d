import ArgumentParser
import DNSWire
import FormAuthority
import FormConfig
import Foundation
import GeoIP
import NetAddress

struct Explain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show how a GeoDNS pool answer is chosen for a client: location, its source, every candidate's score."
    )

    @Option(name: .long, help: "YAML configuration file.")
    var config: String

    @Argument(help: "The pool name, e.g. entry.formation.test")
    var name: String

    @Argument(help: "The client's address (the query's source: a resolver or a stub).")
    var client: String

    @Option(name: .long, help: "EDNS Client Subnet the query carries, e.g. 198.51.100.0/24.")
    var ecs: String?

    func run() throws {
        do {
            let cfg = try ServerConfig.load(file: config)
            let zones = try AuthorityLoader.loadZones(cfg)
            guard let geo = try AuthorityLoader.loadGeo(cfg, zones: zones) else {
                printError("form-dns: \(config) configures no pools")
                throw ExitCode(1)
            }
            guard let source = IPAddress(client) else { throw ValidationError("'\(client)' is not an IP address") }
            var subnet: IPNetwork? = nil
            if let ecs {
                guard let s = IPNetwork(ecs) else {
                    throw ValidationError("'\(ecs)' is not a subnet like 198.51.100.0/24 (host bits zero)")
                }
                subnet = s
            }
            let qname = try DNSName(parsing: name, origin: .root)
            print(try GeoExplainer.explain(geo, name: qname, source: source, clientSubnet: subnet))
        } catch let e as ConfigErrors {
            printError(e.description)
            throw ExitCode(1)
        } catch let e as GeoExplainer.Failure {
            printError("form-dns: \(e)")
            throw ExitCode(1)
        }
    }
}

struct Geo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "GeoIP tools.", subcommands: [Compile.self, Lookup.self])

    struct Compile: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile networks with locations (YAML or CSV) into a MaxMind DB (MMDB v2) file.")

        @Argument(
            help: ArgumentHelp(
                "Input: .yaml/.yml (networks: [...]) or "
                    + ".csv (network,latitude,longitude,country,continent,region,city).")
        )
        var input: String

        @Option(name: .shortAndLong, help: "Output .mmdb path.")
        var output: String

        @Option(name: .long, help: "Build time (seconds since 1970) when the input gives none; default now.")
        var epoch: UInt64?

        func run() throws {
            do {
                let file = try NetworkMapFile.load(path: input)
                let bytes = file.mmdb(buildEpoch: epoch ?? UInt64(Date().timeIntervalSince1970))
                try Data(bytes).write(to: URL(fileURLWithPath: output))
                print("wrote \(output): \(file.rows.count) networks, \(bytes.count) bytes")
            } catch let e as ConfigErrors {
                printError(e.description)
                throw ExitCode(1)
            }
        }
    }

    struct Lookup: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Look an address up in a MaxMind DB (verifies the file first).")

        @Argument var database: String
        @Argument var address: String

        func run() throws {
            do {
                let db = try GeoDatabase(path: database)
                guard let a = IPAddress(address) else { throw ValidationError("'\(address)' is not an IP address") }
                let (location, prefix) = db.lookup(a)
                print("\(a)/\(prefix): \(location.map(\.description) ?? "no location")")
            } catch let e as GeoDatabaseError {
                printError(e.description)
                throw ExitCode(1)
            }
        }
    }
}
