import Foundation

/// One stored configuration: the whole YAML text, who made it, why and when.
public struct ConfigVersion: Sendable, Hashable {
    /// 1, 2, 3, ... in the order versions were stored.
    public var id: Int
    public var created: Date
    public var author: String
    public var message: String
    public var text: String

    public struct Summary: Sendable, Hashable {
        public var id: Int
        public var created: Date
        public var author: String
        public var message: String
    }

    public var summary: Summary { Summary(id: id, created: created, author: author, message: message) }
}
