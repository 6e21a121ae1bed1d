import Crypto
import DNSWire
import Foundation

/// A signed static list: the peers, the name they are for, a sequence number and an expiry,
/// written as canonical JSON (sorted keys, no spaces) and signed with Ed25519. The file keeps the
/// signed text verbatim, so checking it never depends on how a JSON library writes numbers:
///
///     {"format": "form-join-bundle-v1", "key_id": "<hex>", "list": "<canonical JSON>",
///      "signature": "<base64>"}
///
/// A node pins the public key (`--bootstrap-key`); it refuses a bundle with a bad signature, one
/// that has expired, and one whose sequence is lower than the last it accepted (a rollback to an
/// older list, as EIP-1459's `seq` prevents).
public enum BootstrapBundle {
    public static let format = "form-join-bundle-v1"

    /// What is signed.
    public struct Contents: Codable, Sendable, Equatable {
        public var schemaVersion = 1
        /// The anycast name the list is for.
        public var name: String
        public var seq: UInt64
        public var expires: Date
        public var peers: [PeerInfo]

        enum CodingKeys: String, CodingKey {
            case name, seq, expires, peers
            case schemaVersion = "schema_version"
        }

        public init(name: String, seq: UInt64, expires: Date, peers: [PeerInfo]) {
            self.name = name
            self.seq = seq
            self.expires = expires
            self.peers = peers
        }
    }

    /// Why a bundle was not used.
    public enum Rejection: Error, Sendable, Equatable, CustomStringConvertible {
        case malformed(String)
        case wrongKey(String)
        case badSignature
        case expired(Date)
        case rollback(seq: UInt64, accepted: UInt64)
        case otherName(String)

        public var description: String {
            switch self {
            case .malformed(let why): return "not a signed bundle: \(why)"
            case .wrongKey(let id): return "signed by key \(id), not the pinned --bootstrap-key"
            case .badSignature: return "the signature does not verify: the list was changed or not signed by this key"
            case .expired(let date): return "expired at \(ISO8601DateFormatter().string(from: date))"
            case .rollback(let seq, let accepted):
                return "sequence \(seq) is older than \(accepted), already accepted: a replayed older bundle"
            case .otherName(let name): return "signed for \(name), not the name asked"
            }
        }
    }

    /// The key's id: the first 8 octets of SHA-256 over the public key, in hex.
    public static func keyID(_ key: Curve25519.Signing.PublicKey) -> String {
        Presentation.hex(Array(SHA256.hash(data: key.rawRepresentation).prefix(8))).lowercased()
    }

    /// The canonical text of `contents`: what is signed.
    public static func canonical(_ contents: Contents) -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.dateEncodingStrategy = .iso8601
        return (try? e.encode(contents)) ?? Data()
    }

    /// The bundle file for `contents`, signed with `key`.
    public static func sign(_ contents: Contents, key: Curve25519.Signing.PrivateKey) throws -> Data {
        let text = canonical(contents)
        let signature = try key.signature(for: text)
        let bundle: [String: String] = [
            "format": format, "key_id": keyID(key.publicKey), "list": String(decoding: text, as: UTF8.self),
            "signature": signature.base64EncodedString(),
        ]
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(bundle)
    }

    /// Whether `data` is a bundle (has "format") rather than a plain list.
    public static func isBundle(_ data: Data) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return false }
        return object["format"] != nil
    }

    /// The contents of the bundle in `data`, if `key` signed it, it has not expired at `now` and its
    /// sequence is not below `accepted`; `source` starts the messages of malformed input.
    public static func open(
        _ data: Data, source: String, key: Curve25519.Signing.PublicKey, now: Date, accepted: UInt64?
    ) throws(Rejection) -> Contents {
        let (list, signature, keyID) = try envelope(data, source: source)
        if let keyID, keyID != Self.keyID(key) { throw .wrongKey(keyID) }
        guard key.isValidSignature(signature, for: Data(list.utf8)) else { throw .badSignature }
        // Signed, so written by the key's holder; still read with every check a list gets.
        let contents = try read(list, source: source)
        guard now < contents.expires else { throw .expired(contents.expires) }
        if let accepted, contents.seq < accepted { throw .rollback(seq: contents.seq, accepted: accepted) }
        return contents
    }

    /// The contents without checking the signature (no key pinned: what a plain list would give).
    public static func unverified(_ data: Data, source: String) throws(Rejection) -> Contents {
        try read(try envelope(data, source: source).list, source: source)
    }

    /// The signed text, the signature and the key id the file claims.
    static func envelope(_ data: Data, source: String) throws(Rejection) -> (
        list: String, signature: Data, keyID: String?
    ) {
        let object: [String: Any]
        do {
            guard let o = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw Rejection.malformed("\(source): the top level is not an object")
            }
            object = o
        } catch let r as Rejection { throw r } catch { throw .malformed("\(source): not valid JSON") }
        guard object["format"] as? String == format else {
            throw .malformed("\(source): \"format\" is not \(format)")
        }
        guard let list = object["list"] as? String, let signatureText = object["signature"] as? String,
            let signature = Data(base64Encoded: signatureText), signature.count == 64
        else { throw .malformed("\(source): \"list\" and a base64 Ed25519 \"signature\" are required") }
        let extra = Set(object.keys).subtracting(["format", "key_id", "list", "signature"])
        guard extra.isEmpty else { throw .malformed("\(source): unknown fields \(extra.sorted())") }
        return (list, signature, object["key_id"] as? String)
    }

    /// The signed list's fields, each checked.
    static func read(_ list: String, source: String) throws(Rejection) -> Contents {
        let signed = Data(list.utf8)
        let reader = PeerListReader(source: "\(source) (signed list)")
        let contents: Contents
        do throws(JoinError) {
            let fields = try reader.topLevel(signed, shape: "the signed list")
            _ = try reader.schemaVersion(fields)
            guard let name = fields["name"] as? String, let seq = fields["seq"].flatMap(PeerListReader.integer),
                seq >= 0, let expiresText = fields["expires"] as? String,
                let expires = ISO8601DateFormatter().date(from: expiresText)
            else { throw reader.fail("\"name\", \"seq\" and \"expires\" are required") }
            contents = Contents(name: name, seq: UInt64(seq), expires: expires, peers: try reader.peers(fields))
        } catch {
            throw .malformed(error.description)
        }
        return contents
    }

    /// A pinned key from its base64 text (as `form-dns bootstrap keygen` prints it) or a file holding it.
    public static func publicKey(_ text: String) throws(JoinError) -> Curve25519.Signing.PublicKey {
        var value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if value.hasPrefix("/") || value.hasPrefix(".") || FileManager.default.fileExists(atPath: value) {
            guard let contents = try? String(contentsOfFile: value, encoding: .utf8) else {
                throw .badInput("--bootstrap-key \(value): cannot read the file")
            }
            value = contents.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let raw = Data(base64Encoded: value), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
        else { throw .badInput("--bootstrap-key: not a base64 Ed25519 public key (32 bytes)") }
        return key
    }
}
