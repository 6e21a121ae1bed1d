import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes each message as one JSON object per line (time, level, label,
/// message, then the metadata as fields, nested as it was given): what the decision log is, for
/// jq, Loki, Elasticsearch or a plain `grep`.
public struct JSONLinesLogHandler: LogHandler {
    /// Where lines go; one write per line, under a lock, so lines from several threads never mix.
    public final class Output: Sendable {
        private let handle: Mutex<FileHandle>

        public init(handle: FileHandle) { self.handle = Mutex(handle) }

        /// Appends to `path` (created with mode 0600 if missing).
        public convenience init(appendingTo path: String) throws {
            if !FileManager.default.fileExists(atPath: path) {
                let made = FileManager.default.createFile(
                    atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
                guard made else { throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path]) }
            }
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.seekToEnd()
            self.init(handle: handle)
        }

        func write(_ line: Data) { handle.withLock { $0.write(line) } }
    }

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    let output: Output

    public init(label: String, output: Output) {
        self.label = label
        self.output = output
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var object: [String: Any] = [
            "time": Self.time(Date()), "level": event.level.rawValue, "label": label, "message": "\(event.message)",
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { _, new in new }) {
            object[key] = Self.json(value)
        }
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        output.write(data)
    }

    static func json(_ value: Logger.Metadata.Value) -> Any {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c):
            // Numbers stay numbers.
            if let n = c as? any BinaryInteger { return Int64(n) }
            if let d = c as? Double { return d.isFinite ? d : "\(d)" }
            return c.description
        case .array(let items): return items.map(json)
        case .dictionary(let fields): return fields.mapValues(json)
        }
    }

    static func time(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
