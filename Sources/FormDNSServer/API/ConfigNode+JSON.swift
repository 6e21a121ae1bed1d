import FormConfig
import Foundation

extension ConfigNode {
    /// The node as a JSON value (for JSONSerialization). Only what JSON itself would read as a
    /// number, `true`, `false` or `null` is one: YAML 1.1 readings (`NO` as false, `0x1F` as 31)
    /// stay the text written, which is what the schema reads (a country code, a name).
    var jsonValue: Any {
        switch content {
        case .scalar(let s):
            if s.isNull, s.text.isEmpty || s.text == "null" || s.text == "~" { return NSNull() }
            if s.boolean != nil, s.text == "true" || s.text == "false" { return s.boolean! }
            if s.integer != nil, let i = Int(s.text) { return i }
            if let n = s.number, n.isFinite, s.text.allSatisfy({ "0123456789.eE+-".contains($0) }),
                Double(s.text) != nil
            {
                return n
            }
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
