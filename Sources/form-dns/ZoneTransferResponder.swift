import DNSWire
import DNSZone
import FormAuthority
import FormConfig
import FormControl
import FormDNSServer
import NIOCore
import NetAddress
import Synchronization

/// Serves zone transfers out: AXFR (RFC 5936) of a static zone to the clients its
/// `zones[].transfer.allow` names, from the zone as it is served now. An IXFR request (RFC 1995)
/// gets the single SOA when the client is up to date; the changes since its serial, condensed into
/// one difference sequence, when that serial is in the zone's journal (the last 32 versions
/// served); else the whole zone in AXFR form, as section 4 allows.
final class ZoneTransferResponder: Sendable {
    private let config: Mutex<ServerConfig>
    private let server: DNSServer

    init(config: ServerConfig, server: DNSServer) {
        self.config = Mutex(config)
        self.server = server
    }

    /// The serial last notified, per zone.
    private let notified = Mutex<[DNSName: UInt32]>([:])

    /// The configuration in force (after a change through the API, UPDATE or SIGHUP); secondaries
    /// of a zone whose serial moved are notified.
    func use(_ config: ServerConfig) {
        self.config.withLock { $0 = config }
        notifyChanged()
    }

    /// Each transferable zone's recent versions, for IXFR.
    private let journals = Mutex<[DNSName: ZoneJournal]>([:])

    /// Records each transferable zone as served now in its journal, and sends NOTIFY to its
    /// `transfer.notify` targets when its served serial is not the one last notified (so at
    /// start too).
    func notifyChanged() {
        let config = config.withLock { $0 }
        let served = server.currentBuilder().engine.zones
        var transferable = config.zones.compactMap { zone in zone.transfer.map { (zone.origin, $0) } }
        if let catalog = config.catalog { transferable.append((catalog.origin, catalog.transfer)) }
        for (origin, transfer) in transferable {
            guard let zone = served.first(where: { $0.origin == origin }) else { continue }
            journals.withLock { journal in
                // Read again under the lock: never an older zone after a newer one.
                let now = server.currentBuilder().engine.zones.first { $0.origin == origin } ?? zone
                journal[origin, default: ZoneJournal()].record(now)
            }
            let targets = transfer.notify
            guard !targets.isEmpty else { continue }
            let changed = notified.withLock { last in
                defer { last[zone.origin] = zone.soa.serial }
                return last[zone.origin] != zone.soa.serial
            }
            if changed { NotifySender.notify(zone: zone.origin, soa: zone.soaRecord, to: targets, log: { log($0) }) }
        }
    }

    /// Checks TSIG on transfer requests (and the SOA queries of a secondary's refresh).
    private let signer = TSIGSigner()

