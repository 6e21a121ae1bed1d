import ArgumentParser
import DNSSEC
import DNSWire
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
            let apex = try apex()
            let prefix = "K\(apex.lowercased)+"
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            var found: [KeyFile] = []
            for name in names.sorted() where name.hasPrefix(prefix) && name.hasSuffix(".private") {
                let base = folder + "/" + name.dropLast(".private".count)
                do {
                    let secret = try String(contentsOfFile: base + ".private", encoding: .utf8)
                    let publicText = try String(contentsOfFile: base + ".key", encoding: .utf8)
                    found.append(try KeyFile(publicText: publicText, privateText: secret))
                } catch {
                    printError("form-dns: \(base): \(error)")
                    throw ExitCode(1)
                }
            }
            return found.sorted { $0.key.keyTag < $1.key.keyTag }
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
            let taken = Set(try location.keys().map(\.key.keyTag))
            var key = ZoneKey(generating: algorithm, flags: role.flags)
            // Two keys of one zone must not share a tag: RRSIGs name their key by it.
            while taken.contains(key.keyTag) { key = ZoneKey(generating: algorithm, flags: role.flags) }
            let file = KeyFile(zone: apex, key: key, created: UInt32(Date().timeIntervalSince1970))
            let base = location.folder + "/" + file.baseName
            do {
                try FileManager.default.createDirectory(
                    atPath: location.folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                try Self.write(file.privateText, to: base + ".private", mode: 0o600)
                try Self.write(file.publicText, to: base + ".key", mode: 0o644)
            } catch {
                printError("form-dns: cannot write \(base): \(error)")
                throw ExitCode(1)
            }
            print("\(file.baseName): \(role.rawValue), \(algorithm.mnemonic), key tag \(key.keyTag)")
            print("\(apex.lowercased) IN DNSKEY \(key.dnskey.presentation)")
            if role != .zsk {
                print("\(apex.lowercased) IN DS \(DSDigest.ds(for: key.dnskey, owner: apex).presentation)")
            }
        }

        /// Writes `text` to a new file created with `mode` (never wider for a moment, never over another).
        static func write(_ text: String, to path: String, mode: Int) throws {
            guard
                FileManager.default.createFile(
                    atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
            else { throw CocoaError(.fileWriteUnknown) }
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
