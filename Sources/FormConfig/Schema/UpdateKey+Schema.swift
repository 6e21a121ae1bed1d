import DNSWire
import Foundation

extension UpdateKey {
    public static let schema = ConfigSection<UpdateKey>(
        path: "update_keys[]",
        summary: "TSIG keys (RFC 8945, hmac-sha256) allowed to send RFC 2136 UPDATEs (nsupdate -y, knsupdate), each "
            + "limited to the names and types it lists; and the keys zones[].transfer.keys name.",
        defaults: UpdateKey(),
        rows: [
            ConfigRow.value(
                "name", \.name, type: ConfigParse.domainNameType, "The key's name.", show: { _ in nil },
                parse: ConfigParse.domainName
            ).required(),
            ConfigRow.value("algorithm", \.algorithm, type: .choice(["hmac-sha256"]), "The MAC algorithm.") {
                node, field, reader in reader.choice(node, field, ["hmac-sha256"])
            },
            ConfigRow.value(
                "secret", \.secret, type: .text("base64, 16 bytes or more"), "The shared secret.", show: { _ in nil }
            ) { node, field, reader in
                guard let text = reader.string(node, field) else { return nil }
                guard let bytes = Data(base64Encoded: text), bytes.count >= 16 else {
                    reader.fail(node, field, "must be base64 of 16 bytes or more (e.g. openssl rand -base64 32)")
                    return nil
                }
                return Array(bytes)
            }.required(),
            ConfigRow.list(
                "names", \.names, of: .text("name or *.suffix"),
                "Names it may change: exact, or *.suffix for every name below suffix ([]: none, a key for zone "
                    + "transfers only)."
            ) { node, field, reader in
                guard let text = reader.string(node, field) else { return nil }
                let bare = text.hasPrefix("*.") ? String(text.dropFirst(2)) : text
                guard (try? DNSName(parsing: bare, origin: .root)) != nil else {
                    reader.fail(node, field, "'\(text)' is not a name or *.suffix")
                    return nil
                }
                return text
            }.required(),
            ConfigRow.list(
                "types", \.types, of: .text("record type"), minimum: 1, "Record types it may change."
            ) { node, field, reader in
                guard let text = reader.string(node, field), let type = RecordType(mnemonic: text.uppercased()) else {
                    reader.fail(node, field, "'\(node.scalar?.text ?? "?")' is not a record type")
                    return nil
                }
                return type
            },
        ])
}
