import DNSWire
#if canImport(Glibc)
    import Glibc
#endif

/// A record as read from a master file, with where it came from for error messages.
public struct SourcedRecord: Sendable {
    public var record: DNSResourceRecord
    public var file: String
    public var line: Int
}

/// Reads RFC 1035 section 5 master files: `$ORIGIN`, `$TTL` (RFC 2308), `$INCLUDE`, `@`,
/// relative names, blank owners, TTL/class in either order, TTL units, and RFC 3597 `\#` RDATA.
public struct ZoneFileParser {
    /// Loads files through this closure so tests can parse from memory.
    public typealias FileReader = (String) throws -> String

    public let origin: DNSName
    let readFile: FileReader
    /// Bound on `$INCLUDE` nesting, so an include cycle is an error and not a hang.
    static let maxIncludeDepth = 8
    static let maxErrors = 50

    public init(origin: DNSName, readFile: @escaping FileReader = ZoneFileParser.readFromDisk) {
        self.origin = origin
        self.readFile = readFile
    }

    /// Parses a file, collecting every error (up to a bound) rather than stopping at the first.
    /// `$INCLUDE` may only name regular files inside `includeRoot` (default: the file's directory).
    public func parse(file: String, includeRoot: String? = nil) throws(ZoneLoadErrors) -> [SourcedRecord] {
        var state = State(
            origin: origin, defaultTTL: nil, lastOwner: nil, lastTTL: nil,
            includeRoot: includeRoot ?? IncludePath.directory(of: file))
        var records: [SourcedRecord] = []
        var errors: [ZoneFileError] = []
        parse(file: file, state: &state, depth: 0, into: &records, errors: &errors)
        if !errors.isEmpty { throw ZoneLoadErrors(errors) }
        return records
    }

    /// Parses text already in memory (named `file` in errors).
    public func parse(text: String, file: String) throws(ZoneLoadErrors) -> [SourcedRecord] {
        var state = State(
            origin: origin, defaultTTL: nil, lastOwner: nil, lastTTL: nil,
            includeRoot: IncludePath.directory(of: file))
        var records: [SourcedRecord] = []
        var errors: [ZoneFileError] = []
        parse(text: text, file: file, state: &state, depth: 0, into: &records, errors: &errors)
        if !errors.isEmpty { throw ZoneLoadErrors(errors) }
        return records
    }

    struct State {
        var origin: DNSName
        var defaultTTL: UInt32?
        var lastOwner: DNSName?
        var lastTTL: UInt32?
        /// `$INCLUDE` stays inside this directory.
        var includeRoot: String
    }

    private func parse(
        file: String, state: inout State, depth: Int, into records: inout [SourcedRecord],
        errors: inout [ZoneFileError]
    ) {
        let text: String
        do { text = try readFile(file) } catch {
            errors.append(ZoneFileError(file: file, line: 0, message: "cannot read zone file: \(error)"))
            return
        }
        parse(text: text, file: file, state: &state, depth: depth, into: &records, errors: &errors)
    }

    private func parse(
        text: String, file: String, state: inout State, depth: Int,
        into records: inout [SourcedRecord], errors: inout [ZoneFileError]
    ) {
        let (entries, tokenizerError) = MasterFileTokenizer(text: text, file: file).entries()
        defer { if let tokenizerError { errors.append(tokenizerError) } }
        for entry in entries {
            if errors.count >= Self.maxErrors { return }
            let first = entry.tokens[0]
            func fail(_ message: String) {
                errors.append(ZoneFileError(file: file, line: entry.line, message: message))
            }
            if !entry.startsWithBlank, !first.quoted, first.text.hasPrefix("$") {
                switch first.text.uppercased() {
                case "$ORIGIN":
                    guard entry.tokens.count == 2 else {
                        fail("$ORIGIN takes one name")
                        continue
                    }
                    do { state.origin = try DNSName(parsing: entry.tokens[1].text, origin: state.origin) } catch {
                        fail("$ORIGIN: \(error)")
                    }
                case "$TTL":
                    guard entry.tokens.count == 2, let ttl = Presentation.ttl(entry.tokens[1].text) else {
                        fail("$TTL takes one TTL value")
                        continue
                    }
                    state.defaultTTL = ttl
                case "$INCLUDE":
                    guard entry.tokens.count == 2 || entry.tokens.count == 3 else {
                        fail("$INCLUDE takes a file name and an optional origin")
                        continue
                    }
                    guard depth < Self.maxIncludeDepth else {
                        fail("$INCLUDE nested deeper than \(Self.maxIncludeDepth)")
                        continue
                    }
                    let path: String
                    switch IncludePath.confine(entry.tokens[1].text, relativeTo: file, root: state.includeRoot) {
                    case .success(let p): path = p
                    case .failure(let refusal):
                        fail("$INCLUDE refused: \(refusal.reason)")
                        continue
                    }
                    // RFC 1035: the included file's origin changes do not leak back into this file.
                    var inner = state
                    if entry.tokens.count == 3 {
                        do { inner.origin = try DNSName(parsing: entry.tokens[2].text, origin: state.origin) } catch {
                            fail("$INCLUDE origin: \(error)")
                            continue
                        }
                    }
                    parse(file: path, state: &inner, depth: depth + 1, into: &records, errors: &errors)
                    state.lastTTL = inner.lastTTL
                default:
                    fail("unknown directive \(first.text)")
                }
                continue
            }
            do {
                let rr = try record(entry, state: &state)
                records.append(SourcedRecord(record: rr, file: file, line: entry.line))
            } catch {
                fail(error.message)
            }
        }
    }

