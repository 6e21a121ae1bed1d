import NIOCore

/// Appends DNS wire data to a `ByteBuffer`, compressing names against those already written
/// (RFC 1035 section 4.1.4). Offsets for compression are relative to where the message starts.
public struct DNSWireWriter {
    public var buffer: ByteBuffer
    /// Absolute writer index at which the message starts.
    public let base: Int
    /// Lowercased wire suffix -> offset where it was written. Pointers can only reach 0x3FFF.
    private var suffixOffsets: [WireSuffix: UInt16] = [:]
    /// When false, names are always written in full: the output is position independent and can
    /// be copied after a question of any length.
    public var compressionEnabled = true

    public init(buffer: ByteBuffer) {
        self.buffer = buffer
        self.base = buffer.writerIndex
    }

    public init(capacity: Int = 512) {
        self.init(buffer: ByteBufferAllocator().buffer(capacity: capacity))
    }

    /// Bytes written so far for this message.
    public var count: Int { buffer.writerIndex - base }

    public mutating func write(_ v: UInt8) { buffer.writeInteger(v) }
    public mutating func write(_ v: UInt16) { buffer.writeInteger(v) }
    public mutating func write(_ v: UInt32) { buffer.writeInteger(v) }
    public mutating func write<S: Sequence>(bytes: S) where S.Element == UInt8 { buffer.writeBytes(bytes) }

    /// Overwrites a 16-bit value at a message-relative offset (used for RDLENGTH and counts).
    public mutating func set(_ v: UInt16, at relativeOffset: Int) {
        buffer.setInteger(v, at: base + relativeOffset)
    }

    /// Writes `name`, replacing its longest already-written suffix with a pointer when `compress` is
    /// true. Either way the suffixes written become targets for later names.
    public mutating func write(name: DNSName, compress: Bool = true) {
        let wire = name.wire
        guard compressionEnabled else {
            buffer.writeBytes(wire)
            return
        }
        let folded = wire.map(asciiLower)
        var i = 0
        while wire[i] != 0 {
            let suffix = WireSuffix(bytes: folded[i...])
            let known = suffixOffsets[suffix]
            if compress, let known {
                buffer.writeInteger(0xC000 | known)
                return
            }
            let here = count
            if here <= 0x3FFF, known == nil { suffixOffsets[suffix] = UInt16(here) }
            let len = Int(wire[i])
            buffer.writeBytes(wire[i...(i + len)])
            i += 1 + len
        }
        buffer.writeInteger(UInt8(0))
    }

    /// Registers a name already present at `relativeOffset` (uncompressed) as a compression target.
    /// Used when a response reuses the query's question bytes verbatim.
    public mutating func registerName(_ name: DNSName, at relativeOffset: Int) {
        let folded = name.wire.map(asciiLower)
        var i = 0
        while folded[i] != 0 {
            let at = relativeOffset + i
            let suffix = WireSuffix(bytes: folded[i...])
            if at <= 0x3FFF, suffixOffsets[suffix] == nil { suffixOffsets[suffix] = UInt16(at) }
            i += 1 + Int(folded[i])
        }
    }

    /// Discards everything written after `relativeOffset`, and compression targets pointing there.
    public mutating func truncate(to relativeOffset: Int) {
        buffer.moveWriterIndex(to: base + relativeOffset)
        suffixOffsets = suffixOffsets.filter { Int($0.value) < relativeOffset }
    }
}

/// A name's wire suffix as a compression key, hashed as one run of bytes: `ArraySlice`'s own hash
/// feeds the hasher a byte at a time, which was most of the cost of writing a name.
struct WireSuffix: Hashable {
    var bytes: ArraySlice<UInt8>

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }
}
