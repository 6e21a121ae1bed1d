import Crypto
import DNSSEC
import DNSWire
import Foundation
import NetAddress

public struct JoinOptions: Sendable {
    public var name: DNSName
    public var resolver: ResolverConfiguration
    /// Join port used for candidates whose discovery records give none.
    public var port: UInt16 = 51820
    public var probe = ProbeSettings()
    public var maxPeers = 5
    /// Bound on candidates taken from one DNS answer (a 300-address answer is cut, not probed whole).
    public var maxCandidates = 32
    /// Probe the static list and the cache while DNS is still resolving.
    public var raceFallbacks = true
    /// The static list; the built-in one is empty (see `BootstrapList.builtIn`).
    public var bootstrap: [PeerInfo] = BootstrapList.builtIn.peers
    /// The last-known-good cache file (see `PeerCacheFile`); nil: no cache.
    public var cachePath: String? = nil
    public var writeCache = true
    public var progress: (@Sendable (String) -> Void)? = nil
    /// A static list file read here rather than by the caller: a signed bundle (checked against
    /// `bootstrapKey`) or a plain list. When set, it replaces `bootstrap`.
    public var bootstrapFile: BootstrapFile? = nil
    /// The pinned bundle key: with it, only a bundle it signed, unexpired and not older than the
    /// last one accepted, is used as the static list.
    public var bootstrapKey: Curve25519.Signing.PublicKey? = nil
    /// Where the last accepted bundle sequence is kept (default: beside the cache).
    public var bundleStatePath: String? = nil
    /// The anycast zone's DS or DNSKEY: with it, DNS answers count only if they validate.
    public var trustAnchor: TrustAnchor? = nil
    /// Seconds since 1970 (signature validity, bundle expiry): injected so tests choose the time.
    public var now: @Sendable () -> Double = { Date().timeIntervalSince1970 }

    public init(name: DNSName, resolver: ResolverConfiguration) {
        self.name = name
        self.resolver = resolver
    }
}

public struct JoinOutcome: Sendable {
    public var peerSet: PeerSet
    public var exitCode: JoinExitCode
    /// When nothing is reachable: one line saying what was tried (the CLI prints it on stderr).
    public var failure: String?
    /// Every peer that answered, best first: `peerSet.peers` is its first `maxPeers` (a watch
    /// holding a peer ranked lower still needs its measurement).
    public var ranked: [PeerSet.Peer] = []
    /// The candidates the peer set was chosen from, as probed: what a re-probe measures again.
    var candidates: [JoinPlanner.Probed] = []
}

/// Discovery: DNS first, the static list next, the last-known-good cache last; probes decide the order.
public enum JoinPlanner {
    struct Probed {
        var info: PeerInfo
        var source: PeerSet.Source
        var stats: ProbeStats
        var order: Int
        var cacheAge: Double?
        var authentication: Authentication = .none
        /// The candidate's endpoints, those that answered first (IPv6 before IPv4 among them, as
        /// RFC 8305 prefers), then the others: `endpoints[0]` is the one to join through.
        var endpoints: [Endpoint] = []
    }

