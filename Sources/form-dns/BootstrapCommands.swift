import ArgumentParser
import Crypto
import FormJoin
import Foundation

/// `form-dns bootstrap`: signed static lists for joining nodes (`form-join --bootstrap-key`): a
/// signing key, and bundles made from a plain list with a sequence number and an expiry.
struct BootstrapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bootstrap",
        abstract: "Signed bootstrap lists for form-join: make the signing key, sign a list into a bundle.",
        subcommands: [Keygen.self, Sign.self])

    struct Keygen: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make an Ed25519 bundle key: FILE (private, 0600) and FILE.pub; print the public key for nodes.")
        @Argument(help: "Where to write the private key (base64); the public key goes to FILE.pub.") var file: String

        func run() throws {
            let key = Curve25519.Signing.PrivateKey()
            let publicText = key.publicKey.rawRepresentation.base64EncodedString()
            let files = FileManager.default
            // Never over an existing key: that would orphan every node that pins it.
            guard !files.fileExists(atPath: file), !files.fileExists(atPath: file + ".pub") else {
                printError("form-dns: \(file) or \(file).pub exists; not overwritten")
                throw ExitCode(1)
            }
            guard
                files.createFile(
                    atPath: file, contents: Data((key.rawRepresentation.base64EncodedString() + "\n").utf8),
                    attributes: [.posixPermissions: 0o600]),
                files.createFile(atPath: file + ".pub", contents: Data((publicText + "\n").utf8))
            else {
                printError("form-dns: cannot write \(file) and \(file).pub")
                throw ExitCode(1)
            }
            print("bundle key \(BootstrapBundle.keyID(key.publicKey)): give nodes --bootstrap-key \(publicText)")
        }
    }

    struct Sign: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a static list (form-join's bootstrap JSON) into a bundle for --fallback.")
        @Option(help: "The private bundle key (from form-dns bootstrap keygen).") var key: String
        @Option(help: "The anycast name the list is for, e.g. entry.formation.test.") var name: String
        @Option(help: "Sequence number; must grow with each bundle (default: seconds since 1970).") var seq: UInt64?
        @Option(help: "How long the bundle is valid: seconds, or a number with m, h or d.") var validFor = "30d"
        @Option(help: "Write the bundle here (default: standard output).") var out: String?
        @Argument(help: "The list: {\"schema_version\": 1, \"peers\": [...]}.") var list: String

        func run() throws {
            guard let lifetime = Self.seconds(validFor), lifetime > 0 else {
                printError("form-dns: --valid-for '\(validFor)' must be like 3600, 90m, 12h or 30d")
                throw ExitCode(1)
            }
            let signer: Curve25519.Signing.PrivateKey
            do {
                let text = try String(contentsOfFile: key, encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
                guard let raw = Data(base64Encoded: text) else { throw CocoaError(.fileReadCorruptFile) }
                signer = try Curve25519.Signing.PrivateKey(rawRepresentation: raw)
            } catch {
                printError("form-dns: \(key): not a bundle key (base64 Ed25519 private key from bootstrap keygen)")
                throw ExitCode(1)
            }
            let peers: BootstrapList
            do { peers = try BootstrapList.load(path: list) } catch {
                printError("form-dns: \(error)")
                throw ExitCode(1)
            }
            let contents = BootstrapBundle.Contents(
                name: name.hasSuffix(".") ? name : name + ".", seq: seq ?? UInt64(Date().timeIntervalSince1970),
                expires: Date().addingTimeInterval(Double(lifetime)).roundedToSeconds, peers: peers.peers)
            let bundle = try BootstrapBundle.sign(contents, key: signer)
            if let out {
                do { try bundle.write(to: URL(fileURLWithPath: out)) } catch {
                    printError("form-dns: cannot write \(out): \(error)")
                    throw ExitCode(1)
                }
                printError(
                    "signed \(peers.peers.count) peer(s) for \(contents.name), sequence \(contents.seq), "
                        + "valid until \(ISO8601DateFormatter().string(from: contents.expires))")
            } else {
                print(String(decoding: bundle, as: UTF8.self))
            }
        }

        /// "3600", "90m", "12h", "30d" in seconds.
        static func seconds(_ text: String) -> Int? {
            let units: [Character: Int] = ["m": 60, "h": 3600, "d": 86_400, "s": 1]
            if let last = text.last, let unit = units[last] { return Int(text.dropLast()).map { $0 * unit } }
            return Int(text)
        }
    }
}

extension Date {
    /// Whole seconds: the bundle's expiry is written in ISO 8601 without fractions.
    fileprivate var roundedToSeconds: Date { Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down)) }
}
