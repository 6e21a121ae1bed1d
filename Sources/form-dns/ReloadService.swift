import FormAuthority
import FormConfig
import FormDNSServer
import FormStore
import ServiceLifecycle
import UnixSignals

/// SIGHUP re-reads the configuration and swaps in new zones, GeoIP and pools; on any error the
/// running configuration keeps serving and the errors are logged. It is the last service to
/// start, so `onReady` (the "listening on" line) runs once every signal is trapped: a SIGHUP or
/// SIGTERM sent as soon as that line appears is not lost.
struct ReloadService: Service {
    let running: ServerConfig
    let load: @Sendable () throws(ConfigErrors) -> ServerConfig
    let server: DNSServer
    let checks: HealthCheckService
    let keeper: StateKeeper?
    let configFile: String?
    let onHealthTransition: @Sendable (String, HealthTransition) -> Void
    let onCheckedState: @Sendable (String, String, HealthState) -> Void
    let onReady: @Sendable () -> Void

    func run() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        onReady()
        var builder = server.currentBuilder()
        for await _ in hangups.cancelOnGracefulShutdown() {
            if let fresh = await reload(from: builder) { builder = fresh }
        }
        log("shutting down")
    }

    func reload(from builder: ResponseBuilder) async -> ResponseBuilder? {
        let started = ContinuousClock.now
        do {
            let next = try load()
            let fresh = try AuthorityLoader.build(
                next, previous: builder, onHealthTransition: onHealthTransition, onCheckedState: onCheckedState)
            try await server.reload(fresh)
            checks.use(fresh)
            let elapsed = ContinuousClock.now - started
            let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            log("reloaded zones in \(ms) ms")
            keeper?.recordConfigFile(configFile, reason: "reloaded on SIGHUP")
            let pending = next.restartOnlyChanges(from: running)
            if !pending.isEmpty {
                log("reload: \(pending.joined(separator: ", ")) changed; these take effect at the next restart")
            }
            return fresh
        } catch let error as ConfigErrors {
            log("reload failed, still serving the previous zones:\n\(error)")
            keeper?.record(
                AuditEvent(
                    actor: "file", action: "config.reload", target: configFile ?? "",
                    outcome: "refused: \(error.errors.count) error(s): \(error.errors.first?.description ?? "")"))
        } catch {
            log("reload failed, still serving the previous zones: \(error)")
        }
        return nil
    }
}
