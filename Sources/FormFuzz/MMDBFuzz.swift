import Foundation
import GeoIP
import NetAddress

enum MMDBFuzz {
    /// One file per process, rewritten for each input (libmaxminddb maps a file).
    static let path = (FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory())
        + "/form-fuzz-\(getpid()).mmdb"
    static let addresses = ["1.2.3.4", "10.0.0.1", "100.64.1.1", "203.0.113.9", "2001:db8::1", "::1", "81.2.69.160"]
        .map { IPAddress($0)! }

    static func run(_ data: UnsafeRawBufferPointer) {
        guard FileManager.default.createFile(atPath: path, contents: Data(data)) else { return }
        guard let database = try? GeoDatabase(path: path) else { return }
        for address in addresses { _ = database.lookup(address) }
    }
}
