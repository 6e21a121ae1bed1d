import DNSWire
import DNSZone
import FormAuthority
import FormConfig
import FormDNSServer
import NIOCore
import NetAddress
import Synchronization

/// Serves zone transfers out: AXFR (RFC 5936) of a static zone to the clients its
/// `zones[].transfer.allow` names, from the zone as it is served now. An IXFR request (RFC 1995)
/// gets the single SOA when the client is up to date, else the whole zone in AXFR form, which
/// RFC 1995 section 4 allows a server without a journal to send.
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

    /// NOTIFY to each zone's `transfer.notify` targets when its served serial is not the one last
    /// notified (so at start too).
    func notifyChanged() {
        let zones = config.withLock { $0.zones }
        let served = server.currentBuilder().engine.zones
        for zoneConfig in zones {
            guard let targets = zoneConfig.transfer?.notify, !targets.isEmpty,
                let zone = served.first(where: { $0.origin == zoneConfig.origin })
            else { continue }
            let changed = notified.withLock { last in
                defer { last[zone.origin] = zone.soa.serial }
                return last[zone.origin] != zone.soa.serial
            }
            if changed { NotifySender.notify(zone: zone.origin, soa: zone.soaRecord, to: targets, log: { log($0) }) }
        }
    }

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
        let zones = config.withLock { $0.zones }
        guard let zoneConfig = zones.first(where: { $0.origin == question.name }) else {
            return refuse(.notAuth, "not a zone served here")
        }
        guard let transfer = zoneConfig.transfer else { return refuse(.refused, "zones[].transfer is not set") }
        guard transfer.allows(source) else { return refuse(.refused, "not in zones[].transfer.allow") }
        // A signed request wants signed answers; TSIG on transfers is not supported: say so.
        if request.additionals.contains(where: { $0.type == RecordType(250) }) {
            return refuse(.notAuth, "TSIG-signed transfers are not supported (allow the address instead)")
        }
        guard let zone = server.currentBuilder().engine.zones.first(where: { $0.origin == question.name }) else {
            return refuse(.servFail, "the zone is not loaded")
        }
        // Up to date only when the client has this serial or a newer one (RFC 1982; a distance of
        // exactly 2^31 is undefined, so the zone is sent).
        if question.type == .ixfr, let theirs = Self.serial(in: request.authorities),
            theirs == zone.soa.serial || Self.isNewer(theirs, than: zone.soa.serial)
        {
            log("transfer: IXFR of \(zone.origin) to \(who): up to date at serial \(theirs)")
            return Self.reply(id: request.header.id, question: question, answers: [zone.soaRecord])
        }
        do {
            let messages = try ZoneCopy.messages(of: zone, id: request.header.id, question: question)
            let serial = zone.soa.serial
            log("transfer: \(question.type) of \(zone.origin) serial \(serial) to \(who): \(messages.count) message(s)")
            return messages
        } catch {
            return refuse(.servFail, "\(error)")
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
