import ArgumentParser
import FormJoin
import Foundation

struct ResolverOptions: ParsableArguments {
    @Option(name: .long, help: "DNS server to ask, e.g. 127.0.0.1:5300 (repeatable). Default: /etc/resolv.conf.")
    var resolver: [String] = []

    @Option(name: .long, help: "Per-server timeout of the first round, in ms (doubles each round).")
    var timeoutMs: Int?

    @Option(name: .long, help: "Rounds over the servers.")
    var attempts: Int?

    @Option(name: .long, help: "Send EDNS Client Subnet, e.g. 198.51.100.0/24.")
    var ecs: String?

    /// Fills in what these flags say.
    func apply(to inputs: inout JoinInputs) {
        inputs.resolvers = resolver
        inputs.timeoutMs = timeoutMs
        inputs.attempts = attempts
        inputs.ecs = ecs
    }

    func configuration() throws -> ResolverConfiguration {
        var inputs = JoinInputs()
        apply(to: &inputs)
        return try inputs.resolverConfiguration(spelling: .flag)
    }
}
