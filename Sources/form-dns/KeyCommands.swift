import ArgumentParser
import DNSSEC
import DNSWire
import FormConfig
import Foundation

/// `form-dns keys`: a zone's DNSSEC keys in `state_dir/keys/`, as BIND key files (which Knot's
/// `keymgr import-bind` and ldns read too): generate one, list them, print the DS for the parent
/// and the trust anchor for joining nodes.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A zone's DNSSEC keys in state_dir/keys: generate, list, and the DS for the parent.",
        subcommands: [Generate.self, List.self, DS.self])

    struct Location: ParsableArguments {
        @Option(name: .long, help: "The state directory (state_dir); the keys are in its keys/ folder.")
        var stateDir: String

        @Argument(help: "The zone's apex, e.g. formation.test.")
        var zone: String

        var folder: String { stateDir + "/keys" }

        func apex() throws -> DNSName {
            guard let name = try? DNSName(parsing: zone, origin: .root) else {
                printError("form-dns: '\(zone)' is not a domain name")
                throw ExitCode(1)
            }
            return name
        }

        /// The zone's key files, by key tag.
        func keys() throws -> [KeyFile] {
            do { return try ZoneKeyStore.keys(zone: try apex(), folder: folder) } catch let error as ConfigError {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
        }
    }

    enum Role: String, ExpressibleByArgument, CaseIterable {
        /// One key signs everything: flags 257.
        case csk
        /// Signs the DNSKEY set only; the DS points at it: flags 257.
        case ksk
        /// Signs the rest: flags 256.
        case zsk

        var flags: UInt16 { self == .zsk ? 256 : 257 }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a key; print its DNSKEY and, for a CSK or KSK, the DS to give the parent.")
        @OptionGroup var location: Location
        @Option(help: "ECDSAP256SHA256 (algorithm 13) or ED25519 (15).") var algorithm = "ECDSAP256SHA256"
        @Option(help: "csk (one key for everything), ksk or zsk.") var role: Role = .csk

        func run() throws {
            guard let algorithm = DNSSECAlgorithm(mnemonic: algorithm) else {
                printError("form-dns: --algorithm must be ECDSAP256SHA256 or ED25519")
                throw ExitCode(1)
            }
            let apex = try location.apex()
            let file: KeyFile
            do {
                file = try ZoneKeyStore.generate(
                    zone: apex, algorithm: algorithm, flags: role.flags, folder: location.folder)
            } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
            let key = file.key
            print("\(file.baseName): \(role.rawValue), \(algorithm.mnemonic), key tag \(key.keyTag)")
            print("\(apex.lowercased) IN DNSKEY \(key.dnskey.presentation)")
            if role != .zsk {
                print("\(apex.lowercased) IN DS \(DSDigest.ds(for: key.dnskey, owner: apex).presentation)")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The zone's keys: tag, algorithm, role, created.")
        @OptionGroup var location: Location

        func run() throws {
            for file in try location.keys() {
                let role = file.key.flags & DNSKEYRecord.secureEntryPointFlag != 0 ? "ksk/csk" : "zsk"
                print(
                    "\(file.key.keyTag)  \(file.key.algorithm.mnemonic)  \(role)  "
                        + "created \(DNSSECTime(file.created).presentation)  \(file.baseName)")
            }
        }
    }

    struct DS: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The DS records for the parent zone, one per key-signing key (SHA-256); the same lines "
                + "are a trust anchor for unbound and form-join.")
        @OptionGroup var location: Location

        func run() throws {
            let apex = try location.apex()
            let entry = try location.keys().filter { $0.key.flags & DNSKEYRecord.secureEntryPointFlag != 0 }
            guard !entry.isEmpty else {
                printError("form-dns: \(apex) has no key-signing key (form-dns keys generate --role csk)")
                throw ExitCode(1)
            }
            for file in entry {
                print("\(apex.lowercased) IN DS \(DSDigest.ds(for: file.key.dnskey, owner: apex).presentation)")
            }
        }
    }
}
