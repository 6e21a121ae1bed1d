import DNSWire
import FormConfig
import FormStore

/// RFC 2136 UPDATE, the way DNS people make changes (nsupdate -y, knsupdate): a TSIG-signed
/// message is checked (RFC 8945), its zone, prerequisites and updates are read, the key's rules
/// decide whether it may make them, and the change goes through the control plane like an API
/// change: validated, versioned, audited, swapped in before the reply. Unsigned updates are
/// REFUSED; a bad key, MAC or time is NOTAUTH with the TSIG error; nothing changes for either.
public struct DNSUpdateProcessor: Sendable {
    let control: ControlPlane
    let signer: TSIGSigner
    let audit: @Sendable (AuditEvent) -> Void

    public init(control: ControlPlane, signer: TSIGSigner, audit: @escaping @Sendable (AuditEvent) -> Void) {
        self.control = control
        self.signer = signer
        self.audit = audit
    }

    /// The reply to `bytes` from `remote` (nil: too short to answer at all).
    public func respond(to bytes: [UInt8], from remote: String) async -> [UInt8]? {
        guard bytes.count >= 12 else { return nil }
        let message: UpdateMessage
        do { message = try UpdateMessage(parsing: bytes) } catch {
            record(remote, actor: "unknown", "", outcome: "FORMERR: \(error)")
            return Self.reply(to: bytes, zone: nil, rcode: .formErr)
        }
        let zoneSection = (message.zone, message.zoneType, message.zoneClass)
        let key: UpdateKey
        switch signer.verify(message, keys: await control.running.config.updateKeys) {
        case .unsigned:
            record(remote, actor: "unsigned", "\(message.zone)", outcome: "REFUSED: not signed")
            return Self.reply(to: bytes, zone: zoneSection, rcode: .refused)
        case .refused(let failure, let why, let signingKey):
            let tsig = message.tsig!
            record(remote, actor: "tsig:\(tsig.name)", "\(message.zone)", outcome: "NOTAUTH \(failure): \(why)")
            let reply = Self.reply(to: bytes, zone: zoneSection, rcode: .notAuth)
            return signer.refusal(reply, request: tsig, failure: failure, key: signingKey)
        case .valid(let k):
            key = k
        }
        let tsig = message.tsig!
        let actor = "tsig:\(key.name)"
        func answer(_ rcode: ResponseCode, _ outcome: String, change: String = "") -> [UInt8] {
            record(remote, actor: actor, "\(message.zone)", change: change, outcome: "\(rcode): \(outcome)")
            return signer.sign(Self.reply(to: bytes, zone: zoneSection, rcode: rcode), request: tsig, key: key)
        }
        guard message.zoneType == RecordType.soa.rawValue, message.zoneClass == RecordClass.internet.rawValue else {
            return answer(.formErr, "the zone section must be class IN, type SOA")
        }
        let zones = await control.running.config.zones
        guard let zone = zones.first(where: { $0.origin == message.zone }) else {
            return answer(.notAuth, "not authoritative for \(message.zone)")
        }
        let operations: [ZoneUpdate]
        do { operations = try Self.operations(message.updates, zone: zone.origin) } catch {
            return answer(error.rcode ?? .formErr, error.message)
        }
        // The zone as loaded (already parsed) says which types a name has.
        let loaded = await control.running.builder.engine.zones.first { $0.origin == zone.origin }
        if let denied = Self.denied(operations, key: key, typesAt: { loaded?.nodes[$0]?.types ?? [] }) {
            return answer(.refused, "key \(key.name) may not change \(denied)")
        }
        let change = ConfigChange.update(
            zone: zone.origin.description, prerequisites: message.prerequisites, operations: operations, by: actor)
        do {
            let outcome = try await control.propose(
                change, author: actor, message: "DNS UPDATE from \(remote)", holdForApproval: false)
            let diff = outcome.diff.filter { !$0.hasPrefix(" ") }.joined(separator: "\n")
            return answer(
                .noError, "\(outcome.status.rawValue), version \(outcome.version.map(String.init) ?? "-")", change: diff
            )
        } catch {
            let rcode: ResponseCode =
                switch error.kind {
                case .unavailable, .storeUnreachable, .storeUnwritable: .servFail
                default: error.rcode ?? .refused
                }
            return answer(rcode, error.description)
        }
    }