    private func record(_ entry: MasterFileEntry, state: inout State) throws(PresentationError) -> DNSResourceRecord {
        var tokens = entry.tokens[...]
        let owner: DNSName
        if entry.startsWithBlank {
            guard let last = state.lastOwner else {
                throw PresentationError("record has no owner and no previous owner")
            }
            owner = last
        } else {
            owner = try Presentation.name(tokens.removeFirst(), origin: state.origin)
        }
        var ttl: UInt32? = nil
        var recordClass: RecordClass? = nil
        // [TTL] [CLASS] or [CLASS] [TTL], then TYPE.
        for _ in 0..<2 {
            guard let t = tokens.first, !t.quoted else { break }
            if ttl == nil, let v = Presentation.ttl(t.text), RecordType(mnemonic: t.text) == nil {
                ttl = v
                tokens.removeFirst()
            } else if recordClass == nil, let c = RecordClass(mnemonic: t.text) {
                recordClass = c
                tokens.removeFirst()
            }
        }
        // A number where TTL, class or type may stand is a TTL: one the parser refused is out of range.
        if ttl == nil, let t = tokens.first, !t.quoted, t.text.first?.isASCII == true, t.text.first?.isNumber == true {
            throw PresentationError("TTL '\(t.text.prefix(32))' is not a number of seconds in 0...4294967295")
        }
        guard let typeToken = tokens.first else { throw PresentationError("record for \(owner) has no type") }
        tokens.removeFirst()
        guard let type = RecordType(mnemonic: typeToken.text), !typeToken.quoted else {
            throw PresentationError("unknown record type '\(typeToken.text)'")
        }
        if let c = recordClass, c != .internet { throw PresentationError("class \(c) is not served; only IN") }
        guard !type.isMetaOrQueryOnly else { throw PresentationError("\(type) cannot appear in a zone file") }
        let data: RData
        do { data = try RData.parse(type: type, tokens: Array(tokens), origin: state.origin) } catch {
            throw PresentationError("\(type): \(error.message)")
        }
        let length = data.wireLength
        guard length <= RData.maxWireLength else {
            throw PresentationError("\(type) RDATA is \(length) octets; RDLENGTH allows at most \(RData.maxWireLength)")
        }
        // RFC 2308 section 4: without $TTL, a record with no TTL takes the last explicit one.
        guard let effectiveTTL = ttl ?? state.defaultTTL ?? state.lastTTL else {
            throw PresentationError("no TTL given and no $TTL in effect")
        }
        if let ttl { state.lastTTL = ttl }
        state.lastOwner = owner
        return DNSResourceRecord(name: owner, ttl: effectiveTTL, data: data)
    }

    /// Largest zone file read (a bound on memory, and on reading a device by mistake).
    public static let maxFileSize = 512 << 20

    /// Reads a regular file of at most `maxFileSize` octets. Errors name the problem, never content.
    public static func readFromDisk(_ path: String) throws -> String {
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw PresentationError(String(cString: strerror(errno))) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw PresentationError(String(cString: strerror(errno))) }
        guard info.st_mode & S_IFMT == S_IFREG else { throw PresentationError("not a regular file") }
        guard info.st_size <= maxFileSize else {
            throw PresentationError("\(info.st_size) octets is larger than the \(maxFileSize)-octet limit")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var got = 0
        while got < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, $0.count - got) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            got += n
        }
        return String(decoding: bytes[0..<got], as: UTF8.self)
    }
}
