import FormAuthority
import FormConfig
import FormStore
import Foundation

/// The running configuration as one document, and the one way to change it. Every change, from
/// the API, the CLI, DNS UPDATE or an edited file, goes: edit the document, read it with the
/// schema, build the answer path (zones, GeoIP, pools: everything `form-dns check` checks), then
/// either stop (dry run), wait for a second admin (`management.approvals`), or swap it in and
/// store it as the next version. Changes are made one at a time, in arrival order.
public actor ControlPlane {
    public struct Running: Sendable {
        /// The stored version serving (nil without a state directory).
        public var version: Int?
        /// The document's text, zones inline: what `versions export` prints.
        public var text: String
        public var root: ConfigNode
        public var config: ServerConfig
        public var builder: ResponseBuilder

        public init(version: Int?, text: String, root: ConfigNode, config: ServerConfig, builder: ResponseBuilder) {
            self.version = version
            self.text = text
            self.root = root
            self.config = config
            self.builder = builder
        }
    }

    public struct Outcome: Sendable {
        public enum Status: String, Sendable {
            case applied
            case pending
            case dryRun = "dry-run"
            case unchanged
            /// The same configuration built again: GeoIP databases and network maps re-read.
            case refreshed
        }

        public var status: Status
        public var action: String
        /// The version stored (applied).
        public var version: Int?
        /// The change waiting for approval (pending).
        public var pending: PendingChange?
        /// The rule that makes it critical, if any (also in a dry run).
        public var approvalRule: ApprovalRule?
        /// Unified-diff body lines, old text to new.
        public var diff: [String]
        public var answers: [AnswerPreview.Change]
        /// Keys that changed but take effect only at the next restart.
        public var restartOnly: [String]
    }

    public typealias Build = @Sendable (ServerConfig) throws(ConfigErrors) -> ResponseBuilder
    public typealias Swap = @Sendable (ResponseBuilder) async throws -> Void

    /// The configuration file: errors name it and relative paths are anchored to its folder.
    public nonisolated let file: String
    public nonisolated let store: (any Store)?
    let build: Build
    let swap: Swap
    let overrides: @Sendable () -> [NodeKey: HealthOverride]
    let setOverride: @Sendable (NodeKey, HealthOverride?) -> Bool
    /// Applied to every configuration read (the command line's --listen, --workers, ...).
    let adjust: @Sendable (inout ServerConfig) -> Void
    /// Hears every change applied: (action, author, message, stored version, the new configuration).
    let onApplied: @Sendable (String, String, String, Int?, ServerConfig) -> Void
    /// Hears every version followed from the fleet's store (stored and recorded by another authority).
    let onFollowed: @Sendable (ConfigVersion, ServerConfig) -> Void
    public private(set) var running: Running
    /// The configuration file's text as of the last reload.
    private var lastFileText: String?
    /// One change at a time, in arrival order, across suspension points (an actor alone does not:
    /// it is re-entered while a swap is awaited, and two changes would each edit the old text).
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    /// `running` is what serves now; `build` reads a configuration into an answer path (carrying
    /// health over from the serving one), `swap` puts it in the servers. `overrides` reads the
    /// operator overrides in force, `setOverride` sets one (false: no such node).
    public init(
        file: String, running: Running, store: (any Store)?, build: @escaping Build, swap: @escaping Swap,
        overrides: @escaping @Sendable () -> [NodeKey: HealthOverride],
        setOverride: @escaping @Sendable (NodeKey, HealthOverride?) -> Bool,
        adjust: @escaping @Sendable (inout ServerConfig) -> Void = { _ in },
        onApplied: @escaping @Sendable (String, String, String, Int?, ServerConfig) -> Void = { _, _, _, _, _ in },
        onFollowed: @escaping @Sendable (ConfigVersion, ServerConfig) -> Void = { _, _ in },
        fileTextAtStart: String? = nil
    ) {
        self.adjust = adjust
        self.onFollowed = onFollowed
        self.lastFileText = fileTextAtStart
        self.onApplied = onApplied
        self.file = file
        self.running = running
        self.store = store
        self.build = build
        self.swap = swap
        self.overrides = overrides
        self.setOverride = setOverride
    }

    /// Makes `change` (or only shows what it would do, `dryRun`). `author` is the token id (or
    /// "file", "update:KEY"); `message` says why.
    /// `holdForApproval` false (DNS UPDATE, which has no way to wait): a change that needs approval
    /// is refused instead of held.
    public func propose(
        _ change: ConfigChange, author: String, message: String, dryRun: Bool = false, holdForApproval: Bool = true
    ) async throws(ChangeError) -> Outcome {
        await enter()
        defer { leave() }
        let root = try change.applied(to: running.root)
        // A whole text (a rollback) is a stored version; anything else is new input, whose files
        // must stay inside the configuration's folder.
        let isRollback: Bool, confined: Bool
        if case .replace(_, let action) = change {
            (isRollback, confined) = (action.hasPrefix("rollback"), false)
        } else {
            (isRollback, confined) = (false, true)
        }
        return try await install(
            text: root.yaml, root: root, action: change.action, author: author, message: message, dryRun: dryRun,
            isRollback: isRollback, bypassApproval: false, confined: confined, holdForApproval: holdForApproval)
    }

    /// Goes back to stored version `id` (itself a new version, so it can be undone).
    public func rollback(to id: Int, author: String, message: String, dryRun: Bool = false)
        async throws(ChangeError) -> Outcome
    {
        guard let store else { throw ChangeError(.unavailable, "versions need state_dir") }
        let version: ConfigVersion?
        do { version = try store.configVersion(id: id) } catch { throw ChangeError(.unavailable, "\(error)") }
        guard let version else { throw ChangeError(.notFound, "no version \(id)") }
        return try await propose(
            .replace(text: version.text, action: "rollback to version \(id)"), author: author,
            message: message.isEmpty ? "rollback to version \(id)" : message, dryRun: dryRun)
    }

    /// Sets or clears a node's override, unless it needs approval (then it waits, as a config change).
    public func override(
        _ node: NodeKey, _ value: HealthOverride?, author: String, message: String, dryRun: Bool = false
    ) async throws(ChangeError) -> Outcome {
        await enter()
        defer { leave() }
        let action = "override \(node) \(value?.rawValue ?? "none")"
        guard let pool = running.config.geo.pools.first(where: { $0.name == node.pool }),
            pool.nodes.contains(where: { $0.id == node.node })
        else { throw ChangeError(.notFound, "no node \(node)") }
        let now = overrides()
        var next = now
        next[node] = value
        let rule = ApprovalCheck.rule(
            isRollback: false, old: running.config, new: running.config, oldZones: running.builder.engine.zones,
            newZones: running.builder.engine.zones, overrides: now, newOverrides: next,
            rules: running.config.approvalRules)
        var outcome = Outcome(
            status: .dryRun, action: action, version: running.version, pending: nil, approvalRule: rule, diff: [],
            answers: [], restartOnly: [])
        if dryRun { return outcome }
        if let rule {
            outcome.pending = try self.holdForApproval(
                action: action, author: author, message: message, rule: rule, base: nil,
                payload: "\(node.pool)/\(node.node)=\(value?.rawValue ?? "none")")
            outcome.status = .pending
            return outcome
        }
        if let store {
            // Stored first, or not made: an override a restart would forget is refused.
            do { try store.saveOverride(value, for: node) } catch {
                throw ChangeError(storing: error, serving: running.version)
            }
        }
        guard setOverride(node, value) else { throw ChangeError(.notFound, "no node \(node) with health settings") }
        outcome.status = .applied
        return outcome
    }

    /// Serves `version`, stored by another authority of the fleet, if it is newer than what
    /// serves here; false when it is not. Nothing is stored: it already is.
    public func follow(_ version: ConfigVersion) async throws(ChangeError) -> Bool {
        await enter()
        defer { leave() }
        guard version.id > running.version ?? 0 else { return false }
        let document = try Self.document(version.text, file: file)
        let (config, builder) = try load(document, problem: "version \(version.id) does not load here")
        try await swapIn(builder)
        running = Running(
            version: version.id, text: version.text, root: document.root, config: config, builder: builder)
        onFollowed(version, config)
        return true
    }

    /// Applies a pending change for `approver`, who must not be its author.
    public func approve(id: String, by approver: String) async throws(ChangeError) -> Outcome {
        await enter()
        defer { leave() }
        let change = try pendingChange(id)
        guard change.author != approver else {
            throw ChangeError(.forbidden, "\(id) was proposed by \(approver): a second administrator must approve it")
        }
        let outcome: Outcome
        if change.baseVersion == nil, let eq = change.payload.lastIndex(of: "=") {
            let target = change.payload[..<eq].split(separator: "/", maxSplits: 1).map(String.init)
            let value = HealthOverride(rawValue: String(change.payload[change.payload.index(after: eq)...]))
            if target.count == 2, let store {
                // As an override made at once: stored first, or not made.
                do { try store.saveOverride(value, for: NodeKey(pool: target[0], node: target[1])) } catch {
                    throw ChangeError(storing: error, serving: running.version)
                }
            }
            guard target.count == 2, setOverride(NodeKey(pool: target[0], node: target[1]), value) else {
                throw ChangeError(.conflict, "the node of \(id) no longer exists")
            }
            outcome = Outcome(
                status: .applied, action: change.action, version: running.version, pending: change, approvalRule: nil,
                diff: [], answers: [], restartOnly: [])
        } else {
            guard change.baseVersion == running.version else {
                throw ChangeError(
                    .conflict,
                    "\(id) was made against version \(change.baseVersion.map(String.init) ?? "?"), and version "
                        + "\(running.version.map(String.init) ?? "?") is serving now: propose it again")
            }
            outcome = try await install(
                text: change.payload, action: change.action, author: change.author,
                message: "\(change.message) (approved by \(approver), \(id))", dryRun: false, isRollback: false,
                bypassApproval: true)
        }
        try decide(id, .approved, by: approver)
        var decided = change
        decided.status = .approved
        decided.decidedBy = approver
        decided.decided = Date()
        var approved = outcome
        approved.pending = decided
        return approved
    }

    /// Drops a pending change (its author may withdraw it too).
    public func reject(id: String, by who: String) throws(ChangeError) -> PendingChange {
        var change = try pendingChange(id)
        try decide(id, .rejected, by: who)
        change.status = .rejected
        change.decidedBy = who
        change.decided = Date()
        return change
    }

    /// Pending and decided changes, newest first; expired ones are marked so.
    public func changes(limit: Int = 100) throws(ChangeError) -> [PendingChange] {
        guard let store else { return [] }
        do {
            return try store.pendingChanges(limit: limit).map { c throws(StoreError) in try Self.expiring(c, store) }
        } catch { throw ChangeError(.unavailable, "\(error)") }
    }

    /// One change, pending or decided (nil: no such change).
    public func change(id: String) throws(ChangeError) -> PendingChange? {
        guard let store else { return nil }
        do { return try store.pendingChange(id: id).map { c throws(StoreError) in try Self.expiring(c, store) } } catch
        { throw ChangeError(.unavailable, "\(error)") }
    }

    /// `change`, marked expired (in the store too) if it is pending past its expiry.
    static func expiring(_ change: PendingChange, _ store: any Store) throws(StoreError) -> PendingChange {
        guard change.hasExpired() else { return change }
        _ = try store.decidePendingChange(id: change.id, status: .expired, by: nil)
        var expired = change
        expired.status = .expired
        return expired
    }

    /// Re-reads the configuration file after a SIGHUP: a new version when the file changed since it
    /// last made one (it then replaces what the API changed since), nothing when it did not.
    /// Builds the running configuration again and swaps it in: what serves re-reads the zones'
    /// DNSSEC keys and signs again whatever is due (`SigningRefreshService`, a rollover step).
    public func rebuild() async throws(ChangeError) {
        await enter()
        defer { leave() }
        let (_, builder) = try load(
            ConfigDocument(root: running.root, source: file), problem: "the configuration no longer loads")
        try await swapIn(builder)
        running.builder = builder
    }

    public func reloadFile(dryRun: Bool = false) async throws(ChangeError) -> Outcome {
        let text: String
        do { text = try Self.fileText(file) } catch {
            throw ChangeError(.invalid, "the configuration file has errors", errors: error.errors)
        }
        await enter()
        defer { leave() }
        // What the file said last: remembered since start, or the store's, or (without a store,
        // before any reload) the text that started serving.
        let last = lastFileText ?? (store.flatMap { try? $0.latestConfigVersion(author: "file") }?.text ?? running.text)
        if text == last {
            // The document is as it was, but the databases and maps it names may not be.
            let (config, builder) = try load(
                ConfigDocument(root: running.root, source: file), problem: "the configuration no longer loads")
            if !dryRun {
                try await swapIn(builder)
                running.builder = builder
            }
            return Outcome(
                status: dryRun ? .dryRun : .refreshed, action: "reload \(file)", version: running.version, pending: nil,
                approvalRule: nil, diff: [],
                answers: AnswerPreview.changes(from: running.config.geo.pools, to: config.geo.pools),
                restartOnly: [])
        }
        let outcome = try await install(
            text: text, action: "reload \(file)", author: "file", message: "reloaded on SIGHUP: \(file)",
            dryRun: dryRun, isRollback: false, bypassApproval: true)
        // Only text that served counts as what the file said: the same broken file fails again.
        if !dryRun { lastFileText = text }
        return outcome
    }

    // MARK: - Steps

    private func enter() async {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
    }

    private func leave() {
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
    }

    /// Reads, builds and (unless a dry run or held for approval) swaps in and stores `text`. With
    /// `root` (the edited document `text` was written from) the text is not parsed again: the
    /// writer's output reads back as the same nodes.
    private func install(
        text: String, root: ConfigNode? = nil, action: String, author: String, message: String, dryRun: Bool,
        isRollback: Bool, bypassApproval: Bool, confined: Bool = false, holdForApproval: Bool = true
    ) async throws(ChangeError) -> Outcome {
        let document: ConfigDocument
        if let root {
            document = ConfigDocument(root: root, source: file)
        } else {
            document = try Self.document(text, file: file)
        }
        let (config, builder) = try load(
            document, confined: confined, problem: "the change leaves an invalid configuration")
        let rule = ApprovalCheck.rule(
            isRollback: isRollback, old: running.config, new: config, oldZones: running.builder.engine.zones,
            newZones: builder.engine.zones, overrides: overrides(), rules: running.config.approvalRules)
        var outcome = Outcome(
            status: .dryRun, action: action, version: running.version, pending: nil, approvalRule: rule,
            diff: LineDiff.unified(from: running.text, to: text).map(ConfigRedaction.redact(line:)),
            answers: AnswerPreview.changes(from: running.config.geo.pools, to: config.geo.pools),
            restartOnly: config.restartOnlyChanges(from: running.config))
        if dryRun { return outcome }
        if text == running.text {
            outcome.status = .unchanged
            return outcome
        }
        if let rule, !bypassApproval, !holdForApproval {
            throw ChangeError(.forbidden, "\(action) needs approval (\(rule.rawValue)): make it through the API")
        }
        if let rule, !bypassApproval {
            outcome.pending = try self.holdForApproval(
                action: action, author: author, message: message, rule: rule, base: running.version, payload: text)
            outcome.status = .pending
            return outcome
        }
        var version: Int? = nil
        if let store, store.isShared {
            // The fleet serves what is stored: store first (on the version this change was made
            // on), then serve. An unreachable store or a newer version refuses the change.
            do {
                let base = running.version
                version = try store.addConfigVersion(text: text, author: author, message: message, after: base).id
            } catch { throw ChangeError(storing: error, serving: running.version) }
            do { try await swap(builder) } catch {
                throw ChangeError(
                    .unavailable, "stored as version \(version ?? 0), but the servers here refused it: \(error)")
            }
        } else {
            try await swapIn(builder)
            if let store {
                do { version = try store.addConfigVersion(text: text, author: author, message: message).id } catch {
                    // Not stored, so not served either: a restart would lose it. The previous
                    // answers go back (this authority alone serves them; nothing else followed).
                    try? await swap(running.builder)
                    throw ChangeError(storing: error, serving: running.version)
                }
            }
        }
        running = Running(
            version: version, text: text, root: document.root, config: config,
            builder: builder)
        outcome.status = .applied
        outcome.version = version
        onApplied(action, author, message, version, config)
        return outcome
    }

    /// Reads `document` with the command line's settings over it and builds its answer path.
    private func load(
        _ document: ConfigDocument, confined: Bool = false, problem: String
    ) throws(ChangeError) -> (ServerConfig, ResponseBuilder) {
        var config = try Self.read(document, pathPolicy: confined ? confinement() : nil)
        adjust(&config)
        do { return (config, try build(config)) } catch {
            throw ChangeError(.invalid, problem, errors: error.errors)
        }
    }

    private func swapIn(_ builder: ResponseBuilder) async throws(ChangeError) {
        do { try await swap(builder) } catch { throw ChangeError(.unavailable, "the servers refused it: \(error)") }
    }

    private func holdForApproval(
        action: String, author: String, message: String, rule: ApprovalRule, base: Int?, payload: String
    ) throws(ChangeError) -> PendingChange {
        guard let store else {
            throw ChangeError(
                .unavailable, "\(action) needs approval (\(rule.rawValue)), which needs state_dir for the second token")
        }
        let change = PendingChange(
            expires: Date().addingTimeInterval(Double(running.config.approvalExpirySeconds)), author: author,
            action: action, message: message, reason: rule.rawValue, baseVersion: base, payload: payload)
        do { try store.addPendingChange(change) } catch { throw ChangeError(.unavailable, "\(error)") }
        return change
    }

    private func pendingChange(_ id: String) throws(ChangeError) -> PendingChange {
        guard let store else { throw ChangeError(.notFound, "no change \(id)") }
        let found: PendingChange?
        do { found = try store.pendingChange(id: id) } catch { throw ChangeError(.unavailable, "\(error)") }
        guard let change = found else { throw ChangeError(.notFound, "no change \(id)") }
        if change.hasExpired() {
            _ = try? store.decidePendingChange(id: id, status: .expired, by: nil)
            throw ChangeError(.conflict, "\(id) expired at \(change.expires)")
        }
        guard change.status == .pending else {
            throw ChangeError(.conflict, "\(id) is already \(change.status.rawValue)")
        }
        return change
    }

    private func decide(_ id: String, _ status: PendingChange.Status, by who: String) throws(ChangeError) {
        guard let store else { return }
        let decided: Bool
        do { decided = try store.decidePendingChange(id: id, status: status, by: who) } catch {
            throw ChangeError(.unavailable, "\(error)")
        }
        if !decided { throw ChangeError(.conflict, "\(id) was decided meanwhile") }
    }

    // MARK: - Reading texts

    /// For a change made through the API: a file the serving configuration does not already use
    /// must be inside the configuration's folder (no `..`), so a caller cannot make form-dns read
    /// (and report on) any file it can reach.
    func confinement() -> @Sendable (String) -> String? {
        let known = running.config.paths
        let folder = URL(fileURLWithPath: file).deletingLastPathComponent().standardizedFileURL.path + "/"
        return { path in
            if known.contains(path) { return nil }
            let resolved = URL(fileURLWithPath: path).standardizedFileURL.path
            return resolved.hasPrefix(folder) ? nil : "must be inside the configuration's folder \(folder)"
        }
    }

    static func document(_ text: String, file: String) throws(ChangeError) -> ConfigDocument {
        do { return try ConfigDocument(parsing: text, source: file) } catch {
            throw ChangeError(.invalid, "the configuration is not valid YAML", errors: error.errors)
        }
    }

    static func read(
        _ document: ConfigDocument, pathPolicy: (@Sendable (String) -> String?)? = nil
    ) throws(ChangeError) -> ServerConfig {
        do { return try ServerConfig.parse(document, pathPolicy: pathPolicy) } catch {
            throw ChangeError(.invalid, "the change leaves an invalid configuration", errors: error.errors)
        }
    }

    /// The file's text with its zones inline: what the file contributes as a version.
    public static func fileText(_ file: String) throws(ConfigErrors) -> String {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "", message: "cannot read: \(error)")])
        }
        return try ConfigDocument(parsing: text, source: file).inliningZones().root.yaml
    }

    /// What serves at start: its text, its version, and whether the file just made that version.
    public struct Start: Sendable {
        public var text: String
        public var version: Int?
        public var storedFromFile: Bool

        public init(text: String, version: Int?, storedFromFile: Bool) {
            self.text = text
            self.version = version
            self.storedFromFile = storedFromFile
        }
    }

    /// The text to serve at start: the file's, unless it is unchanged since it last made a version
    /// and later versions exist (API changes then survive a restart). Stores the file's text as a
    /// new version when it changed.
    public static func startingText(file: String, store: (any Store)?) throws(ConfigErrors) -> Start {
        let fromFile = try fileText(file)
        guard let store else { return Start(text: fromFile, version: nil, storedFromFile: false) }
        do {
            if store.isShared {
                // A fleet serves its newest version; the file is stored only into an empty store
                // (the first authority), and later only when it is edited and reloaded.
                if let newest = try store.latestConfigVersion() {
                    return Start(text: newest.text, version: newest.id, storedFromFile: false)
                }
                do throws(StoreError) {
                    let v = try store.addConfigVersion(
                        text: fromFile, author: "file", message: "loaded at start: \(file)", after: nil)
                    return Start(text: fromFile, version: v.id, storedFromFile: true)
                } catch {
                    // Another authority started first, at the same moment: serve its version.
                    guard error.isConflict, let newest = try store.latestConfigVersion() else { throw error }
                    return Start(text: newest.text, version: newest.id, storedFromFile: false)
                }
            }
            if let last = try store.latestConfigVersion(author: "file"), last.text == fromFile,
                let newest = try store.latestConfigVersion()
            {
                return Start(text: newest.text, version: newest.id, storedFromFile: false)
            }
            let v = try store.addConfigVersion(text: fromFile, author: "file", message: "loaded at start: \(file)")
            return Start(text: fromFile, version: v.id, storedFromFile: true)
        } catch {
            throw ConfigErrors([ConfigError(file: file, line: 0, field: "state_dir", message: "\(error)")])
        }
    }
}
