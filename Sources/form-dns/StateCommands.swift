import ArgumentParser
import FormAuthority
import FormConfig
import FormStore
import Foundation

/// Options for commands that read the store directly (the server may be running: SQLite allows it).
struct StateDirectoryOption: ParsableArguments {
    @Option(name: .long, help: "The state directory (state_dir in the configuration).")
    var stateDir: String

    /// The store; with `create`, made if missing (the first token before the first start).
    func open(create: Bool = false) throws -> SQLiteStore {
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
