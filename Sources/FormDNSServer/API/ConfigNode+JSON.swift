import FormConfig
import Foundation

extension ConfigNode {
    /// The node as a JSON value (for JSONSerialization): numbers, booleans and null keep their
    /// readings, everything else is a string.
    var jsonValue: Any {
        switch content {
        case .scalar(let s):
            if s.isNull { return NSNull() }
            if let b = s.boolean { return b }
            if let i = s.integer { return i }
            if let n = s.number, n.isFinite { return n }
            return s.text
        case .list(let items):
            return items.map(\.jsonValue)
        case .mapping(let entries):
            var object: [String: Any] = [:]
            for e in entries { object[e.key] = e.value.jsonValue }
            return object
        }
    }
}