    public static func run(_ o: JoinOptions) async -> JoinOutcome {
        let t0 = monotonicNow()
        let now = Date()
        let say = o.progress ?? { _ in }
        var notes: [String] = []
        let cache = loadCache(o, notes: &notes)
        let cacheAge = cache.map { max(0, now.timeIntervalSince($0.savedAt)) }
        let fallbackCandidates = dedupe(
            staticList(o, notes: &notes).map { ($0.0, PeerSet.Source.staticList, $0.1) }
                + (cache?.peers ?? []).map { ($0, .cache, cache?.authentication(of: $0) ?? .none) })

        // Race: the fallback lists are probed while DNS resolves (results used only if DNS fails).
        let fallbackTask: Task<[Probed], Never>? =
            o.raceFallbacks && !fallbackCandidates.isEmpty
            ? Task { await probe(fallbackCandidates, settings: o.probe, cacheAge: cacheAge) } : nil

        say("resolving \(o.name) via \(askedServers(o).joined(separator: ", "))")
        var resolverConfiguration = o.resolver
        resolverConfiguration.dnssec = o.trustAnchor != nil
        let resolver = StubResolver(configuration: resolverConfiguration)
        let metaName = (try? o.name.prepending(label: Array("_formnet".utf8))) ?? o.name
        let answers = await ValidatingLookup(resolver: resolver, anchor: o.trustAnchor, now: o.now)
            .run(name: o.name, metaName: metaName)
        let (a, aaaa, txt) = (answers.a, answers.aaaa, answers.txt)
        let validation = answers.validation
        let dnsMs = (monotonicNow() - t0) * 1000

        var report = PeerSet.DNSReport(status: "ok")
        var ttl: UInt32 = 0
        var dnsCandidates: [PeerInfo] = []
        switch (a, aaaa) {
        case _ where validation.isBogus:
            // Forged, stripped or stale: not one address or key from this answer is used.
            report = PeerSet.DNSReport(status: "bogus", detail: "\(validation)")
        case _ where o.trustAnchor != nil && validation != .secure:
            // With an anchor only validated answers count: an unchecked one is no better than none.
            report = PeerSet.DNSReport(status: "indeterminate", detail: "\(validation)")
        case (.failure(let e1), .failure(let e2)):
            // Prefer the more telling error: a real answer (NXDOMAIN/NODATA) over a transport one.
            let e = [e1, e2].first { $0 == .nxDomain } ?? (e1 == .noData || e2 == .noData ? ResolveError.noData : e1)
            report = PeerSet.DNSReport(status: e.status, detail: e.description)
        default:
            let results = [a, aaaa].compactMap { try? $0.get() }
            ttl = results.map(\.ttl).min() ?? 0
            report = PeerSet.DNSReport(
                status: "ok", detail: nil, server: results.first?.answeredBy,
                rttMs: results.first.map { ($0.rttMilliseconds * 100).rounded() / 100 }, ttl: ttl)
            let metadata = ((try? txt.get())?.records ?? []).compactMap { rr -> PeerInfo? in
                if case .txt(let t) = rr.data { return DiscoveryRecord.parse(t) }
                return nil
            }
            dnsCandidates = candidates(from: results, metadata: metadata, port: o.port, limit: o.maxCandidates)
            if dnsCandidates.isEmpty { report = PeerSet.DNSReport(status: "nodata", detail: "no A or AAAA records") }
        }
        say("DNS: \(report.status)\(report.detail.map { " (\($0))" } ?? ""), \(dnsCandidates.count) candidate(s)")
        if o.trustAnchor != nil { say("DNSSEC: \(validation)") }
        let dnsAuthentication: Authentication = validation == .secure ? .dnssec : .none

        var outcome = PeerSet.Outcome.none
        var chosen: [Probed] = []
        var unreachable: [Probed] = []
        var considered: [Probed] = []
        let probeStart = monotonicNow()
        if !dnsCandidates.isEmpty {
            say(
                "probing \(dnsCandidates.count) candidate(s) "
                    + "(\(o.probe.kind.rawValue), \(o.probe.probesPerCandidate) each)"
            )
            let probed = await probe(
                dnsCandidates.map { ($0, PeerSet.Source.dns, dnsAuthentication) }, settings: o.probe, cacheAge: nil)
            chosen = probed.filter(\.stats.reachable)
            unreachable = probed.filter { !$0.stats.reachable }
            considered = probed
            if !chosen.isEmpty { outcome = .dns }
        }
        if chosen.isEmpty {
            say(
                dnsCandidates.isEmpty
                    ? "DNS gave no candidates: falling back" : "no DNS candidate reachable: falling back")
            let probed: [Probed]
            if let fallbackTask {
                probed = await fallbackTask.value
            } else {
                probed = await probe(fallbackCandidates, settings: o.probe, cacheAge: cacheAge)
            }
            chosen = fallbackChoice(probed)
            unreachable += probed.filter { !$0.stats.reachable }
            considered = chosen.isEmpty ? considered + probed : probed
            if !chosen.isEmpty { outcome = .fallback }
        }
        let ranked = rank(chosen)
        chosen = Array(ranked.prefix(max(1, o.maxPeers)))
        let probeMs = (monotonicNow() - probeStart) * 1000

        if outcome == .dns, o.writeCache, let path = o.cachePath {
            do {
                try PeerCacheFile(
                    name: o.name.description, savedAt: now, peers: chosen.map(\.info),
                    dnssec: dnsAuthentication == .dnssec ? chosen.map(\.info.id) : []
                ).save(path: path)
            } catch {
                notes.append("\(error)")
            }
        }
        let generated = Date()
        let lifetime = outcome == .dns ? Double(max(ttl, 1)) : 60
        let set = PeerSet(
            name: o.name.description, resolver: askedServers(o).first, outcome: outcome, dns: report,
            validation: "\(validation)",
            timing: PeerSet.Timing(
                dnsMs: round2(dnsMs), probeMs: round2(probeMs), totalMs: round2((monotonicNow() - t0) * 1000)),
            generatedAt: generated, expiresAt: generated.addingTimeInterval(lifetime),
            peers: chosen.map(peer), unreachable: unreachable.map(peer), notes: notes)
        let code = JoinExitCode(outcome)
        let failure = code == .nothingReachable ? nothingReachable(o, report: report, unreachable: unreachable) : nil
        return JoinOutcome(
            peerSet: set, exitCode: code, failure: failure, ranked: ranked.map(peer), candidates: considered)
    }

