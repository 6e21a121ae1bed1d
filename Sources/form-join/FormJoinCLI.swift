// form-join: the join client's command line (peers, watch, resolve) over FormJoin: arguments in, the
// stable JSON or a table out, with the documented exit codes. No discovery logic lives here.

import ArgumentParser
import DNSSEC
import DNSWire
import FormJoin
import Foundation
import NetAddress

@main
struct FormJoinCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "form-join",
        abstract: "Find nearby, healthy Formation entry nodes for formnet join.",
        subcommands: [Peers.self, Watch.self, Resolve.self]
    )
}

func usageMessage(_ error: any Error) -> String {
    (error as? ValidationError)?.message ?? "\(error)"
}

/// One line on stderr; text from the network in it is escaped (no terminal escapes, no fake lines).
func warn(_ message: String) {
    FileHandle.standardError.write(Data("form-join: \(TerminalText.escape(message))\n".utf8))
}

extension ProbeKind: ExpressibleByArgument {}
