import Foundation

/// A critical change waiting for a second administrator (`management.approvals`): what it does,
/// who asked, and the state it applies to. It is applied only on approval, by another token, before
/// it expires, and only if the configuration is still the version it was made against.
public struct PendingChange: Sendable, Hashable {
    public enum Status: String, Sendable {
        case pending, approved, rejected, expired
    }

    /// "chg_" and 16 hex digits.
    public var id: String
    public var created: Date
    public var expires: Date
    /// The token that asked (never the one that may approve).
    public var author: String
    /// What it does, in words ("remove pool entry", "rollback to version 3").
    public var action: String
    /// The author's message (`--message`).
    public var message: String
    /// Why it needs approval (which rule of `management.approvals`).
    public var reason: String
    /// The configuration version it was made against; nil for an override.
    public var baseVersion: Int?
    /// The whole configuration text it would install, or for an override `POOL/NODE=OVERRIDE`.
    public var payload: String
    public var status: Status
    /// Who approved or rejected it, and when.
    public var decidedBy: String?
    public var decided: Date?

    public init(
        id: String = PendingChange.newID(), created: Date = Date(), expires: Date, author: String, action: String,
        message: String, reason: String, baseVersion: Int?, payload: String, status: Status = .pending,
        decidedBy: String? = nil, decided: Date? = nil
    ) {
        self.id = id
        self.created = created
        self.expires = expires
        self.author = author
        self.action = action
        self.message = message
        self.reason = reason
        self.baseVersion = baseVersion
        self.payload = payload
        self.status = status
        self.decidedBy = decidedBy
        self.decided = decided
    }

    public static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        let n = generator.next() as UInt64
        let hex = String(n, radix: 16)
        return "chg_" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Pending and past its expiry at `now`.
    public func hasExpired(at now: Date = Date()) -> Bool { status == .pending && now >= expires }
}
