import Foundation
import NIOCore
import NIOHTTP1
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// Connections to encrypted resolvers (DoT and DoH), kept open and shared by every query and
/// every resolver of the process: on a warm connection a query costs one round trip, as over
/// UDP. A connection is made on first use (TCP, TLS, the gate's checks), replaced when the
/// server closes it, and dropped if it cannot be made in time (a stalled handshake is abandoned,
/// never waited on). Runs on NIO's shared event loops.
public final class EncryptedDNSClient: Sendable {
    public static let shared = EncryptedDNSClient()

    struct Key: Hashable {
        var server: EncryptedServer
        var trust: EncryptedDNSTrust
    }

    /// A connection being made or made: the channel as soon as TCP is up, `ready` once the
    /// gate has let it through (with, for DoH, the stream multiplexer).
    struct Connection: Sendable {
        var channel: EventLoopFuture<any Channel>
        var ready: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer?>
        let state: ConnectionState

        init(channel: EventLoopFuture<any Channel>, ready: EventLoopFuture<NIOHTTP2Handler.StreamMultiplexer?>) {
            self.channel = channel
            self.ready = ready
            let state = ConnectionState()
            self.state = state
            ready.whenComplete { result in
                if case .success = result { state.settle(ok: true) } else { state.settle(ok: false) }
            }
            channel.whenSuccess { state.opened($0) }
        }
    }

    /// Where a connection stands, readable from any thread.
    final class ConnectionState: Sendable {
        enum Phase { case making, ready, failed }
        private let phase = Mutex(Phase.making)
        private let channel = Mutex<(any Channel)?>(nil)

        func settle(ok: Bool) { phase.withLock { $0 = ok ? .ready : .failed } }
        func opened(_ c: any Channel) { channel.withLock { $0 = c } }
        var isReady: Bool { phase.withLock { $0 == .ready } }
        /// Still being made, or made and open: not known to be broken.
        var usable: Bool {
            switch phase.withLock({ $0 }) {
            case .making: return true
            case .failed: return false
            case .ready: return channel.withLock { $0?.isActive ?? false }
            }
        }
    }

    private let connections = Mutex<[Key: Connection]>([:])
    private let opened = Mutex(0)

