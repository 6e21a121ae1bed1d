import FormConfig
import Dispatch
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// One connection to PostgreSQL, used by one caller at a time, made again when it is lost.
///
/// The store's calls are synchronous (as SQLite's are), so each waits on postgres-nio's
/// EventLoopFuture interface from the caller's thread. No Swift concurrency task is involved in
/// completing those futures: they complete on NIO's own event loop threads, so a caller blocking
/// a thread of the cooperative pool cannot starve the work it waits for.
final class PostgresSession: Sendable {
    let location: PostgresLocation
    private let configuration: PostgresConnection.Configuration
    private let loop: any EventLoop
    private let logger: Logger
    /// Held for the whole of a call (the connection carries one transaction at a time).
    private let connection = Mutex<PostgresConnection?>(nil)
    private let nextID = Atomic<Int>(1)
    /// Run once, on the first connection made (the schema's migrations), before any call's own
    /// statements; again on a later connection if it failed.
    private let prepare: @Sendable (Statements) throws -> Void
    private let prepared = Atomic<Bool>(false)
    /// When the last connection attempt failed (monotonic ms; 0: never). For a second after, calls
    /// fail at once: with the database away, callers do not queue behind one connect timeout each.
    private let lastConnectFailure = Atomic<Int64>(0)
    static let retryAfterMilliseconds: Int64 = 1000
    /// A statement that has not answered in this long is given up (and its connection closed), so
    /// a database that stopped answering cannot hang the API.
    static let statementTimeout: Int64 = 5

    init(
        location: PostgresLocation, connectTimeout: TimeAmount = .seconds(2),
        prepare: @escaping @Sendable (Statements) throws -> Void = { _ in }
    ) throws(StoreError) {
        self.location = location
        self.prepare = prepare
        do { configuration = try location.configuration(connectTimeout: connectTimeout) } catch {
            throw StoreError("store \(location): cannot set up TLS: \(error)")
        }
        loop = MultiThreadedEventLoopGroup.singleton.next()
        var logger = Logger(label: "form-dns.store")
        logger.logLevel = .critical
        self.logger = logger
    }

    /// The statements of one call, on a live connection. Any failure closes the connection (a
    /// transaction left open by an error must not carry over) and becomes a StoreError naming the
    /// database and the step.
    func run<T: Sendable>(_ step: String, _ body: (Statements) throws -> T) throws(StoreError) -> T {
        do {
            return try connection.withLock { held in
                do {
                    let live: PostgresConnection
                    if let c = held, !c.isClosed {
                        live = c
                    } else {
                        held = nil
                        let failedAt = lastConnectFailure.load(ordering: .relaxed)
                        if failedAt != 0, Self.nowMilliseconds() - failedAt < Self.retryAfterMilliseconds {
                            throw StoreError(
                                "not connected (the last attempt failed under a second ago)", isUnreachable: true)
                        }
                        do {
                            live = try Self.wait(
                                PostgresConnection.connect(
                                    on: loop, configuration: configuration,
                                    id: nextID.add(1, ordering: .relaxed).oldValue, logger: logger),
                                seconds: Self.statementTimeout + 2, onTimeout: {})
                        } catch {
                            lastConnectFailure.store(Self.nowMilliseconds(), ordering: .relaxed)
                            throw error
                        }
                        lastConnectFailure.store(0, ordering: .relaxed)
                        held = live
                    }
                    let statements = Statements(connection: live, logger: logger)
                    if !prepared.load(ordering: .acquiring) {
                        try prepare(statements)
                        prepared.store(true, ordering: .releasing)
                    }
                    return try body(statements)
                } catch {
                    // (The callback holds the connection until it is closed: postgres-nio requires it.)
                    if let c = held { c.close().whenComplete { _ in _ = c } }
                    held = nil
                    throw error
                }
            }
        } catch let error as StoreError {
            guard error.isUnreachable else { throw error }
            throw StoreError("store \(location): \(step): \(error.message)", isUnreachable: true)
        } catch let error as PSQLError {
            // An error PostgreSQL sent is about this request; any other, about the connection.
            throw StoreError(
                "store \(location): \(step): \(Self.describe(error))",
                isConflict: error.serverInfo?[.sqlState] == "23505", isUnreachable: error.serverInfo == nil)
        } catch {
            throw StoreError("store \(location): \(step): \(error)", isUnreachable: true)
        }
    }

    /// Runs `body` between BEGIN and COMMIT.
    func transaction<T: Sendable>(_ step: String, _ body: (Statements) throws -> T) throws(StoreError) -> T {
        try run(step) { s in
            try s.execute("BEGIN")
            let value = try body(s)
            try s.execute("COMMIT")
            return value
        }
    }

    func close() {
        connection.withLock { held in
            if let c = held { try? c.close().wait() }
            held = nil
        }
    }

    /// A connection's statements, each waited for within `statementTimeout`.
    struct Statements {
        let connection: PostgresConnection
        let logger: Logger

        @discardableResult
        func query(_ query: PostgresQuery) throws -> [PostgresRandomAccessRow] {
            let connection = self.connection
            let result = try PostgresSession.wait(
                connection.query(query, logger: logger), seconds: PostgresSession.statementTimeout,
                onTimeout: { connection.close().whenComplete { _ in _ = connection } })
            return result.rows.map { $0.makeRandomAccess() }
        }

        func execute(_ query: PostgresQuery) throws { try self.query(query) }
    }

    static func nowMilliseconds() -> Int64 {
        Int64(DispatchTime.now().uptimeNanoseconds / 1_000_000)
    }

    /// `future`'s value, or a timeout error after `seconds` (then `onTimeout` runs).
    static func wait<T: Sendable>(
        _ future: EventLoopFuture<T>, seconds: Int64, onTimeout: @escaping @Sendable () -> Void
    ) throws -> T {
        let promise = future.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        // Completing a completed promise is a no-op, so the timer and the answer may race.
        let timer = future.eventLoop.scheduleTask(in: .seconds(seconds)) {
            promise.fail(StoreError("no answer within \(seconds) s", isUnreachable: true))
            onTimeout()
        }
        defer { timer.cancel() }
        return try promise.futureResult.wait()
    }

    /// What PostgreSQL said, or how the connection failed, in one line.
    static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] {
            return message + (error.serverInfo?[.detail].map { " (\($0))" } ?? "")
        }
        if let underlying = error.underlying { return "\(error.code): \(underlying)" }
        return "\(error.code)"
    }
}