    /// The servers a resolution may ask, in order, as reports name them: the UDP/TCP ones (unless
    /// encrypted only), then the encrypted ones.
    static func askedServers(_ o: JoinOptions) -> [String] {
        (o.resolver.encryptedOnly ? [] : o.resolver.servers.map(\.description))
            + o.resolver.encrypted.map(\.description)
    }

    /// The static list outranks the cache: the cache is stale data, used only when nothing else works.
    static func fallbackChoice(_ probed: [Probed]) -> [Probed] {
        for source in [PeerSet.Source.staticList, .cache] {
            let reachable = probed.filter { $0.source == source && $0.stats.reachable }
            if !reachable.isEmpty { return reachable }
        }
        return []
    }

    /// The candidates of `previous` probed again, without asking DNS: the same sources, the same
    /// rules (DNS peers first, then the static list, then the cache), the DNS report kept. A
    /// round where none answers is `.none`: the caller resolves again.
    public static func reprobe(_ o: JoinOptions, previous: JoinOutcome) async -> JoinOutcome {
        let t0 = monotonicNow()
        let list = previous.candidates.map { ($0.info, $0.source, $0.authentication) }
        let cacheAge = previous.candidates.lazy.compactMap(\.cacheAge).first
        let probed = await probe(list, settings: o.probe, cacheAge: cacheAge)
        var chosen = probed.filter { $0.source == .dns && $0.stats.reachable }
        if chosen.isEmpty { chosen = fallbackChoice(probed) }
        let outcome: PeerSet.Outcome = chosen.isEmpty ? .none : chosen[0].source == .dns ? .dns : .fallback
        let ranked = rank(chosen)
        let probeMs = round2((monotonicNow() - t0) * 1000)
        var set = previous.peerSet
        set.outcome = outcome
        set.timing = PeerSet.Timing(dnsMs: 0, probeMs: probeMs, totalMs: probeMs)
        set.generatedAt = Date()
        // Past the answer's TTL (a DNS outage keeps these peers), the set lives as a fallback one does.
        set.expiresAt = max(previous.peerSet.expiresAt, set.generatedAt.addingTimeInterval(60))
        set.peers = ranked.prefix(max(1, o.maxPeers)).map(peer)
        set.unreachable = probed.filter { !$0.stats.reachable }.map(peer)
        let code = JoinExitCode(outcome)
        let failure =
            code == .nothingReachable
            ? nothingReachable(o, report: set.dns, unreachable: probed.filter { !$0.stats.reachable }) : nil
        return JoinOutcome(
            peerSet: set, exitCode: code, failure: failure, ranked: ranked.map(peer), candidates: previous.candidates)
    }

