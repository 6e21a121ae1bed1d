import DNSWire
import FormAuthority
import FormConfig
import Foundation
import NetAddress
import NIOCore

enum ResponseFuzz {
    /// The demo configuration (zones, pools, GeoIP) with cookies and rate limiting on for every
    /// address: the whole answer path, built once.
    static let builder: ResponseBuilder = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        do {
            var config = try ServerConfig.parse(
                ConfigDocument(
                    parsing: try String(contentsOfFile: root + "/Fixtures/demo/form-dns.yaml", encoding: .utf8),
                    source: root + "/Fixtures/demo/form-dns.yaml"))
            config.rateLimit.exempt = []
            config.rateLimit.responsesPerSecond = 50
            return try AuthorityLoader.build(config)
        } catch {
            fatalError("the demo configuration does not load: \(error)")
        }
    }()

    static let sources = [IPAddress("192.0.2.1")!, IPAddress("2001:db8::1")!, IPAddress("203.0.113.7")!]

    static func run(_ data: UnsafeRawBufferPointer) {
        guard data.count >= 1 else { return }
        // The first octet picks the transport, the source and the second; the rest is the query.
        let pick = Int(data[0])
        let query = UnsafeRawBufferPointer(rebasing: data[1...])
        var out = ByteBufferAllocator().buffer(capacity: 4096)
        let clock = QueryClock(monotonicSeconds: UInt32(pick >> 4), unixSeconds: 1_800_000_000 + UInt32(pick))
        guard
            builder.respond(
                to: query, source: sources[pick % 3], transport: pick & 8 == 0 ? .udp : .tcp, clock: clock, into: &out)
        else { return }
        guard let response = try? DNSMessage(parsing: out) else {
            preconditionFailure("a response does not parse: \(Array(out.readableBytesView))")
        }
        precondition(response.header.isResponse, "a response without QR")
        if query.count >= 2 {
            precondition(response.header.id == UInt16(query[0]) << 8 | UInt16(query[1]), "a response with another ID")
        }
        if pick & 8 == 0 {
            precondition(out.readableBytes <= max(512, builder.udpPayloadSize), "a UDP response over the limit")
        }
    }
}
