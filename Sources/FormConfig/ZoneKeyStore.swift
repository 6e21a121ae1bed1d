import DNSSEC
import DNSWire
import Foundation

/// A zone's DNSSEC keys as files in `state_dir/keys`: BIND's `K<zone>+<alg>+<tag>.key` and
/// `.private` pairs (the private halves mode 0600 in a 0700 folder), read by the server and by
/// `form-dns keys`.
public enum ZoneKeyStore {
    public static func folder(stateDirectory: String) -> String { stateDirectory + "/keys" }

    /// The zone's key pairs in `folder`, by key tag; none if the folder does not exist.
    public static func keys(zone: DNSName, folder: String) throws(ConfigError) -> [KeyFile] {
        let prefix = "K\(zone.lowercased)+"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var found: [KeyFile] = []
        for name in names.sorted() where name.hasPrefix(prefix) && name.hasSuffix(".private") {
            let base = folder + "/" + name.dropLast(".private".count)
            do {
                let secret = try String(contentsOfFile: base + ".private", encoding: .utf8)
                let publicText = try String(contentsOfFile: base + ".key", encoding: .utf8)
                found.append(try KeyFile(publicText: publicText, privateText: secret))
            } catch {
                throw ConfigError(file: base + ".private", line: 0, field: "", message: "\(error)")
            }
        }
        return found.sorted { $0.key.keyTag < $1.key.keyTag }
    }

    /// Makes a key for `zone` in `folder` with a tag no other key of the zone has, and writes it:
    /// the private half created 0600 (never wider for a moment), the public half 0644.
    public static func generate(
        zone: DNSName, algorithm: DNSSECAlgorithm, flags: UInt16, folder: String, now: Date = Date()
    ) throws(ConfigError) -> KeyFile {
        let taken = Set(try keys(zone: zone, folder: folder).map(\.key.keyTag))
        var key = ZoneKey(generating: algorithm, flags: flags)
        // Two keys of one zone must not share a tag: RRSIGs name their key by it.
        while taken.contains(key.keyTag) { key = ZoneKey(generating: algorithm, flags: flags) }
        let file = KeyFile(zone: zone, key: key, created: UInt32(now.timeIntervalSince1970))
        let base = folder + "/" + file.baseName
        do {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try write(file.privateText, to: base + ".private", mode: 0o600)
            try write(file.publicText, to: base + ".key", mode: 0o644)
        } catch {
            throw ConfigError(file: base + ".private", line: 0, field: "", message: "cannot write: \(error)")
        }
        return file
    }

    /// Writes `text` to a new file created with `mode`, never over another.
    static func write(_ text: String, to path: String, mode: Int) throws {
        guard !FileManager.default.fileExists(atPath: path),
            FileManager.default.createFile(
                atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: mode])
        else { throw CocoaError(.fileWriteFileExists) }
    }
}

extension ZoneKeyStore {
    /// Rewrites `file`'s `.private` half (its timing changed): a new file created 0600, renamed over
    /// the old one, so the private key is never readable by others, not even for a moment.
    public static func update(_ file: KeyFile, folder: String) throws(ConfigError) {
        let path = folder + "/" + file.baseName + ".private"
        let temporary = path + ".new"
        do {
            try? FileManager.default.removeItem(atPath: temporary)
            try write(file.privateText, to: temporary, mode: 0o600)
            guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            throw ConfigError(file: path, line: 0, field: "", message: "cannot write: \(error)")
        }
    }

    /// Moves a deleted key's files to `folder/retired/`: out of the zone, kept for the record.
    public static func retire(_ file: KeyFile, folder: String) throws(ConfigError) {
        let retired = folder + "/retired"
        do {
            try FileManager.default.createDirectory(
                atPath: retired, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            for suffix in [".key", ".private"] {
                try FileManager.default.moveItem(
                    atPath: folder + "/" + file.baseName + suffix, toPath: retired + "/" + file.baseName + suffix)
            }
        } catch {
            throw ConfigError(
                file: folder + "/" + file.baseName, line: 0, field: "", message: "cannot retire: \(error)")
        }
    }
}
