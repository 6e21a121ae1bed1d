/// `management.approvals`: the kinds of change that wait for a second administrator.
public enum ApprovalRule: String, Sendable, CaseIterable, Equatable {
    /// Removing a pool.
    case removePool = "remove_pool"
    /// Removing a zone.
    case removeZone = "remove_zone"
    /// Any change to a zone's NS or SOA records (delegation and zone transfer depend on them).
    case nsSOA = "ns_soa"
    /// Going back to an earlier configuration version.
    case rollback
    /// A change or override that leaves fewer than half of a region's nodes in a pool answering
    /// (drained, disabled or removed), where at least half answered before.
    case drainHalfRegion = "drain_half_region"
}