    /// Connections begun since the process started (each is TCP, TLS and the checks): with reuse,
    /// one per server however many queries.
    public var connectionsOpened: Int { opened.withLock { $0 } }
    private let group: any EventLoopGroup

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) { self.group = group }

    /// The answer to `wire` (a query with ID `id`) from `server`, by `deadline` (monotonic
    /// seconds). Blocks: called from the resolver's own threads, never from an event loop.
    func exchange(
        _ wire: [UInt8], id: UInt16, server: EncryptedServer, trust: EncryptedDNSTrust, deadline: Double
    ) throws(EncryptedDNSError) -> [UInt8] {
        let key = Key(server: server, trust: trust)
        var (connection, reused) = self.connection(key, deadline: deadline)
        do {
            return try answer(wire, id: id, on: connection, key: key, deadline: deadline)
        } catch .closed(let s) where reused {
            // The server closed an idle connection as we used it: once more, on a new one.
            drop(key, connection)
            (connection, reused) = self.connection(key, deadline: deadline)
            do { return try answer(wire, id: id, on: connection, key: key, deadline: deadline) } catch {
                throw error == .closed(s) ? .closed(s) : error
            }
        }
    }

    private func answer(
        _ wire: [UInt8], id: UInt16, on connection: Connection, key: Key, deadline: Double
    ) throws(EncryptedDNSError) -> [UInt8] {
        let name = key.server.description
        let loop = connection.ready.eventLoop
        let result = loop.makePromise(of: [UInt8].self)
        let timer = loop.scheduleTask(in: .nanoseconds(Int64(max(0, deadline - monotonicNow()) * 1e9))) {
            result.fail(EncryptedDNSError.timeout(name))
        }
        connection.channel.and(connection.ready).flatMap { channel, multiplexer in
            Self.send(wire, id: id, server: key.server, channel: channel, multiplexer: multiplexer)
        }.cascade(to: result)
        do {
            let bytes = try result.futureResult.wait()
            timer.cancel()
            return bytes
        } catch {
            timer.cancel()
            let failure = Self.describe(error, server: name)
            // A connection a query gave up on is not used again: a stalled handshake, a failed
            // check, or a path that went dead while the socket still looks open (a NAT that
            // forgot it) would fail every later query until TCP itself gives up, minutes later.
            // Closing it also fails whatever else was in flight on it.
            switch failure {
            case .timeout, .connect, .handshake, .pinMismatch, .noHTTP2: drop(key, connection)
            case .http, .notDNS, .malformed, .closed: break
            }
            throw failure
        }
    }

    /// The connection for `key`, and whether it was made before this call.
    private func connection(_ key: Key, deadline: Double) -> (Connection, Bool) {
        connections.withLock { all in
            if let existing = all[key], existing.state.usable { return (existing, true) }
            let made = connect(key, deadline: deadline)
            all[key] = made
            return (made, false)
        }
    }

    private func drop(_ key: Key, _ connection: Connection) {
        connections.withLock { all in
            if let current = all[key], current.channel === connection.channel { all[key] = nil }
        }
        connection.channel.whenSuccess { $0.close(promise: nil) }
    }

    private func connect(_ key: Key, deadline: Double) -> Connection {
        opened.withLock { $0 += 1 }
        let loop = group.next()
        let name = key.server.description
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: key.trust.configuration(for: key.server.kind)) } catch {
            let failed =
                loop.makeFailedFuture(EncryptedDNSError.handshake(name, "TLS settings: \(error)"))
                as EventLoopFuture<any Channel>
            return Connection(channel: failed, ready: failed.map { _ in nil })
        }
        let address: SocketAddress
        do { address = try Self.address(key.server) } catch {
            let failed = loop.makeFailedFuture(error) as EventLoopFuture<any Channel>
            return Connection(channel: failed, ready: failed.map { _ in nil })
        }
        let ready = loop.makePromise(of: Void.self)
        let multiplexer = loop.makePromise(of: NIOHTTP2Handler.StreamMultiplexer?.self)
        let server = key.server
        let pins = key.trust.pins
        let connectTimeout = TimeAmount.nanoseconds(Int64(max(0.001, deadline - monotonicNow()) * 1e9))
        let channel = ClientBootstrap(group: loop)
            .connectTimeout(connectTimeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(NIOSSLClientHandler(context: context, serverHostname: server.serverName))
                    try sync.addHandler(
                        TLSGate(
                            server: name, serverName: server.serverName, pins: pins,
                            requiredALPN: server.kind == .https ? "h2" : nil, ready: ready))
                    switch server.kind {
                    case .tls:
                        try sync.addHandler(DoTHandler(server: name))
                        multiplexer.succeed(nil)
                    case .https:
                        let mux = try sync.configureHTTP2Pipeline(
                            mode: .client, connectionConfiguration: .init(), streamConfiguration: .init()
                        ) { stream in stream.close() }  // a server may not open streams of its own here
                        multiplexer.succeed(mux)
                    }
                }
            }
            .connect(to: address)
        channel.whenFailure { error in
            let failure = Self.describe(error, server: name)
            ready.fail(failure)
            multiplexer.fail(failure)
        }
        return Connection(channel: channel, ready: ready.futureResult.and(multiplexer.futureResult).map { $0.1 })
    }

    private static func address(_ server: EncryptedServer) throws(EncryptedDNSError) -> SocketAddress {
        do { return try SocketAddress(ipAddress: server.endpoint.host, port: Int(server.endpoint.port)) } catch {
            throw EncryptedDNSError.connect(server.description, "'\(server.endpoint.host)' is not an address")
        }
    }

    /// One query on a ready connection.
    private static func send(
        _ wire: [UInt8], id: UInt16, server: EncryptedServer, channel: any Channel,
        multiplexer: NIOHTTP2Handler.StreamMultiplexer?
    ) -> EventLoopFuture<[UInt8]> {
        let name = server.description
        let answer = channel.eventLoop.makePromise(of: [UInt8].self)
        guard let multiplexer else {
            channel.eventLoop.execute {
                do {
                    try channel.pipeline.syncOperations.handler(type: DoTHandler.self).send(
                        wire, id: id, promise: answer)
                } catch { answer.fail(EncryptedDNSError.closed(name)) }
            }
            return answer.futureResult
        }
        let authority = server.serverName ?? server.endpoint.description
        let stream = multiplexer.createStreamChannel { stream in
            stream.eventLoop.makeCompletedFuture {
                try stream.pipeline.syncOperations.addHandlers(
                    HTTP2FramePayloadToHTTP1ClientCodec(httpProtocol: .https),
                    DoHStreamHandler(server: name, promise: answer))
            }
        }
        // No stream (the connection has just closed): the answer fails as closed, so the caller
        // retries on a new connection; it must not be left unfulfilled.
        stream.whenFailure { _ in answer.fail(EncryptedDNSError.closed(name)) }
        stream.whenSuccess { stream in
            // RFC 8484 4.1: POST, the message as the body, ID 0 left as the caller made it.
            var headers = HTTPHeaders()
            headers.add(name: "host", value: authority)
            headers.add(name: "content-type", value: "application/dns-message")
            headers.add(name: "accept", value: "application/dns-message")
            headers.add(name: "content-length", value: "\(wire.count)")
            let head = HTTPRequestHead(version: .http1_1, method: .POST, uri: server.path, headers: headers)
            stream.write(HTTPClientRequestPart.head(head), promise: nil)
            stream.write(HTTPClientRequestPart.body(.byteBuffer(stream.allocator.buffer(bytes: wire))), promise: nil)
            stream.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        }
        return answer.futureResult
    }

    /// Any failure as one of ours, naming the server.
    static func describe(_ error: any Error, server: String) -> EncryptedDNSError {
        if let e = error as? EncryptedDNSError { return e }
        if error is NIOConnectionError || error is ChannelError || error is IOError {
            if let io = error as? IOError, io.errnoCode == ECONNREFUSED {
                return .connect(server, "connection refused")
            }
            if case ChannelError.connectTimeout = error { return .timeout(server) }
            return .connect(server, "\(error)")
        }
        if error is NIOSSLError { return .handshake(server, TLSGate.describe(error)) }
        return .malformed(server, "\(error)")
    }
}
