import DNSWire

/// Key rollovers as explicit steps, each checked against the keys' current timing (RFC 6781):
///
/// - ZSK, pre-publish (4.1.1.1): `start` publishes a new ZSK that does not sign yet; `switch` (once
///   resolvers have seen the new DNSKEY: a DNSKEY TTL after start) makes it sign and stops the old
///   one; `finish` (once signatures by the old key have left caches: the zone's largest TTL after
///   switch) removes the old key.
/// - KSK (or CSK), double-DS (4.1.2): `start` makes a new key, not yet in the zone, so its DS can go
///   to the parent beside the old one; `switch` (once the parent serves both DS and the DS TTL has
///   passed) puts the new key in the zone, signing beside the old one, so a resolver or a node that
///   holds either DS, or a cached DNSKEY RRset without the new key, still validates (for a CSK,
///   every RRset carries both signatures); `finish`, the zone's largest TTL later, removes the old
///   key, after which the parent drops the old DS.
///
/// Pure: it is given the keys and the time and says what to change; the caller writes the files.
public enum KeyRollover {
    public enum Kind: String, Sendable, CaseIterable {
        case zsk, ksk
    }

    public enum Step: String, Sendable, CaseIterable {
        case start
        case `switch`
        case finish
    }

    /// What a step changes.
    public struct Plan: Sendable {
        /// Flags of a key to make (nil: none), with the timing it gets.
        public var newKey: (flags: UInt16, publish: UInt32?, activate: UInt32?)?
        /// Keys whose timing changes.
        public var updated: [KeyFile] = []
        /// Keys removed from the zone now (their files can be put away).
        public var deleted: [KeyFile] = []
        /// One line for the log: what was done.
        public var summary: String
    }

    static func isKSK(_ k: KeyFile) -> Bool { k.key.flags & DNSKEYRecord.secureEntryPointFlag != 0 }

    /// The plan for `step` of a `kind` rollover, or why it cannot be taken now. `wait` is how long
    /// the previous step must have been in effect (a TTL); `force` skips that check alone.
    public static func plan(
        _ kind: Kind, _ step: Step, keys: [KeyFile], now: UInt32, wait: UInt32, force: Bool = false
    ) throws(DNSSECError) -> Plan {
        let mine = keys.filter { kind == .ksk ? isKSK($0) : !isKSK($0) }
        let active = mine.filter { $0.isActive(at: now) }
        // A key of this kind that was made for a rollover and does not sign yet.
        let pending = mine.filter { $0.activate.map { $0 > now } ?? true && $0.delete == nil }
        // A key that stopped signing and is still in the zone.
        let retiring = mine.filter { $0.inactive.map { $0 <= now } == true && $0.isPublished(at: now) }
        func waited(since time: UInt32?, _ what: String) throws(DNSSECError) {
            guard !force, let time else { return }
            guard now >= time &+ wait else {
                throw DNSSECError(
                    "\(what) \(now < time ? 0 : now - time) s ago; wait \(wait) s (the TTL) before this step, "
                        + "or --force")
            }
        }
        switch step {
        case .start:
            guard pending.isEmpty, retiring.isEmpty else {
                throw DNSSECError("a \(kind) rollover is already under way (keys \(tags(pending + retiring)))")
            }
            guard active.count == 1 else {
                throw DNSSECError(
                    kind == .zsk && active.isEmpty
                        ? "no active ZSK to roll (the zone signs with a CSK: roll it with --kind ksk)"
                        : "expected one active \(kind), found \(active.count) (keys \(tags(active)))")
            }
            return kind == .zsk
                ? Plan(
                    newKey: (256, now, nil),
                    summary: "zsk start: a new ZSK is published, not signing; switch after the DNSKEY TTL")
                : Plan(
                    newKey: (active[0].key.flags, nil, nil),
                    summary: "ksk start: a new key, not yet in the zone; give the parent its DS beside the old one")
        case .switch:
            guard let next = pending.first, pending.count == 1 else {
                throw DNSSECError("no \(kind) rollover to switch: run start first")
            }
            guard let old = active.first, active.count == 1 else {
                throw DNSSECError("expected one active \(kind) to replace, found \(active.count)")
            }
            try waited(since: kind == .zsk ? next.publish : next.created, kind == .zsk ? "published" : "made")
            var new = next
            new.publish = min(next.publish ?? now, now)
            new.activate = now
            guard kind == .zsk else {
                return Plan(
                    updated: [new],
                    summary: "ksk switch: key \(new.key.keyTag) is in the zone and signs beside key "
                        + "\(old.key.keyTag) until finish, after the zone's largest TTL")
            }
            var retired = old
            retired.inactive = now
            return Plan(
                updated: [new, retired],
                summary: "zsk switch: key \(new.key.keyTag) signs, key \(old.key.keyTag) stops signing "
                    + "(still published); finish after the zone's largest TTL")
        case .finish:
            // The key that goes: a ZSK that stopped signing; or, of the two KSKs signing, the older.
            let old: KeyFile
            let since: UInt32?
            if kind == .zsk {
                guard let o = retiring.first, retiring.count == 1, pending.isEmpty else {
                    throw DNSSECError("no zsk rollover to finish: run switch first")
                }
                (old, since) = (o, o.inactive)
            } else {
                let byAge = active.sorted { ($0.activate ?? 0, $0.created) < ($1.activate ?? 0, $1.created) }
                guard byAge.count == 2, pending.isEmpty else {
                    throw DNSSECError("no ksk rollover to finish: run switch first")
                }
                (old, since) = (byAge[0], byAge[1].activate)
            }
            try waited(since: since, kind == .zsk ? "stopped signing" : "switched")
            var gone = old
            gone.inactive = gone.inactive ?? now
            gone.delete = now
            return Plan(
                updated: [gone], deleted: [gone],
                summary: "\(kind) finish: key \(old.key.keyTag) removed from the zone"
                    + (kind == .ksk ? "; the parent can drop its DS now" : ""))
        }
    }

    static func tags(_ keys: [KeyFile]) -> String { keys.map { "\($0.key.keyTag)" }.joined(separator: ", ") }
}
