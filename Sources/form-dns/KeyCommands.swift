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
        subcommands: [Generate.self, List.self, DS.self, Rollover.self])

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
        static let configuration = CommandConfiguration(
            abstract: "The zone's keys: tag, algorithm, role, state (active, published, pending, retiring), created.")
        @OptionGroup var location: Location

        func run() throws {
            let now = UInt32(Date().timeIntervalSince1970)
            for file in try location.keys() {
                let role = file.key.flags & DNSKEYRecord.secureEntryPointFlag != 0 ? "ksk/csk" : "zsk"
                let state =
                    file.isActive(at: now)
                    ? "active"
                    : file.isPublished(at: now)
                        ? (file.activate == nil ? "published" : "retiring")
                        : "pending"
                print(
                    "\(file.key.keyTag)  \(file.key.algorithm.mnemonic)  \(role)  \(state)  "
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

    struct Rollover: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Roll a key one checked step at a time: start, switch, finish (then reload form-dns).",
            discussion: """
                zsk (pre-publish): start publishes a new ZSK that does not sign; switch, a DNSKEY TTL later, makes \
                it sign and stops the old one; finish, the zone's largest TTL later, removes the old key.
                ksk (double-DS; also for a CSK): start makes a new key, not in the zone yet: give the parent both \
                DS records (printed) and nodes both as trust anchor; switch, once the parent serves both and its \
                DS TTL has passed, puts the new key in the zone to sign; finish removes the old key, and the \
                parent drops the old DS. Each step is checked against the keys' state and logged in \
                keys/rollover.log. SIGHUP (or a reload) makes form-dns serve the new state.
                """)
        @OptionGroup var location: Location
        @Option(help: "zsk or ksk (ksk also rolls a CSK).") var kind: KeyRollover.Kind
        @Argument(help: "start, switch or finish.") var step: KeyRollover.Step
        @Option(help: "Seconds the previous step must have been in effect (default: 3600 for zsk, 86400 for ksk).")
        var wait: UInt32?
        @Flag(help: "Take the step even if the wait has not passed (a test zone, a key known compromised).")
        var force = false

        func run() throws {
            let apex = try location.apex()
            let keys = try location.keys()
            let now = UInt32(Date().timeIntervalSince1970)
            let plan: KeyRollover.Plan
            do {
                plan = try KeyRollover.plan(
                    kind, step, keys: keys, now: now, wait: wait ?? (kind == .zsk ? 3600 : 86_400), force: force)
            } catch {
                printError("form-dns: \(apex) \(kind.rawValue) \(step.rawValue): \(error)")
                throw ExitCode(1)
            }
            var made: KeyFile? = nil
            do {
                if let new = plan.newKey, let algorithm = keys.first?.key.algorithm {
                    var file = try ZoneKeyStore.generate(
                        zone: apex, algorithm: algorithm, flags: new.flags, folder: location.folder)
                    file.publish = new.publish
                    file.activate = new.activate
                    try ZoneKeyStore.update(file, folder: location.folder)
                    made = file
                }
                for file in plan.updated { try ZoneKeyStore.update(file, folder: location.folder) }
                for file in plan.deleted { try ZoneKeyStore.retire(file, folder: location.folder) }
            } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
            let line =
                "\(DNSSECTime(now).presentation) \(apex.lowercased) \(plan.summary)"
                + (made.map { " (new key \($0.key.keyTag))" } ?? "")
            Self.log(line, folder: location.folder)
            print(line)
            // What the parent and the nodes need after this step: the DS of every key-signing key
            // still in play (both during a double-DS rollover).
            let after = try location.keys().filter { $0.key.flags & DNSKEYRecord.secureEntryPointFlag != 0 }
            if kind == .ksk {
                print("; DS for the parent, and trust anchor lines for nodes (form-join --trust-anchor):")
                for file in after {
                    print("\(apex.lowercased) IN DS \(DSDigest.ds(for: file.key.dnskey, owner: apex).presentation)")
                }
            }
            print("; reload form-dns (SIGHUP) to serve this step")
        }

        static func log(_ line: String, folder: String) {
            let path = folder + "/rollover.log"
            if let handle = FileHandle(forWritingAtPath: path) {
                handle.seekToEndOfFile()
                handle.write(Data((line + "\n").utf8))
                try? handle.close()
            } else {
                FileManager.default.createFile(
                    atPath: path, contents: Data((line + "\n").utf8), attributes: [.posixPermissions: 0o600])
            }
        }
    }
}

extension KeyRollover.Kind: ExpressibleByArgument {}
extension KeyRollover.Step: ExpressibleByArgument {}
