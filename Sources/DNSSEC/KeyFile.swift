import DNSWire

/// A zone key as BIND writes it, and Knot (`keymgr import-bind`) and ldns read it: a `.key` file
/// with the DNSKEY record and a `.private` file (Private-key-format v1.3) with the private key in
/// base64 and the key's timing. Named `K<zone>+<algorithm>+<key tag>`, as `dnssec-keygen` does.
public struct KeyFile: Sendable {
    public let zone: DNSName
    public let key: ZoneKey
    /// When it was made (DNSSEC time, seconds since 1970), written as Created, Publish and Activate.
    public let created: UInt32

    public init(zone: DNSName, key: ZoneKey, created: UInt32) {
        self.zone = zone
        self.key = key
        self.created = created
    }

    /// `K<zone>+<algorithm, 3 digits>+<key tag, 5 digits>`; the zone as written, lower case.
    public var baseName: String {
        func padded(_ n: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(n).count)) + String(n)
        }
        return "K\(zone.lowercased)+\(padded(Int(key.algorithm.rawValue), 3))+\(padded(Int(key.keyTag), 5))"
    }

    public var role: String {
        key.flags & DNSKEYRecord.secureEntryPointFlag != 0 ? "key-signing" : "zone-signing"
    }

    /// The `.key` file: a comment, then the DNSKEY in master-file form.
    public var publicText: String {
        "; This is a \(role) key, keyid \(key.keyTag), for \(zone.lowercased)\n"
            + "\(zone.lowercased) IN DNSKEY \(key.dnskey.presentation)\n"
    }

    /// The `.private` file.
    public var privateText: String {
        let time = DNSSECTime(created).presentation
        return """
            Private-key-format: v1.3
            Algorithm: \(key.algorithm.rawValue) (\(key.algorithm.mnemonic))
            PrivateKey: \(Base64Text.encode(key.privateKey))
            Created: \(time)
            Publish: \(time)
            Activate: \(time)

            """
    }

    /// Reads a pair back: the `.private` text gives the key, the `.key` text its flags and zone.
    public init(publicText: String, privateText: String) throws(DNSSECError) {
        var fields: [String: String] = [:]
        for line in privateText.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].drop { $0 == " " }
            fields[String(line[..<colon])] = String(value)
        }
        guard let format = fields["Private-key-format"], format.hasPrefix("v1.") else {
            throw DNSSECError("not a BIND private key file (no Private-key-format: v1.x)")
        }
        guard let number = fields["Algorithm"]?.split(separator: " ").first.flatMap({ UInt8($0) }),
            let algorithm = DNSSECAlgorithm(rawValue: number)
        else { throw DNSSECError("Algorithm is not 13 (ECDSAP256SHA256) or 15 (ED25519)") }
        guard let secret = fields["PrivateKey"].flatMap({ Base64Text.decode([$0]) }) else {
            throw DNSSECError("PrivateKey is missing or not base64")
        }
        let record = publicText.split(separator: "\n").first { !$0.hasPrefix(";") && $0.contains("DNSKEY") }
        let words = record?.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) ?? []
        guard let type = words.firstIndex(of: "DNSKEY"), words.count > type + 4, let flags = UInt16(words[type + 1]),
            let zone = try? DNSName(parsing: words[0], origin: .root)
        else { throw DNSSECError("the .key file holds no DNSKEY record") }
        let key = try ZoneKey(algorithm: algorithm, privateKey: secret, flags: flags)
        guard Base64Text.decode(Array(words[(type + 4)...])) == key.publicKey else {
            throw DNSSECError("the .key file's public key is not the private key's")
        }
        self.init(
            zone: zone, key: key, created: fields["Created"].flatMap { DNSSECTime(presentation: $0) }?.seconds ?? 0)
    }
}
