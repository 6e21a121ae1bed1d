import NIOCore

/// A bounds-checked cursor over one DNS message held in a `ByteBuffer`.
///
/// Reads never trap: each returns the value or throws `DNSWireError.truncated` when the message is
/// too short. Offsets are relative to the start of the message, as compression pointers are.
public struct DNSWireReader {
    public let buffer: ByteBuffer
    /// Absolute index in `buffer` of the message's first octet.
    let base: Int
    /// Message length in octets.
    public let count: Int
    /// Current position relative to the start of the message.
    public var offset: Int = 0

    /// Hops allowed while following compression pointers. Pointers must point strictly backwards,
    /// which alone rules out loops; the cap bounds work on hostile inputs all the same.
    public static let maxPointerHops = 64

    /// Reads the readable bytes of `buffer` as one message (no copy: `ByteBuffer` is CoW).
    public init(_ buffer: ByteBuffer) {
        self.buffer = buffer
        self.base = buffer.readerIndex
        self.count = buffer.readableBytes
    }

    public var remaining: Int { count - offset }

    public mutating func readUInt8(_ field: @autoclosure () -> String = "uint8") throws(DNSWireError) -> UInt8 {
        guard offset + 1 <= count, let v = buffer.getInteger(at: base + offset, as: UInt8.self) else {
            throw .truncated(field: field())
        }
        offset += 1
        return v
    }

    public mutating func readUInt16(_ field: @autoclosure () -> String = "uint16") throws(DNSWireError) -> UInt16 {
        guard offset + 2 <= count, let v = buffer.getInteger(at: base + offset, as: UInt16.self) else {
            throw .truncated(field: field())
        }
        offset += 2
        return v
    }

    public mutating func readUInt32(_ field: @autoclosure () -> String = "uint32") throws(DNSWireError) -> UInt32 {
        guard offset + 4 <= count, let v = buffer.getInteger(at: base + offset, as: UInt32.self) else {
            throw .truncated(field: field())
        }
        offset += 4
        return v
    }

    public mutating func readBytes(_ n: Int, _ field: @autoclosure () -> String = "bytes") throws(DNSWireError)
        -> [UInt8]
    {
        guard n >= 0, offset + n <= count, let v = buffer.getBytes(at: base + offset, length: n) else {
            throw .truncated(field: field())
        }
        offset += n
        return v
    }

    /// Reads a possibly compressed name (RFC 1035 section 4.1.4).
    public mutating func readName() throws(DNSWireError) -> DNSName {
        var wire: [UInt8] = []
        wire.reserveCapacity(32)
        var position = offset
        var resumeAt: Int? = nil
        var hops = 0
        while true {
            guard position < count, let len = buffer.getInteger(at: base + position, as: UInt8.self) else {
                throw .truncated(field: "name")
            }
            switch len & 0xC0 {
            case 0x00:
                if len == 0 {
                    wire.append(0)
                    guard wire.count <= 255 else { throw .nameTooLong }
                    offset = resumeAt ?? (position + 1)
                    return DNSName(uncheckedWire: wire)
                }
                let end = position + 1 + Int(len)
                guard end <= count, let label = buffer.viewBytes(at: base + position + 1, length: Int(len)) else {
                    throw .truncated(field: "label")
                }
                wire.append(len)
                wire.append(contentsOf: label)
                // Checked as we go so a hostile name cannot grow the buffer unboundedly.
                guard wire.count < 255 else { throw .nameTooLong }
                position = end
            case 0xC0:
                guard position + 2 <= count, let raw = buffer.getInteger(at: base + position, as: UInt16.self) else {
                    throw .truncated(field: "compression pointer")
                }
                let target = Int(raw & 0x3FFF)
                // Strictly backwards: a pointer can never reach itself or anything after it.
                guard target < position, hops < Self.maxPointerHops else {
                    throw .badCompressionPointer(offset: position)
                }
                hops += 1
                if resumeAt == nil { resumeAt = position + 2 }
                position = target
            default:
                throw .unsupportedLabelType(len & 0xC0)
            }
        }
    }
}
