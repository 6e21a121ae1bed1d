import DNSWire
import DNSZone

extension ZoneText {
    /// Applies an UPDATE's operations in order (RFC 2136 3.4.2), then raises the SOA serial by one
    /// (RFC 1982 arithmetic) if anything changed. The SOA and the apex NS RRset are never deleted,
    /// as RFC 2136 3.4.2.3 and 3.4.2.4 say.
    mutating func apply(_ operations: [ZoneUpdate]) throws(ChangeError) {
        var changed = 0
        let origin = self.origin
        for operation in operations {
            switch operation {
            case .add(let record):
                changed += try add([record])
            case .deleteRRSet(let name, let type):
                changed += try remove { r in
                    r.name == name && (type == nil || r.type == type) && r.type != .soa
                        && !(r.name == origin && r.type == .ns)
                }
            case .deleteRecord(let name, let data):
                let apexNS = try records().filter { $0.record.name == origin && $0.record.type == .ns }.count
                changed += try remove { r in
                    r.name == name && r.data == data && r.type != .soa
                        && !(r.name == origin && r.type == .ns && apexNS <= 1)
                }
            }
        }
        guard changed > 0 else { return }
        try raiseSerial()
    }

    /// Raises the SOA serial by one (RFC 1982 arithmetic): every change of a zone's records does,
    /// so secondaries (NOTIFY, IXFR) see that the zone moved.
    mutating func raiseSerial() throws(ChangeError) {
        guard let sourced = try records().first(where: { $0.record.type == .soa }),
            case .soa(var data) = sourced.record.data
        else { return }
        let old = data.serial
        data.serial = old &+ 1
        // In place when the serial can be found where the SOA is written: the operator's lines,
        // comments and layout stay as they are.
        if let edited = Self.replacingSerial(in: text, fromLine: sourced.line, old: old, new: data.serial),
            let reread = try? parse(edited), let soa = reread.first(where: { $0.record.type == .soa }),
            case .soa(let check) = soa.record.data, check.serial == data.serial,
            reread.count == (try? records().count)
        {
            text = edited
            return
        }
        let soa = sourced.record
        try remove { $0.type == .soa }
        var next = soa
        next.data = .soa(data)
        // The SOA first, as a master file has it.
        text = next.description + "\n" + text
    }

    /// `text` with the SOA's serial (the third field after the type, RFC 1035 5.1) changed from
    /// `old` to `new`, looking from the SOA's first line through parentheses and comments; nil if
    /// it is not found there as written.
    static func replacingSerial(in text: String, fromLine line: Int, old: UInt32, new: UInt32) -> String? {
        var lines = text.components(separatedBy: "\n")
        guard line >= 1, line <= lines.count else { return nil }
        var seenType = false
        var field = 0
        for i in (line - 1)..<lines.count {
            let content = lines[i].prefix { $0 != ";" }
            var index = content.startIndex
            while index < content.endIndex {
                let c = content[index]
                if c == " " || c == "\t" || c == "(" || c == ")" {
                    index = content.index(after: index)
                    continue
                }
                let end = content[index...].firstIndex { " \t()".contains($0) } ?? content.endIndex
                let token = content[index..<end]
                if !seenType {
                    seenType = token.uppercased() == "SOA"
                } else {
                    field += 1
                    if field == 3 {
                        guard token == "\(old)" else { return nil }
                        lines[i].replaceSubrange(index..<end, with: "\(new)")
                        return lines.joined(separator: "\n")
                    }
                }
                index = end
            }
        }
        return nil
    }
}
