import DNSSEC
import DNSWire
import Foundation

/// The join name's lookups (A, AAAA and the `_formnet` TXT) with or without DNSSEC: without a
/// trust anchor, plain (cached) lookups; with one, each answer is traced and checked against the
/// anchored zone's keys (its DNSKEY RRset, signed by a pinned key), denials included.
struct ValidatingLookup {
    let resolver: StubResolver
    let anchor: TrustAnchor?
    /// Seconds since 1970, for signature validity.
    let now: @Sendable () -> Double

    struct Answers {
        var a: Result<ResolveResult, ResolveError>
        var aaaa: Result<ResolveResult, ResolveError>
        var txt: Result<ResolveResult, ResolveError>
        var validation: Validation
    }

    func run(name: DNSName, metaName: DNSName) async -> Answers {
        guard let anchor else {
            async let v4 = resolver.lookup(name, type: .a)
            async let v6 = resolver.lookup(name, type: .aaaa)
            async let meta = resolver.lookup(metaName, type: .txt)
            let (a, aaaa, txt) = await (v4, v6, meta)
            return Answers(a: a, aaaa: aaaa, txt: txt, validation: .none)
        }
        async let keys = resolver.trace(anchor.zone, type: .dnskey)
        async let v4 = resolver.trace(name, type: .a)
        async let v6 = resolver.trace(name, type: .aaaa)
        async let meta = resolver.trace(metaName, type: .txt)
        let (k, a, aaaa, txt) = await (keys, v4, v6, meta)
        let validator = ZoneValidator(anchor: anchor, now: UInt32(clamping: Int(now())))
        return Self.check(validator, keys: k, a: a, aaaa: aaaa, txt: txt, name: name, metaName: metaName)
    }

    /// The verdict over the four traces; a bogus one rejects the whole DNS answer.
    static func check(
        _ validator: ZoneValidator, keys: Result<StubResolver.Traced, ResolveError>,
        a: Result<StubResolver.Traced, ResolveError>, aaaa: Result<StubResolver.Traced, ResolveError>,
        txt: Result<StubResolver.Traced, ResolveError>, name: DNSName, metaName: DNSName
    ) -> Answers {
        func result(_ t: Result<StubResolver.Traced, ResolveError>) -> Result<ResolveResult, ResolveError> {
            t.flatMap(\.result)
        }
        var answers = Answers(a: result(a), aaaa: result(aaaa), txt: result(txt), validation: .secure)
        let zoneKeys: [DNSKEYRecord]
        do {
            let response = try keys.get()
            guard let last = response.responses.last else { throw ResolveError.timeout }
            // An anchored zone without DNSKEY records (NODATA, NXDOMAIN) is not secure: bogus.
            if case .failure(let error) = response.result, error == .noData || error == .nxDomain {
                throw DNSSECError("\(error)")
            }
            _ = try response.result.get()
            zoneKeys = try validator.zoneKeys(from: last)
        } catch let error as DNSSECError {
            answers.validation = .bogus("DNSKEY \(validator.zone): \(error)")
            return answers
        } catch {
            answers.validation = .indeterminate("DNSKEY \(validator.zone): \(error)")
            return answers
        }
        var unchecked: [String] = []
        for (label, traced, owner, type) in [
            ("A", a, name, RecordType.a), ("AAAA", aaaa, name, .aaaa), ("TXT", txt, metaName, .txt),
        ] {
            switch traced {
            case .failure(let error):
                unchecked.append("\(owner) \(label): \(error)")
            case .success(let t):
                do {
                    if !(try verify(validator, t, owner: owner, type: type, keys: zoneKeys)) {
                        unchecked.append("\(owner) \(label): \(t.result)")
                    }
                } catch {
                    answers.validation = .bogus(error.description)
                    return answers
                }
            }
        }
        // Nothing usable was checked (every address lookup failed): say why rather than "secure".
        if answers.a.isFailure && answers.aaaa.isFailure, answers.validation == .secure,
            unchecked.count >= 2
        {
            answers.validation = .indeterminate(unchecked.joined(separator: "; "))
        }
        return answers
    }

    /// Checks one traced lookup: records and chain signed, or the denial proven. False when the
    /// lookup ended without an answer of the name's own (a timeout: nothing to check).
    static func verify(
        _ validator: ZoneValidator, _ traced: StubResolver.Traced, owner: DNSName, type: RecordType,
        keys: [DNSKEYRecord]
    ) throws(DNSSECError) -> Bool {
        let pool = traced.responses.flatMap { $0.answers + $0.authorities }
        switch traced.result {
        case .success(let r):
            try validator.verifyAnswer(records: r.records, chain: r.chain, in: pool, keys: keys)
            return true
        case .failure(.noData), .failure(.nxDomain):
            // The CNAMEs the resolver followed, then the proof that their target holds no such records.
            try validator.verifyAnswer(records: [], chain: traced.chain, in: pool, keys: keys)
            guard let last = traced.responses.last else { return false }
            let denied = traced.chain.last?.data.targetName ?? owner
            _ = try validator.verifyDenial(name: denied, type: type, authority: last.authorities, keys: keys)
            return true
        case .failure:
            return false
        }
    }
}

extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