    /// The cache if there is one we can trust and it was written for this name; otherwise nil,
    /// with a note saying why it was not used.
    static func loadCache(_ o: JoinOptions, notes: inout [String]) -> PeerCacheFile? {
        guard let path = o.cachePath else { return nil }
        let cache: PeerCacheFile?
        do { cache = try PeerCacheFile.load(path: path) } catch {
            notes.append("\(error)")
            return nil
        }
        guard let cache else { return nil }
        guard (try? DNSName(parsing: cache.name)) == o.name else {
            notes.append("cache \(path): written for \(cache.name), not \(o.name): not used")
            return nil
        }
        return cache
    }

    /// The static list with how each peer is vouched for: a bundle's peers are "signed-list" once
    /// its signature, expiry and sequence check out against the pinned key; anything refused is
    /// left out, with a note saying why.
    static func staticList(_ o: JoinOptions, notes: inout [String]) -> [(PeerInfo, Authentication)] {
        // With a bundle key pinned, an unsigned list given in code counts no more than an unsigned file.
        let given = o.bootstrapKey == nil ? o.bootstrap.map { ($0, Authentication.none) } : []
        guard let file = o.bootstrapFile else { return given }
        return fileList(file, o, notes: &notes) + given
    }

    static func fileList(_ file: BootstrapFile, _ o: JoinOptions, notes: inout [String])
        -> [(PeerInfo, Authentication)]
    {
        guard BootstrapBundle.isBundle(file.data) else {
            if o.bootstrapKey != nil {
                notes.append(
                    "\(file.source): an unsigned list, not used: --bootstrap-key takes only a signed bundle "
                        + "(form-dns bootstrap sign)")
                return []
            }
            return ((try? BootstrapList.parse(file.data, source: file.source).peers) ?? []).map { ($0, .none) }
        }
        guard let key = o.bootstrapKey else {
            do {
                let contents = try BootstrapBundle.unverified(file.data, source: file.source)
                notes.append("\(file.source): a signed bundle read without checking it (no --bootstrap-key)")
                return contents.peers.map { ($0, .none) }
            } catch {
                notes.append("\(file.source): not used: \(error)")
                return []
            }
        }
        let keyID = BootstrapBundle.keyID(key)
        let state = o.bundleStatePath.map(BundleSequenceFile.init)
        let accepted = state?.accepted(keyID, notes: &notes)
        let contents: BootstrapBundle.Contents
        do {
            contents = try BootstrapBundle.open(
                file.data, source: file.source, key: key, now: Date(timeIntervalSince1970: o.now()), accepted: accepted)
        } catch {
            notes.append("\(file.source): not used: \(error)")
            return []
        }
        guard (try? DNSName(parsing: contents.name, origin: .root)) == o.name else {
            notes.append("\(file.source): not used: \(BootstrapBundle.Rejection.otherName(contents.name))")
            return []
        }
        if let state {
            if contents.seq > (accepted ?? 0) || accepted == nil { state.record(keyID, contents.seq, notes: &notes) }
        } else {
            notes.append(
                "\(file.source): no cache directory to remember sequence \(contents.seq) in: a replayed "
                    + "older bundle would not be noticed next time")
        }
        return contents.peers.map { ($0, .signedList) }
    }

    /// Best first: lowest median RTT, then lowest loss, then DNS (or list) order.
    static func rank(_ list: [Probed]) -> [Probed] {
        list.sorted { a, b in
            let ma = a.stats.median ?? .infinity, mb = b.stats.median ?? .infinity
            if ma != mb { return ma < mb }
            if a.stats.loss != b.stats.loss { return a.stats.loss < b.stats.loss }
            return a.order < b.order
        }
    }

    /// One line for a script that got exit 20: what was asked, what DNS said and what was probed.
    static func nothingReachable(_ o: JoinOptions, report: PeerSet.DNSReport, unreachable: [Probed]) -> String {
        let servers = askedServers(o).joined(separator: ", ")
        var line =
            "nothing reachable for \(o.name): DNS via \(servers.isEmpty ? "no server" : servers): "
            + report.status
        if let detail = report.detail { line += " (\(detail))" }
        let count = { (source: PeerSet.Source) in unreachable.filter { $0.source == source }.count }
        if unreachable.isEmpty {
            line +=
                "; nothing to probe: no DNS candidate, no static list (--fallback FILE or $FORM_JOIN_BOOTSTRAP)"
                + " and no cache"
        } else {
            line +=
                "; \(o.probe.kind.rawValue) probes to \(count(.dns)) DNS, \(count(.staticList)) static and "
                + "\(count(.cache)) cached candidate(s) within \(String(format: "%g", o.probe.deadline)) s:"
                + " none answered"
        }
        return line
    }

