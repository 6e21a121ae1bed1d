import DNSWire

/// A zone key as BIND writes it, and Knot (`keymgr import-bind`) and ldns read it: a `.key` file
/// with the DNSKEY record and a `.private` file (Private-key-format v1.3) with the private key in
/// base64 and the key's timing. Named `K<zone>+<algorithm>+<key tag>`, as `dnssec-keygen` does.
public struct KeyFile: Sendable {
    public let zone: DNSName
    public let key: ZoneKey
    /// When it was made (DNSSEC time, seconds since 1970).
    public let created: UInt32
    /// BIND's key timing (seconds since 1970; nil: not set): from `publish` the DNSKEY is in the
    /// zone, from `activate` the key signs, from `inactive` it no longer signs, from `delete` it
    /// is gone from the zone. A rollover moves these, one checked step at a time.
    public var publish: UInt32?
    public var activate: UInt32?
    public var inactive: UInt32?
    public var delete: UInt32?

    /// A key published and signing from `created` on.
    public init(zone: DNSName, key: ZoneKey, created: UInt32) {
        self.init(zone: zone, key: key, created: created, publish: created, activate: created)
    }

    public init(
        zone: DNSName, key: ZoneKey, created: UInt32, publish: UInt32?, activate: UInt32?, inactive: UInt32? = nil,
        delete: UInt32? = nil
    ) {
        self.zone = zone
        self.key = key
        self.created = created
        self.publish = publish
        self.activate = activate
        self.inactive = inactive
        self.delete = delete
    }

    /// Whether its DNSKEY is in the zone at `now`.
    public func isPublished(at now: UInt32) -> Bool {
        publish.map { $0 <= now } == true && delete.map { $0 > now } != false
    }

    /// Whether it signs at `now`.
    public func isActive(at now: UInt32) -> Bool {
        activate.map { $0 <= now } == true && inactive.map { $0 > now } != false && isPublished(at: now)
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
        var text = """
            Private-key-format: v1.3
            Algorithm: \(key.algorithm.rawValue) (\(key.algorithm.mnemonic))
            PrivateKey: \(Base64Text.encode(key.privateKey))
            Created: \(DNSSECTime(created).presentation)

            """
        for (field, time) in [("Publish", publish), ("Activate", activate), ("Inactive", inactive), ("Delete", delete)]
        {
            if let time { text += "\(field): \(DNSSECTime(time).presentation)\n" }
        }
        return text
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
        func time(_ field: String) throws(DNSSECError) -> UInt32? {
            guard let text = fields[field] else { return nil }
            guard let t = DNSSECTime(presentation: text) else { throw DNSSECError("\(field) '\(text)' is not a time") }
            return t.seconds
        }
        self.init(
            zone: zone, key: key, created: try time("Created") ?? 0, publish: try time("Publish"),
            activate: try time("Activate"), inactive: try time("Inactive"), delete: try time("Delete"))
    }
}
