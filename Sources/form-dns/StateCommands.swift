import ArgumentParser
import FormAuthority
import FormConfig
import FormStore
import Foundation

/// Options for commands that read the store directly (the server may be running: SQLite and
/// PostgreSQL both allow it): a state directory, or a fleet's PostgreSQL.
struct StateDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "The state directory (state_dir in the configuration).")
    var stateDir: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Or the fleet's PostgreSQL (fleet.store: postgresql://USER@HOST[:PORT]/DATABASE; password from the URI "
                + "or $PGPASSWORD)."))
    var store: String?

    func validate() throws {
        guard (stateDir == nil) != (store == nil) else {
            throw ValidationError("give --state-dir or --store (one of them)")
        }
    }

    /// The store; with `create`, made if missing (the first token before the first start).
    func open(create: Bool = false) throws -> any Store {
        if let store {
            do {
                let location = try FleetStores.location(store)
                return try PostgresStore(location: location, authority: FleetSettings.hostName)
            } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
        }
        let stateDir = self.stateDir ?? ""
        guard create || FileManager.default.fileExists(atPath: stateDir + "/form-dns.sqlite") else {
            printError("form-dns: no store in \(stateDir) (form-dns.sqlite not found)")
            throw ExitCode(1)
        }
        do { return try SQLiteStore(directory: stateDir) } catch {
            printError("form-dns: \(error)")
            throw ExitCode(1)
        }
    }
}

/// Opening the fleet's store: the URI, and the password from a file or the environment.
enum FleetStores {
    /// `text` read as a location, with $PGPASSWORD when the URI has no password.
    static func location(_ text: String) throws -> PostgresLocation {
        var location: PostgresLocation
        switch PostgresLocation.parse(text) {
        case .success(let l): location = l
        case .failure(let problem): throw ServeError("--store: \(problem)")
        }
        if location.password == nil { location.password = ProcessInfo.processInfo.environment["PGPASSWORD"] }
        return location
    }

    /// The store `fleet` names, its password from `password_file`, the URI or $PGPASSWORD (in that
    /// order). Not connected yet: an authority may start while its store is away.
    static func open(_ fleet: FleetSettings) throws -> PostgresStore? {
        guard var location = fleet.store else { return nil }
        if let file = fleet.passwordFile {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw ServeError("fleet.password_file: cannot read \(file)")
            }
            location.password = String(text.split(separator: "\n", omittingEmptySubsequences: false).first ?? "")
        } else if location.password == nil {
            location.password = ProcessInfo.processInfo.environment["PGPASSWORD"]
        }
        return try PostgresStore(location: location, authority: fleet.authority, connectNow: false)
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Read and verify the audit chain.", subcommands: [Verify.self, List.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every entry's hash and link; exit 1 and name the first edited, deleted or reordered one.")
        @OptionGroup var state: StateDirectoryOption

        func run() throws {
            let store = try state.open()
            switch try store.verifyAudit() {
            case .intact(let entries, let head):
                print("ok: \(entries) audit entries, chain intact; head \(head.isEmpty ? "(empty)" : head)")
            case .broken(let problem):
                printError("form-dns: \(problem)")
                throw ExitCode(1)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print audit entries, oldest first.")
        @OptionGroup var state: StateDirectoryOption
        @Option(help: "Start after this sequence number.") var after = 0
        @Option(help: "At most this many entries.") var limit = 100

        func run() throws {
            let store = try state.open()
            let time = ISO8601DateFormatter()
            for e in try store.auditEntries(after: after, limit: limit) {
                let fields = [
                    "\(e.sequence)", time.string(from: e.event.time), e.event.actor, e.event.remote, e.event.action,
                    e.event.outcome,
                ]
                print(fields.map { LogText.escape($0, limit: 200) }.joined(separator: "  "))
            }
        }
    }
}

struct Versions: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions", abstract: "Stored configuration versions: list, show, diff.",
        subcommands: [List.self, Show.self, Diff.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Versions, newest first.")
        @OptionGroup var state: StateDirectoryOption

        func run() throws {
            let time = ISO8601DateFormatter()
            for v in try state.open().configVersions(limit: 1000) {
                print("\(v.id)  \(time.string(from: v.created))  \(v.author)  \(LogText.escape(v.message, limit: 200))")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a version's YAML.")
        @OptionGroup var state: StateDirectoryOption
        @Argument var id: Int

        func run() throws {
            guard let v = try state.open().configVersion(id: id) else {
                printError("form-dns: no version \(id)")
                throw ExitCode(1)
            }
            print(v.text, terminator: v.text.hasSuffix("\n") ? "" : "\n")
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The lines that differ between two versions.")
        @OptionGroup var state: StateDirectoryOption
        @Argument var from: Int
        @Argument var to: Int

        func run() throws {
            let store = try state.open()
            guard let a = try store.configVersion(id: from), let b = try store.configVersion(id: to) else {
                printError("form-dns: no version \(try store.configVersion(id: from) == nil ? from : to)")
                throw ExitCode(1)
            }
            print("--- version \(from)\n+++ version \(to)")
            for line in LineDiff.lines(from: a.text, to: b.text) where !line.hasPrefix(" ") { print(line) }
        }
    }
}
