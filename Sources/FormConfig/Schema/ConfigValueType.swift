/// What a key accepts, as the reference documents it and as errors describe it.
public indirect enum ConfigValueType: Sendable, CustomStringConvertible {
    case integer(ClosedRange<Int>)
    case number(ClosedRange<Double>)
    case boolean
    case string
    case choice([String])
    /// Something with a textual form and a rule, e.g. "address like 127.0.0.1:5300".
    case text(String)
    case path
    case list(ConfigValueType)
    /// A mapping described by its own section (by that section's path).
    case section(String)
    /// A list of mappings, each described by that section.
    case sectionList(String)

    public var description: String {
        switch self {
        case .integer(let r): return "integer \(r.lowerBound)...\(r.upperBound)"
        case .number(let r): return "number \(Self.shown(r.lowerBound))...\(Self.shown(r.upperBound))"
        case .boolean: return "true or false"
        case .string: return "string"
        case .choice(let c): return c.joined(separator: " | ")
        case .text(let rule): return rule
        case .path: return "path (relative to the file)"
        case .list(let element): return "list of \(element)"
        case .section(let path): return "mapping, see [\(path)](#\(Self.anchor(path)))"
        case .sectionList(let path): return "list of mappings, see [\(path)](#\(Self.anchor(path)))"
        }
    }

    /// A number as an operator writes it (1000, not 1000.0).
    static func shown(_ v: Double) -> String {
        v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : "\(v)"
    }

    /// The Markdown heading anchor GitHub derives from a section path.
    static func anchor(_ path: String) -> String {
        String(
            path.lowercased().compactMap { c -> Character? in
                if c.isLetter || c.isNumber || c == "_" || c == "-" { return c }
                return c == " " ? "-" : nil
            })
    }
}
