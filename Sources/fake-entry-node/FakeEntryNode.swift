// fake-entry-node: a stand-in formnet entry node for the demo and the tests only (never shipped
// as part of the product): formnet ping and HTTP health with injected latency.

import ArgumentParser
import NIOCore
import NIOPosix

/// A stand-in formnet entry node for the demo and tests. Loopback has no real latency (and this
/// kernel has no netem), so latency is injected at the application level: every reply waits
/// `--delay-ms` before it is sent. Speaks formnet ping (`FORMNET-PING n` -> `FORMNET-PONG n`) and
/// answers `GET /health` with 200, on the same TCP port.
@main
struct FakeEntryNode: AsyncParsableCommand {
    @Option(help: "Address to listen on, e.g. 127.0.0.11:51820 (repeatable).")
    var listen: [String]

    @Option(help: "Delay before each reply, in milliseconds.")
    var delayMs: Int = 0

    @Option(help: "HTTP status for /health (e.g. 503 to look unhealthy).")
    var healthStatus: Int = 200

    @Option(help: "A file holding the delay in ms, read before each reply (tests change latency while running).")
    var delayFile: String?

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let delay = TimeAmount.milliseconds(Int64(delayMs))
        let status = healthStatus
        let delayFile = delayFile
        var bound: [String] = []
        for text in listen {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
                throw ValidationError("'\(text)' must be ADDRESS:PORT")
            }
            let host = String(text[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                // Thousands of checks a second (Benchmarks/checker-scale) must not overflow the
                // accept queue: a dropped SYN would read as a node timing out.
                .serverChannelOption(.backlog, value: 4096)
                .serverChannelOption(.maxMessagesPerRead, value: 64)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ProbeResponder(delay: delay, delayFile: delayFile, healthStatus: status))
                    }
                }
                .bind(host: host, port: port).get()
            bound.append("\(channel.localAddress!)")
        }
        print("fake-entry-node: listening on \(bound.joined(separator: " ")) (delay \(delayMs) ms)")
        fflushStdout()
        // Runs until killed.
        try await Task.sleep(nanoseconds: UInt64.max / 2)
    }
}

final class ProbeResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let fixedDelay: TimeAmount
    let delayFile: String?
    let healthStatus: Int
    var pending = ByteBuffer()

    init(delay: TimeAmount, delayFile: String?, healthStatus: Int) {
        self.fixedDelay = delay
        self.delayFile = delayFile
        self.healthStatus = healthStatus
    }

    /// The file's number if it holds one, else `--delay-ms` (a file being rewritten reads empty).
    var delay: TimeAmount {
        guard let delayFile, let text = try? String(contentsOfFile: delayFile, encoding: .utf8),
            let ms = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines))
        else { return fixedDelay }
        return .milliseconds(ms)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        pending.writeBuffer(&incoming)
        guard pending.readableBytes < 4096 else {
            context.close(promise: nil)
            return
        }
        guard let newline = pending.readableBytesView.firstIndex(of: 0x0A) else { return }
        let line = String(decoding: pending.readableBytesView[pending.readerIndex..<newline], as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        pending.clear()
        let reply: String
        var close = false
        if line.hasPrefix("FORMNET-PING ") {
            reply = "FORMNET-PONG " + line.dropFirst("FORMNET-PING ".count) + "\n"
        } else if line.hasPrefix("GET ") {
            let body = healthStatus == 200 ? "ok\n" : "unhealthy\n"
            reply =
                "HTTP/1.0 \(healthStatus) \(healthStatus == 200 ? "OK" : "Service Unavailable")\r\n"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            close = true
        } else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        let closeAfter = close
        context.eventLoop.scheduleTask(in: delay) {
            var out = channel.allocator.buffer(capacity: reply.utf8.count)
            out.writeString(reply)
            let written = channel.writeAndFlush(out)
            if closeAfter { written.whenComplete { _ in channel.close(promise: nil) } }
        }
    }
}

import Foundation
func fflushStdout() { fflush(nil) }  // nil flushes every stream, without touching the global `stdout`
