/// What DNSSEC validation concluded about the join name's DNS answers (`"validation"` in the JSON).
public enum Validation: Sendable, Equatable, CustomStringConvertible {
    /// No trust anchor: nothing was checked (the behaviour before anchors).
    case none
    /// Every answer used, and every denial relied on, is signed by the anchored zone.
    case secure
    /// Something was unsigned, wrongly signed, expired or unproven: the DNS answer is not used.
    case bogus(String)
    /// An anchor is set but DNS gave nothing to check (a timeout, SERVFAIL, ...).
    case indeterminate(String)

    public var description: String {
        switch self {
        case .none: return "none"
        case .secure: return "secure"
        case .bogus(let why): return "bogus: \(why)"
        case .indeterminate(let why): return "indeterminate: \(why)"
        }
    }

    public var isBogus: Bool {
        if case .bogus = self { return true }
        return false
    }
}

/// How a peer in the output was authenticated (`"authenticated"` in the JSON).
public enum Authentication: String, Codable, Sendable {
    /// From DNS answers that validated against the trust anchor.
    case dnssec
    /// From a bootstrap bundle whose signature verified against the pinned bundle key.
    case signedList = "signed-list"
    /// From the cache, where it was put after a DNSSEC-validated discovery.
    case cacheOfDNSSEC = "cache-of-dnssec"
    /// Nothing vouches for it.
    case none
}