    func respond(to bytes: [UInt8], from source: IPAddress?) -> [[UInt8]] {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        guard let request = try? DNSMessage(parsing: buffer), request.questions.count == 1 else {
            return Self.reply(id: UInt16(bytes[0]) << 8 | UInt16(bytes[1]), rcode: .formErr, question: nil)
        }
        let question = request.questions[0]
        let who = source?.description ?? "?"
        let refuse = { (rcode: ResponseCode, why: String) -> [[UInt8]] in
            log("transfer: \(question.type) of \(question.name) to \(who) refused: \(why)")
            return Self.reply(id: request.header.id, rcode: rcode, question: question)
        }
        let config = config.withLock { $0 }
        // A TSIG-signed SOA query over TCP (a secondary's refresh, nsupdate -v looking up the
        // zone): answered as the query path would, signed with whichever key of update_keys
        // signed it. Public data: no transfer ACL applies.
        if question.type == .soa {
            return [
                answerSignedSOA(request: request, bytes: bytes, question: question, keys: config.updateKeys, who: who)
            ]
        }
        guard let settings = config.transferSettings(for: question.name) else {
            return refuse(.notAuth, "not a zone served here")
        }
        guard let transfer = settings else { return refuse(.refused, "zones[].transfer is not set") }
        guard transfer.allows(source) else { return refuse(.refused, "not in zones[].transfer.allow") }
        // TSIG (RFC 8945): a signed request is checked against the zone's transfer keys, and
        // everything answered to it is signed with its key.
        var signing: (key: UpdateKey, tsig: TSIGRecord)? = nil
        if request.additionals.contains(where: { $0.type == TSIGRecord.type }) {
            guard let signed = try? UpdateMessage(parsing: bytes), let tsig = signed.tsig else {
                return refuse(.formErr, "a TSIG record that does not parse, or not the last record")
            }
            let keys = config.updateKeys.filter { transfer.keys.contains($0.name) }
            switch signer.verify(signed, keys: keys) {
            case .valid(let key):
                signing = (key, tsig)
            case .refused(let failure, let why, let key):
                log("transfer: \(question.type) of \(question.name) to \(who) refused: NOTAUTH \(failure): \(why)")
                let reply = Self.reply(id: request.header.id, rcode: .notAuth, question: question)[0]
                return [signer.refusal(reply, request: tsig, failure: failure, key: key)]
            case .unsigned:
                break
            }
        }
        guard transfer.keys.isEmpty || signing != nil else {
            return refuse(.refused, "not signed with a key of zones[].transfer.keys")
        }
        let sign = { (messages: [[UInt8]]) -> [[UInt8]] in
            guard let signing else { return messages }
            return self.signer.sign(stream: messages, request: signing.tsig, key: signing.key)
        }
        guard let zone = server.currentBuilder().engine.zones.first(where: { $0.origin == question.name }) else {
            return sign(refuse(.servFail, "the zone is not loaded"))
        }
        let keyNote = signing.map { " (TSIG \($0.key.name))" } ?? ""
        // Up to date only when the client has this serial or a newer one (RFC 1982; a distance of
        // exactly 2^31 is undefined, so the zone is sent).
        if question.type == .ixfr, let theirs = Self.serial(in: request.authorities),
            theirs == zone.soa.serial || Self.isNewer(theirs, than: zone.soa.serial)
        {
            log("transfer: IXFR of \(zone.origin) to \(who)\(keyNote): up to date at serial \(theirs)")
            return sign(Self.reply(id: request.header.id, question: question, answers: [zone.soaRecord]))
        }
        if question.type == .ixfr, let theirs = Self.serial(in: request.authorities),
            let difference = journals.withLock({ journal -> [DNSResourceRecord]? in
                // The zone as served now, read under the lock (a change recorded meanwhile is never
                // followed by an older zone): the difference ends at what serves.
                guard let now = server.currentBuilder().engine.zones.first(where: { $0.origin == zone.origin }),
                    now.soa.serial == zone.soa.serial
                else { return nil }
                journal[zone.origin, default: ZoneJournal()].record(now)
                return journal[zone.origin]?.difference(from: theirs)
            })
        {
            do {
                let messages = try ZoneCopy.messages(difference, id: request.header.id, question: question)
                log(
                    "transfer: IXFR of \(zone.origin) from serial \(theirs) to \(zone.soa.serial) to \(who)\(keyNote): "
                        + "\(difference.count - 4) changed record(s), \(messages.count) message(s)")
                return sign(messages)
            } catch {
                return sign(refuse(.servFail, "\(error)"))
            }
        }
        do {
            let messages = try ZoneCopy.messages(of: zone, id: request.header.id, question: question)
            let serial = zone.soa.serial
            log(
                "transfer: \(question.type) of \(zone.origin) serial \(serial) to \(who)\(keyNote): "
                    + "\(messages.count) message(s)")
            return sign(messages)
        } catch {
            return sign(refuse(.servFail, "\(error)"))
        }
    }

    /// The answer to a signed SOA query: what the engine answers, with AA and the rcode, signed
    /// when the key verifies; NOTAUTH with the TSIG error when it does not (RFC 8945 5.2).
    func answerSignedSOA(request: DNSMessage, bytes: [UInt8], question: DNSQuestion, keys: [UpdateKey], who: String)
        -> [UInt8]
    {
        let resolution = server.currentBuilder().engine.resolve(question)
        var header = DNSHeader(id: request.header.id)
        header.set(.response)
        header.set(.authoritative, resolution.authoritative)
        header.rcodeLow = UInt8(resolution.rcode.rawValue & 0x0F)
        let message = DNSMessage(
            header: header, questions: [question], answers: resolution.answers, authorities: resolution.authorities)
        let answer = (try? message.encode()).map { Array($0.readableBytesView) } ?? []
        guard !answer.isEmpty, let signed = try? UpdateMessage(parsing: bytes), let tsig = signed.tsig else {
            return Self.reply(id: request.header.id, rcode: .formErr, question: question)[0]
        }
        switch signer.verify(signed, keys: keys) {
        case .valid(let key):
            return signer.sign(answer, request: tsig, key: key)
        case .refused(let failure, let why, let key):
            log("transfer: signed SOA query for \(question.name) from \(who) refused: NOTAUTH \(failure): \(why)")
            let reply = Self.reply(id: request.header.id, rcode: .notAuth, question: question)[0]
            return signer.refusal(reply, request: tsig, failure: failure, key: key)
        case .unsigned:
            return answer
        }
    }

    /// The client's serial: the SOA an IXFR request carries in its authority section.
    static func serial(in records: [DNSResourceRecord]) -> UInt32? {
        for record in records { if case .soa(let soa) = record.data { return soa.serial } }
        return nil
    }

    /// Serial number arithmetic (RFC 1982): `a` is newer than `b`.
    static func isNewer(_ a: UInt32, than b: UInt32) -> Bool {
        a != b && (a &- b) < 0x8000_0000
    }

    /// One reply message: the SOA alone for an up-to-date IXFR (AA), or a refusal with `rcode`.
    static func reply(
        id: UInt16, rcode: ResponseCode = .noError, question: DNSQuestion?, answers: [DNSResourceRecord] = []
    ) -> [[UInt8]] {
        var header = DNSHeader(id: id)
        header.set(.response)
        header.set(.authoritative, rcode == .noError)
        header.rcodeLow = UInt8(rcode.rawValue)
        let message = DNSMessage(header: header, questions: question.map { [$0] } ?? [], answers: answers)
        return (try? message.encode()).map { [Array($0.readableBytesView)] } ?? []
    }
}
