/// Bounded label values for the wire's open-ended codes.
public enum MetricLabels {
    /// Query types worth a series of their own; every other type is "other".
    public static let qtypes = [
        "A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "NAPTR", "DS", "DNSKEY", "SVCB", "HTTPS",
        "CAA", "ANY", "other",
    ]

    @inline(__always)
    static func qtypeIndex(_ raw: UInt16) -> Int {
        switch raw {
        case 1: return 0
        case 2: return 1
        case 5: return 2
        case 6: return 3
        case 12: return 4
        case 15: return 5
        case 16: return 6
        case 28: return 7
        case 33: return 8
        case 35: return 9
        case 43: return 10
        case 48: return 11
        case 64: return 12
        case 65: return 13
        case 257: return 14
        case 255: return 15
        default: return 16
        }
    }

    /// RCODEs 0-15 (the header's four bits) and BADVERS (16, RFC 6891), by their RFC names.
    public static let rcodes = [
        "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET",
        "NOTAUTH", "NOTZONE", "DSOTYPENI", "RCODE12", "RCODE13", "RCODE14", "RCODE15", "BADVERS",
    ]

    public static let protocols = ["udp", "tcp"]
    public static let families = ["ipv4", "ipv6"]

    /// Upper bounds of the response size buckets, in bytes: the sizes that matter for UDP (512
    /// without EDNS, 1232 the DNS flag day's safe size, 1452/1500 around an Ethernet MTU) and TCP.
    public static let responseSizeBounds: [Double] = [64, 128, 256, 512, 768, 1232, 1452, 4096, 16384, 65535]

    /// Upper bounds of the request duration buckets, in seconds (answering only: parse to the
    /// written response, no socket time).
    public static let durationBounds: [Double] = [
        0.000_000_5, 0.000_001, 0.000_002, 0.000_005, 0.000_01, 0.000_02, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.01,
    ]
}
