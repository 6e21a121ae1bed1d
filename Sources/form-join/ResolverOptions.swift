import ArgumentParser
import DNSWire
import FormJoin
import Foundation
import NetAddress

struct ResolverOptions: ParsableArguments {
    @Option(name: .long, help: "DNS server to ask, e.g. 127.0.0.1:5300 (repeatable). Default: /etc/resolv.conf.")
    var resolver: [String] = []

    @Option(name: .long, help: "Per-server timeout of the first round, in ms (doubles each round).")
    var timeoutMs: Int?

    @Option(name: .long, help: "Rounds over the servers.")
    var attempts: Int?

    @Option(name: .long, help: "Send EDNS Client Subnet, e.g. 198.51.100.0/24.")
    var ecs: String?

    func configuration() throws -> ResolverConfiguration {
        var c: ResolverConfiguration
        if resolver.isEmpty {
            c = ResolverConfiguration.system()
        } else {
            var servers: [Endpoint] = []
            for r in resolver {
                guard let e = Endpoint(parsing: r, defaultPort: 53) else {
                    throw ValidationError("--resolver '\(r)' is not an address like 127.0.0.1:5300")
                }
                servers.append(e)
            }
            c = ResolverConfiguration(servers: servers)
        }
        if let timeoutMs {
            guard (10...60_000).contains(timeoutMs) else { throw ValidationError("--timeout-ms must be in 10...60000") }
            c.timeout = Double(timeoutMs) / 1000
        }
        if let attempts {
            guard (1...10).contains(attempts) else { throw ValidationError("--attempts must be in 1...10") }
            c.attempts = attempts
        }
        if let ecs {
            let parts = ecs.split(separator: "/")
            guard parts.count == 2, let prefix = UInt8(parts[1]) else {
                throw ValidationError("--ecs '\(ecs)' must be ADDRESS/PREFIX")
            }
            let address = String(parts[0])
            if let v4 = IPAddressText.parseIPv4(address),
                let s = ClientSubnet(family: .ipv4, fullAddress: v4, sourcePrefixLength: prefix)
            {
                c.clientSubnet = s
            } else if let v6 = IPAddressText.parseIPv6(address),
                let s = ClientSubnet(family: .ipv6, fullAddress: v6, sourcePrefixLength: prefix)
            {
                c.clientSubnet = s
            } else {
                throw ValidationError("--ecs '\(ecs)' must be ADDRESS/PREFIX")
            }
        }
        return c
    }
}
