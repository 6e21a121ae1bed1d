import ArgumentParser
import FormPKI
import Foundation
import NetAddress

/// `form-dns pki init|issue`: a small CA for the management API's TLS, for operators without one.
struct PKI: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "A small CA: make one, issue server, node and client certificates.",
        subcommands: [Init.self, Issue.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a CA in DIR: ca.pem (give to clients) and ca-key.pem (mode 0600, keep private).")
        @Option(help: "Where the CA's files go (created, mode 0700).") var dir: String
        @Option(help: "The CA's name.") var name = "form-dns CA"
        @Option(help: "Years the CA is valid.") var years = 10

        func run() throws {
            try FileManager.default.createDirectory(
                atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            do {
                let ca = try CertificateAuthority.create(in: dir, name: name, years: years)
                print("CA '\(name)' valid until \(ca.certificate.notValidAfter): \(dir)/ca.pem, \(dir)/ca-key.pem")
            } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a certificate and key (OUT.pem, OUT-key.pem) from the CA in DIR.")
        @Option(help: "The CA's directory.") var dir: String
        @Option(help: "Path prefix of the files to write.") var out: String
        @Option(name: .customLong("dns"), help: "A server name (repeatable).") var names: [String] = []
        @Option(name: .customLong("ip"), help: "A server IP address (repeatable).") var addresses: [String] = []
        @Option(help: "A node certificate: POOL/NODE (the node may then report its health without a token).")
        var node: String?
        @Option(help: "A client certificate with this name (for form-dns health/override under mutual TLS).")
        var client: String?
        @Option(help: "Days the certificate is valid.") var days = 365

        func validate() throws {
            let kinds = [!names.isEmpty || !addresses.isEmpty, node != nil, client != nil].filter { $0 }.count
            guard kinds == 1 else { throw ValidationError("give --dns/--ip (a server), --node or --client") }
            if let node, node.split(separator: "/", omittingEmptySubsequences: false).count != 2 {
                throw ValidationError("--node must be POOL/NODE")
            }
            for a in addresses where IPAddress(a) == nil { throw ValidationError("--ip '\(a)' is not an IP address") }
            guard (1...3650).contains(days) else { throw ValidationError("--days must be in 1...3650") }
        }

        func run() throws {
            let purpose: CertificateAuthority.Purpose
            if let node {
                let parts = node.split(separator: "/").map(String.init)
                purpose = .node(pool: parts[0], node: parts[1])
            } else if let client {
                purpose = .client(name: client)
            } else {
                purpose = .server(names: names, addresses: addresses.compactMap { IPAddress($0)?.bytes })
            }
            do {
                let issued = try CertificateAuthority.load(from: dir).issue(purpose, days: days)
                try PEMFile.write(issued.certificate, to: out + ".pem", mode: 0o644)
                try PEMFile.write(issued.key, to: out + "-key.pem", mode: 0o600)
                print("wrote \(out).pem and \(out)-key.pem (valid \(days) days)")
            } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
        }
    }
}
