import Crypto
import DNSWire
import Foundation

/// The optional signature on a notification, so a receiver can tell it came from an authority
/// holding the shared secret and was not replayed later:
///
///     X-Formdns-Timestamp: 1764583200
///     X-Formdns-Signature: sha256=<hex of HMAC-SHA256(secret, timestamp + "." + body)>
///
/// The timestamp is inside the MAC, so a receiver that rejects old timestamps (say, over five
/// minutes) also rejects replays; comparing in constant time is the receiver's part.
public enum WebhookSignature {
    public static let timestampHeader = "X-Formdns-Timestamp"
    public static let signatureHeader = "X-Formdns-Signature"

    /// The signature header's value for `body` sent at `timestamp` (seconds since 1970).
    public static func value(secret: String, timestamp: Int, body: Data) -> String {
        var signed = Data("\(timestamp).".utf8)
        signed.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Presentation.hex(Array(mac)).lowercased()
    }
}
