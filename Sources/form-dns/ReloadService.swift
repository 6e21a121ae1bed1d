import FormAuthority
import FormConfig
import FormControl
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
    /// With a configuration file, a reload is a change like any other (validated, versioned).
    let control: ControlPlane?
    let configFile: String?
    let onHealthTransition: @Sendable (String, HealthTransition) -> Void
    let onCheckedState: @Sendable (String, String, HealthState) -> Void
    let onDecision: (@Sendable (DecisionRecord) -> Void)?
    let onReady: @Sendable () async -> Void
    let metrics: ServerMetrics
    let events: EventRecorder

    func run() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await onReady()
        var builder = server.currentBuilder()
        for await _ in hangups.cancelOnGracefulShutdown() {
            if let fresh = await reload(from: builder) { builder = fresh }
        }
        log("shutting down")
    }

    func reload(from builder: ResponseBuilder) async -> ResponseBuilder? {
        if let control {
            await reload(control)
            return nil
        }
        let started = ContinuousClock.now
        do {
            let next = try load()
            let fresh = try AuthorityLoader.build(
                next, previous: builder, onHealthTransition: onHealthTransition, onCheckedState: onCheckedState,
                onDecision: onDecision, signing: .init(createMissingKeys: true))
            try await server.reload(fresh)
            checks.use(fresh)
            let elapsed = ContinuousClock.now - started
            let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            log("reloaded zones in \(ms) ms")
            metrics.reload(result: "applied")
            events.reload("applied", "zones reloaded")
            let pending = next.restartOnlyChanges(from: running)
            if !pending.isEmpty {
                log("reload: \(pending.joined(separator: ", ")) changed; these take effect at the next restart")
            }
            return fresh
        } catch let error as ConfigErrors {
            metrics.reload(result: "failed")
            events.reload("failed", error.errors.first?.description ?? "\(error)")
            log("reload failed, still serving the previous zones:\n\(error)")
            keeper?.record(
                AuditEvent(
                    actor: "file", action: "config.reload", target: configFile ?? "",
                    outcome: "refused: \(error.errors.count) error(s): \(error.errors.first?.description ?? "")"))
        } catch {
            metrics.reload(result: "failed")
            events.reload("failed", "\(error)")
            log("reload failed, still serving the previous zones: \(error)")
        }
        return nil
    }

    /// Re-reads the file through the control plane: unchanged, a new version, or refused (the
    /// running configuration keeps serving); audited either way.
    func reload(_ control: ControlPlane) async {
        let started = ContinuousClock.now
        let target = configFile ?? ""
        do {
            let outcome = try await control.reloadFile()
            let elapsed = ContinuousClock.now - started
            let ms = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
            let version = outcome.version.map(String.init) ?? "-"
            switch outcome.status {
            case .refreshed:
                metrics.reload(result: "unchanged")
                events.reload("unchanged", "\(target) unchanged since version \(version)")
                log("reloaded zones in \(ms) ms (\(target) unchanged since version \(version))")
            default:
                metrics.reload(result: "applied")
                events.reload("applied", "\(target): version \(version)")
                log("reloaded zones in \(ms) ms (version \(version))")
                keeper?.record(
                    AuditEvent(
                        actor: "file", action: "config.reload", target: target,
                        change: outcome.diff.filter { !$0.hasPrefix(" ") }.joined(separator: "\n"),
                        outcome: "ok: version \(version)"))
            }
            if !outcome.restartOnly.isEmpty {
                let keys = outcome.restartOnly.joined(separator: ", ")
                log("reload: \(keys) changed; these take effect at the next restart")
            }
        } catch {
            metrics.reload(result: "failed")
            events.reload("failed", error.errors.first?.description ?? error.message)
            log("reload failed, still serving the previous zones:\n\(error)")
            keeper?.record(
                AuditEvent(
                    actor: "file", action: "config.reload", target: target,
                    outcome:
                        "refused: \(error.errors.count) error(s): \(error.errors.first?.description ?? error.message)"))
        }
    }
}
