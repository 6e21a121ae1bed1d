/// The types present at a name, as NSEC (RFC 4034 section 4.1.2) and NSEC3 carry them: "The RR
/// type space is split into 256 window blocks, each representing the low-order 8 bits of the
/// 16-bit RR type space. Each block that has at least one active RR type is encoded using a
/// single octet window number (from 0 to 255), a single octet bitmap length (from 1 to 32)
/// indicating the number of octets used for the window block's bitmap, and up to 32 octets (256
/// bits) of bitmap." Blocks appear in increasing order; trailing zero octets are left out.
public struct TypeBitmap: Hashable, Sendable {
    /// Sorted, without repeats.
    public private(set) var types: [RecordType]

    public init(_ types: some Sequence<RecordType>) { self.types = Array(Set(types)).sorted() }

    public func encode(to writer: inout DNSWireWriter) {
        var i = 0
        while i < types.count {
            let window = UInt8(types[i].rawValue >> 8)
            var bits = [UInt8](repeating: 0, count: 32)
            while i < types.count, UInt8(types[i].rawValue >> 8) == window {
                let low = Int(types[i].rawValue & 0xFF)
                bits[low / 8] |= 0x80 >> UInt8(low % 8)
                i += 1
            }
            let length = (bits.lastIndex { $0 != 0 } ?? 0) + 1
            writer.write(window)
            writer.write(UInt8(length))
            writer.write(bytes: bits.prefix(length))
        }
    }

    /// Reads `length` octets of window blocks; blocks out of order, lengths out of 1...32 or a
    /// block running past the end are errors.
    public init(from reader: inout DNSWireReader, length: Int, type: UInt16) throws(DNSWireError) {
        var types: [RecordType] = []
        var left = length
        var previous = -1
        while left > 0 {
            guard left >= 2 else {
                throw .badRDLength(type: type, expected: "whole type bitmap blocks", actual: length)
            }
            let window = Int(try reader.readUInt8("type bitmap window"))
            let size = Int(try reader.readUInt8("type bitmap length"))
            guard window > previous, (1...32).contains(size), size <= left - 2 else {
                throw .invalid("type bitmap block \(window) of \(size) octets is out of order or size")
            }
            let bits = try reader.readBytes(size, "type bitmap")
            for (octet, byte) in bits.enumerated() where byte != 0 {
                for bit in 0..<8 where byte & (0x80 >> UInt8(bit)) != 0 {
                    types.append(RecordType(UInt16(window << 8 | octet * 8 + bit)))
                }
            }
            previous = window
            left -= 2 + size
        }
        self.types = types
    }

    /// Type mnemonics (or TYPEnnn), as the presentation of NSEC lists them.
    public init(presentation tokens: some Sequence<PresentationToken>) throws(PresentationError) {
        var types: [RecordType] = []
        for token in tokens {
            guard let type = RecordType(mnemonic: token.text) else {
                throw PresentationError("'\(token.text)' is not a record type")
            }
            types.append(type)
        }
        self.init(types)
    }

    public var presentation: String { types.map(\.description).joined(separator: " ") }
}