    /// One candidate per node: addresses are matched to discovery records; a node published with
    /// both families becomes one candidate with two endpoints. DNS order is kept.
    static func candidates(from results: [ResolveResult], metadata: [PeerInfo], port: UInt16, limit: Int) -> [PeerInfo]
    {
        var out: [PeerInfo] = []
        var index: [String: Int] = [:]
        for rr in results.flatMap(\.records) {
            let address: String
            switch rr.data {
            case .a(let a): address = a.presentation
            case .aaaa(let a): address = a.presentation
            default: continue
            }
            let meta = metadata.first { $0.ipv4 == address || $0.ipv6 == address }
            var info = meta ?? PeerInfo(id: address, port: port)
            if info.port == 0 { info.port = port }
            if rr.type == .a { info.ipv4 = address } else { info.ipv6 = address }
            if meta == nil {
                info.ipv4 = rr.type == .a ? address : nil
                info.ipv6 = rr.type == .aaaa ? address : nil
            }
            if let i = index[info.id] {
                if rr.type == .a { out[i].ipv4 = address } else { out[i].ipv6 = address }
                continue
            }
            guard out.count < limit else { continue }
            index[info.id] = out.count
            out.append(info)
        }
        return out
    }

    typealias Candidate = (PeerInfo, PeerSet.Source, Authentication)

    static func dedupe(_ list: [Candidate]) -> [Candidate] {
        var seen = Set<String>()
        return list.filter { seen.insert("\($0.1)/\($0.0.id)").inserted }
    }

    static func probe(_ list: [Candidate], settings: ProbeSettings, cacheAge: Double?) async -> [Probed] {
        var endpoints: [Endpoint] = []
        var owner: [Int] = []
        for (i, (info, _, _)) in list.enumerated() {
            for e in info.endpoints {
                endpoints.append(e)
                owner.append(i)
            }
        }
        let stats = await Prober.probe(endpoints, settings: settings)
        // Per candidate: the first endpoint that answered, in preference order (IPv6 first), is the
        // one to join through, and its RTT is the candidate's (what formnet will see); with none
        // answering, the last error of any.
        var chosen = [ProbeStats?](repeating: nil, count: list.count)
        var answered = [[Endpoint]](repeating: [], count: list.count)
        for (k, s) in stats.enumerated() {
            let i = owner[k]
            if s.reachable {
                answered[i].append(endpoints[k])
                if chosen[i]?.reachable != true { chosen[i] = s }
            } else if chosen[i] == nil {
                chosen[i] = s
            }
        }
        return list.enumerated().map { i, item in
            Probed(
                info: item.0, source: item.1,
                stats: chosen[i] ?? ProbeStats(samples: [], sent: 0, lastError: "no endpoint"),
                order: i, cacheAge: item.1 == .cache ? cacheAge : nil, authentication: item.2,
                endpoints: answered[i] + item.0.endpoints.filter { !answered[i].contains($0) })
        }
    }

    static func peer(_ p: Probed) -> PeerSet.Peer {
        let s = p.stats
        return PeerSet.Peer(
            id: p.info.id, source: p.source, endpoints: p.endpoints.map(\.description), ipv4: p.info.ipv4,
            ipv6: p.info.ipv6, port: p.info.port, publicKey: p.info.publicKey,
            internalEndpoint: p.info.internalEndpoint,
            region: p.info.region,
            rttMs: PeerSet.RTT(
                min: s.minimum.map(round2), median: s.median.map(round2), samples: s.samples.count,
                loss: (s.loss * 1000).rounded() / 1000),
            cacheAgeS: p.cacheAge.map { $0.rounded() }, authenticated: p.authentication,
            error: s.reachable ? nil : (s.lastError ?? "no probe answered"))
    }

    static func round2(_ x: Double) -> Double { (x * 100).rounded() / 100 }
}
