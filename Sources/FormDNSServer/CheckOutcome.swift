/// What one active health check found. A failure of the checker itself (no file descriptor left,
/// an unreadable CA file) is kept apart: it is logged, and never counted against the node.
enum CheckOutcome: Sendable, Equatable {
    case up(String)
    case down(String)
    case checkerError(String)

    var isUp: Bool {
        if case .up = self { return true }
        return false
    }
}
