import Foundation
import X509

/// Reading, checking and writing PEM files.
public enum PEMFile {
    public static func read(_ path: String) throws(PKIError) -> String {
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw PKIError("cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The first certificate in a PEM file.
    public static func certificate(_ path: String) throws(PKIError) -> Certificate {
        let text = try read(path)
        do { return try Certificate(pemEncoded: text) } catch {
            throw PKIError("\(path) is not a PEM certificate: \(error)")
        }
    }

    /// Why the certificate in `path` cannot be used now (unreadable, not yet valid, expired), or nil.
    public static func problem(certificate path: String, at now: Date = Date()) -> String? {
        let certificate: Certificate
        do { certificate = try Self.certificate(path) } catch { return error.message }
        if now < certificate.notValidBefore { return "\(path) is not valid before \(certificate.notValidBefore)" }
        if now > certificate.notValidAfter { return "\(path) expired on \(certificate.notValidAfter)" }
        return nil
    }

    /// Writes `text` to `path` with `mode` (set before any byte is written: a key is never readable
    /// by others, not even for a moment).
    public static func write(_ text: String, to path: String, mode: Int) throws(PKIError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode_t(mode))
        guard fd >= 0 else { throw PKIError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        fchmod(fd, mode_t(mode))
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let n = bytes[written...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw PKIError("cannot write \(path): \(String(cString: strerror(errno)))") }
            written += n
        }
    }
}
