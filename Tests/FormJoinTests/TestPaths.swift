import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The package's root directory (for Fixtures/).
let packageRoot: String = {
    var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
    parts.removeLast(3)
    return parts.joined(separator: "/")
}()

/// A fresh directory (mode 0700, ours) under the system temporary directory, for one test.
func temporaryDirectory(_ label: String) -> String {
    let base = NSTemporaryDirectory().hasSuffix("/") ? NSTemporaryDirectory() : NSTemporaryDirectory() + "/"
    let path = base + "form-join-test-\(label)-" + UUID().uuidString
    mkdir(path, 0o700)
    return path
}