    /// The update section as operations (RFC 2136 3.4.1's prescan): FORMERR or NOTZONE on the
    /// first record that cannot be one.
    static func operations(_ records: [UpdateMessage.Record], zone: DNSName) throws(ChangeError) -> [ZoneUpdate] {
        var out: [ZoneUpdate] = []
        for r in records {
            guard r.name.isSubdomain(of: zone) else {
                throw UpdatePrerequisites.fail(.notZone, "\(r.name) is not in \(zone)")
            }
            let meta: Set<RecordType> = [.any, .axfr, .ixfr, .opt, TSIGRecord.type, RecordType(251), RecordType(253)]
            switch r.rclass {
            case RecordClass.internet.rawValue:
                guard !meta.contains(r.type), let data = r.data else {
                    throw UpdatePrerequisites.fail(.formErr, "an addition needs a real type and RDATA")
                }
                out.append(.add(DNSResourceRecord(name: r.name, ttl: r.ttl, data: data)))
            case UpdateMessage.classANY:
                guard r.ttl == 0, r.data == nil, r.type == .any || !meta.contains(r.type) else {
                    throw UpdatePrerequisites.fail(.formErr, "an RRset deletion has TTL 0 and no RDATA")
                }
                out.append(.deleteRRSet(r.name, r.type == .any ? nil : r.type))
            case UpdateMessage.classNONE:
                guard r.ttl == 0, let data = r.data, !meta.contains(r.type) else {
                    throw UpdatePrerequisites.fail(.formErr, "a record deletion has TTL 0 and RDATA")
                }
                out.append(.deleteRecord(r.name, data))
            default:
                throw UpdatePrerequisites.fail(.formErr, "an update of class \(r.rclass)")
            }
        }
        return out
    }

    /// The first operation the key may not make, in words (nil: it may make them all). Deleting
    /// every RRset of a name needs the right to each type there.
    static func denied(
        _ operations: [ZoneUpdate], key: UpdateKey, typesAt: (DNSName) -> [RecordType]
    ) -> String? {
        for op in operations {
            switch op {
            case .add(let r) where !key.allows(r.name, r.type): return "\(r.name) \(r.type)"
            case .deleteRecord(let name, let data) where !key.allows(name, data.type): return "\(name) \(data.type)"
            case .deleteRRSet(let name, let type?) where !key.allows(name, type): return "\(name) \(type)"
            case .deleteRRSet(let name, nil):
                if let t = typesAt(name).first(where: { !key.allows(name, $0) }) ?? (key.names.isEmpty ? .any : nil) {
                    return "\(name) \(t)"
                }
            default: continue
            }
        }
        return nil
    }

    func record(_ remote: String, actor: String, _ target: String, change: String = "", outcome: String) {
        audit(
            AuditEvent(
                actor: actor, role: "dns-update", remote: remote, action: "DNS UPDATE", target: target,
                change: change, outcome: outcome))
    }

    /// Header (ID, QR, opcode UPDATE, RCODE) and the zone section echoed when there was one.
    static func reply(to request: [UInt8], zone: (DNSName, UInt16, UInt16)?, rcode: ResponseCode) -> [UInt8] {
        let opcodeAndRD = request[2] & 0x79
        var out: [UInt8] = [request[0], request[1], 0x80 | opcodeAndRD, UInt8(rcode.rawValue & 0xF)]
        out += [0, zone == nil ? 0 : 1, 0, 0, 0, 0, 0, 0]
        if let (name, type, rclass) = zone {
            out += name.wire + TSIGRecord.uint16(type) + TSIGRecord.uint16(rclass)
        }
        return out
    }
}
