import Foundation

/// The highest bundle sequence accepted per signing key, kept beside the cache (same private
/// directory, same checks) so a replayed older bundle is refused after a restart too.
struct BundleSequenceFile {
    let path: String

    /// The sequence last accepted for `keyID`; nil if none yet (or the file cannot be trusted,
    /// which `notes` says).
    func accepted(_ keyID: String, notes: inout [String]) -> UInt64? {
        let (dir, file) = PeerCacheFile.split(path)
        let reader = PeerListReader(source: "bundle sequence \(path)")
        do {
            guard let data = try PrivateDirectory(path: dir, create: false).read(file, reader: reader),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
            else { return nil }
            return (object[keyID] as? NSNumber)?.uint64Value
        } catch {
            if case .badInput = error, access(dir, F_OK) != 0 { return nil }
            notes.append("\(error)")
            return nil
        }
    }

    /// Records `seq` as accepted for `keyID`.
    func record(_ keyID: String, _ seq: UInt64, notes: inout [String]) {
        let (dir, file) = PeerCacheFile.split(path)
        let reader = PeerListReader(source: "bundle sequence \(path)")
        do {
            let directory = try PrivateDirectory(path: dir, create: true)
            var object =
                (try directory.read(file, reader: reader)).flatMap {
                    try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
                } ?? [:]
            object[keyID] = seq
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            try directory.writeAtomically(file, data)
        } catch {
            notes.append("bundle sequence \(path) not written: \(error)")
        }
    }
}
