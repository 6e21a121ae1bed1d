import DNSWire
import DNSZone

enum ZoneFileFuzz {
    struct NoFiles: Error {}
    static let origin = try! DNSName(parsing: "fuzz.test.")

    static func run(_ data: UnsafeRawBufferPointer) {
        let text = String(decoding: data, as: UTF8.self)
        // $INCLUDE reads nothing while fuzzing.
        let parser = ZoneFileParser(origin: origin) { _ in throw ZoneLoadErrors([]) }
        guard let records = try? parser.parse(text: text, file: "fuzz.zone") else { return }
        // Records the parser accepts make a zone or are refused with a reason, never a crash.
        _ = try? Zone(origin: origin, records: records, file: "fuzz.zone")
    }
}
